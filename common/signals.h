#pragma once
// The daemons' signal handling: SIGINT/SIGTERM run `stop` on the io thread and then end the loop
// (after what `stop` posted, such as NOTIFICATIONs, has gone out); SIGHUP keeps the running config.
#include <spdlog/spdlog.h>

#include <csignal>
#include <functional>
#include <memory>

#include "common/asio.h"

namespace ridgeline {

class StopSignals {
 public:
  StopSignals(boost::asio::io_context& io, std::function<void()> stop)
      : io_(io), signals_(io, SIGINT, SIGTERM, SIGHUP), stop_(std::move(stop)) {
    wait();
  }

 private:
  void wait() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        spdlog::warn("SIGHUP: configuration reload is not implemented yet; the running config stays");
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
};

}  // namespace ridgeline
