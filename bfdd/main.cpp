// bfdd: the BFD daemon. Reads the `bfd` block of ridgeline.conf, runs its sessions and those
// clients (bgpd) ask for on a thread of their own, and serves the gRPC API on RUN_DIR/bfdd.sock.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <thread>

#include "bfdd/server/api.h"
#include "bfdd/server/bfd_server.h"
#include "common/asio.h"
#include "common/config/manager.h"
#include "common/config/parser.h"
#include "common/daemon_options.h"
#include "common/metrics.h"
#include "common/metrics_http.h"
#include "common/privileges.h"
#include "common/signals.h"
#include "proto/ridgeline/config_service.h"
#include "ridgeline/version.h"

int main(int argc, char** argv) {
  CLI::App app{"Ridgeline BFD daemon"};
  ridgeline::DaemonOptions options;
  ridgeline::add_daemon_options(app, options);
  app.set_version_flag("--version", std::string("bfdd (ridgeline) ") + ridgeline::kVersion);
  CLI11_PARSE(app, argc, argv);

  auto parsed = ridgeline::config::load_config_file(options.config_file);
  for (const auto& w : parsed.warnings) std::cerr << w.to_string() << "\n";
  for (const auto& e : parsed.errors) std::cerr << e.to_string() << "\n";
  if (!parsed.ok()) return 1;
  if (options.check_only) return 0;
  if (!ridgeline::setup_logging(options, "bfdd")) return 2;
  ::mkdir(options.run_dir.c_str(), 0750);

  // The BFD thread: packets and timers only. gRPC posts to it; the main thread waits for signals.
  boost::asio::io_context io;
  ridgeline::bfd::BfdServer server(io, parsed.config);
  std::string error;
  if (!server.start(error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  ridgeline::config::ConfigManager config_manager(ridgeline::config::Daemon::Bfdd, options.config_file, parsed.config,
                                                  [&](const ridgeline::config::Config& next, std::string& message) {
                                                    message = server.reload(next);
                                                    return true;
                                                  });
  ridgeline::api::ConfigService config_service(io, config_manager);
  ridgeline::bfd::ApiServer api(io, server);
  if (!api.start(options.run_dir, options.grpc, &config_service, error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  // --metrics-listen: built on the BFD thread, like everything the sessions touch.
  ridgeline::metrics::HttpServer metrics(io, [&] {
    ridgeline::metrics::Text m;
    for (const auto& v : server.sessions()) {
      const ridgeline::metrics::Labels l{{"peer", v.key.peer.to_string()},
                                         {"local", v.key.local ? v.key.local->to_string() : ""},
                                         {"interface", v.key.interface},
                                         {"multihop", v.key.multihop ? "true" : "false"}};
      m.gauge("ridgeline_bfd_session_up", "1 if the session is Up", l, v.state == ridgeline::bfd::State::Up);
      m.gauge("ridgeline_bfd_session_state", "RFC 5880 state: 0 AdminDown, 1 Down, 2 Init, 3 Up", l,
              static_cast<double>(v.state));
      m.counter("ridgeline_bfd_session_down_total", "Times the session went Down from Up (detections)", l,
                static_cast<double>(v.counters.down));
      m.counter("ridgeline_bfd_session_up_total", "Times the session came Up", l, static_cast<double>(v.counters.up));
      m.counter("ridgeline_bfd_packets_received_total", "Control packets received", l,
                static_cast<double>(v.counters.packets_in));
      m.counter("ridgeline_bfd_packets_sent_total", "Control packets sent", l,
                static_cast<double>(v.counters.packets_out));
      m.gauge("ridgeline_bfd_detection_time_seconds", "Negotiated detection time", l,
              std::chrono::duration<double>(v.detection_time).count());
    }
    uint64_t discarded = 0;
    for (uint64_t n : server.discarded()) discarded += n;
    m.counter("ridgeline_bfd_packets_discarded_total", "Packets discarded (RFC 5880 6.8.6)", {},
              static_cast<double>(discarded));
    for (const char* result : {"success", "failure"}) {
      m.counter("ridgeline_config_reloads_total", "Config reloads (SIGHUP)", {{"daemon", "bfdd"}, {"result", result}},
                static_cast<double>(std::string(result) == "success" ? config_manager.reloads_succeeded()
                                                                     : config_manager.reloads_failed()));
    }
    return m.str();
  });
  if (!options.metrics_listen.empty() && !metrics.start(options.metrics_listen, error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  // Every socket is open (BGP/BFD, netlink, API, metrics): keep only the network capabilities.
  if (!ridgeline::keep_only_network_capabilities(error)) spdlog::warn("capabilities: {}", error);
  spdlog::info("bfdd {} running: {} configured sessions, API on {}/bfdd.sock", ridgeline::kVersion,
               parsed.config.bfd ? parsed.config.bfd->peers.size() : 0, options.run_dir);
  // AdminDown to every peer before the loop ends.
  ridgeline::StopSignals signals(
      io, [&] { server.stop(); }, [&] { config_service.reload_file(); });
  std::thread bfd_thread([&] { io.run(); });
  bfd_thread.join();
  api.stop();
  return 0;
}
