#pragma once
// The daemons' signal handling: SIGINT/SIGTERM run `stop` on the io thread and then end the loop
// (after what `stop` posted, such as NOTIFICATIONs, has gone out); SIGHUP runs `reload` there.
#include <spdlog/spdlog.h>

#include <csignal>
#include <functional>
#include <memory>

#include "common/asio.h"

namespace ridgeline {

class StopSignals {
 public:
  StopSignals(boost::asio::io_context& io, std::function<void()> stop, std::function<void()> reload)
      : io_(io), signals_(io, SIGINT, SIGTERM, SIGHUP), stop_(std::move(stop)), reload_(std::move(reload)) {
    wait();
  }

 private:
  void wait() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        spdlog::info("SIGHUP: reloading the configuration");
        reload_();
        wait();
        return;
      }
      spdlog::info("signal {}: stopping", sig);
      stop_();
      boost::asio::post(io_, [this] { io_.stop(); });
    });
  }

  boost::asio::io_context& io_;
  boost::asio::signal_set signals_;
  std::function<void()> stop_;
  std::function<void()> reload_;
};

}  // namespace ridgeline
