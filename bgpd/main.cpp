// bgpd: the BGP daemon. Reads the `router bgp` part of ridgeline.conf, runs the sessions and
// the Loc-RIB on one io_context thread, and serves the gRPC API on RUN_DIR/bgpd.sock.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "bgpd/server/api.h"
#include "bgpd/server/speaker.h"
#include "common/asio.h"
#include "common/config/parser.h"
#include "common/daemon_options.h"
#include "ridgeline/version.h"

int main(int argc, char** argv) {
  CLI::App app{"Ridgeline BGP daemon"};
  ridgeline::DaemonOptions options;
  ridgeline::add_daemon_options(app, options);
  uint16_t bgp_port = 179;
  bool no_fib = false;
  std::string bgp_listen;
  app.add_option("--bgp-port", bgp_port, "TCP port to listen on; 0 = do not listen")->capture_default_str();
  app.add_option("--bgp-listen", bgp_listen, "listen on this address only (default: all)");
  app.add_flag("--no-fib", no_fib, "do not touch the kernel");
  app.set_version_flag("--version", std::string("bgpd (ridgeline) ") + ridgeline::kVersion);
  CLI11_PARSE(app, argc, argv);

  auto parsed = ridgeline::config::load_config_file(options.config_file);
  for (const auto& w : parsed.warnings) std::cerr << w.to_string() << "\n";
  for (const auto& e : parsed.errors) std::cerr << e.to_string() << "\n";
  if (!parsed.ok()) return 1;
  if (options.check_only) return 0;
  if (!ridgeline::setup_logging(options, "bgpd")) return 2;
  if (!parsed.config.bgp) {
    spdlog::critical("{}: no `router bgp` section", options.config_file);
    return 1;
  }
  ::mkdir(options.run_dir.c_str(), 0750);

  boost::asio::io_context io;
  // The fib library is not wired in yet: every build behaves as --no-fib and logs FIB changes.
  if (!no_fib) spdlog::warn("kernel FIB programming is not available yet; running as with --no-fib");
  ridgeline::bgp::SpeakerOptions speaker_options{bgp_port, bgp_listen};
  ridgeline::bgp::Speaker speaker(io, parsed.config, speaker_options,
                                  std::make_unique<ridgeline::bgp::LoggingRouteSink>());
  std::string error;
  if (!speaker.start(error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  ridgeline::bgp::ApiServer api(io, speaker);
  if (!api.start(options.run_dir, options.grpc_listen, error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  spdlog::info("bgpd {} running: AS {}, API on {}/bgpd.sock", ridgeline::kVersion, parsed.config.bgp->asn,
               options.run_dir);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                             int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      spdlog::warn("SIGHUP: configuration reload is not implemented yet; the running config stays");
      signals.async_wait(on_signal);
      return;
    }
    spdlog::info("signal {}: stopping", sig);
    speaker.stop();
    // Let the NOTIFICATIONs go out, then stop the loop.
    boost::asio::post(io, [&] { io.stop(); });
  };
  signals.async_wait(on_signal);
  io.run();
  api.stop();
  return 0;
}
