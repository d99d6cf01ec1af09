// bgpd: the BGP daemon. Reads the `router bgp` part of ridgeline.conf, runs the sessions and
// the Loc-RIB on one io_context thread, and serves the gRPC API on RUN_DIR/bgpd.sock.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <iostream>

#include "bgpd/server/api.h"
#include "bgpd/server/fib_sink.h"
#include "bgpd/server/metrics.h"
#include "bgpd/server/speaker.h"
#include "common/asio.h"
#include "common/config/manager.h"
#include "common/config/parser.h"
#include "common/daemon_options.h"
#include "common/metrics_http.h"
#include "common/privileges.h"
#include "common/signals.h"
#include "fib/link_monitor.h"
#include "fib/netlink_kernel.h"
#include "fib/writer.h"
#include "proto/ridgeline/config_service.h"
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
  std::string error;
  // The kernel FIB: a writer thread over netlink, unless --no-fib.
  const ridgeline::config::Fib fib_config = parsed.config.fib.value_or(ridgeline::config::Fib{});
  std::unique_ptr<ridgeline::fib::NetlinkKernel> kernel;
  std::unique_ptr<ridgeline::fib::LinkMonitor> links;
  std::unique_ptr<ridgeline::fib::FibWriter> writer;
  std::unique_ptr<ridgeline::bgp::RouteSink> sink = std::make_unique<ridgeline::bgp::LoggingRouteSink>();
  std::set<ridgeline::IpAddress> adopted_gateways;
  if (no_fib) {
    spdlog::info("--no-fib: the kernel FIB is left alone");
  } else {
    if (fib_config.nexthop_compat_off) {
      // Only with nexthop objects; the sysctl is per network namespace.
      std::ofstream sysctl("/proc/sys/net/ipv4/nexthop_compat_mode");
      sysctl << "0\n";
      sysctl.flush();
      if (sysctl) {
        spdlog::info("fib: net.ipv4.nexthop_compat_mode=0 (kernel nexthop-compat-mode off)");
      } else {
        spdlog::warn("fib: cannot set net.ipv4.nexthop_compat_mode=0; group replaces notify every route");
      }
    }
    kernel = std::make_unique<ridgeline::fib::NetlinkKernel>(fib_config.table, fib_config.metric);
    links = std::make_unique<ridgeline::fib::LinkMonitor>();
    if (!kernel->open(error, fib_config.multipath_routes) || !links->open(error)) {
      spdlog::critical("fib: {}", error);
      return 1;
    }
    ridgeline::fib::ProgrammerOptions programmer;
    auto resilient = [](const auto& r) {
      return r ? std::optional<ridgeline::fib::ResilientOptions>({r->buckets, r->idle_timer_s}) : std::nullopt;
    };
    programmer.resilient_v4 = resilient(fib_config.resilient_v4);
    programmer.resilient_v6 = resilient(fib_config.resilient_v6);
    ridgeline::fib::WriterOptions writer_options;
    writer_options.coalesce_window = std::chrono::milliseconds(fib_config.coalesce_window_ms);
    writer_options.bulk_hold = std::chrono::milliseconds(fib_config.bulk_hold_ms);
    writer_options.reconcile_interval = std::chrono::seconds(fib_config.reconcile_interval_s);
    writer_options.convergence_timeout = std::chrono::seconds(fib_config.convergence_timeout_s);
    const bool multipath = kernel->mode() == ridgeline::fib::NetlinkKernel::Mode::MultipathRoutes;
    writer = std::make_unique<ridgeline::fib::FibWriter>(*kernel, links.get(), programmer, writer_options,
                                                         multipath ? "multipath-routes" : "nexthop-objects");
    adopted_gateways = writer->begin(ridgeline::fib::FibWriter::Clock::now());
    writer->start();
    sink = std::make_unique<ridgeline::bgp::FibRouteSink>(*writer);
  }
  ridgeline::bgp::SpeakerOptions speaker_options{bgp_port, bgp_listen};
  ridgeline::bgp::Speaker speaker(io, parsed.config, speaker_options, std::move(sink));
  speaker.expect_end_of_rib_from(adopted_gateways);
  // BFD through bfdd, for neighbors (or peer-groups) with `neighbor X bfd`.
  std::unique_ptr<ridgeline::bgp::BfdClient> bfd;
  const auto& neighbors = parsed.config.bgp->neighbors;
  if (std::any_of(neighbors.begin(), neighbors.end(), [](const auto& n) { return n.bfd.value_or(false); })) {
    bfd = std::make_unique<ridgeline::bgp::BfdClient>(
        io, options.run_dir, [&speaker](const ridgeline::bgp::BfdChange& c) { speaker.on_bfd(c); });
    speaker.set_bfd(bfd.get());
    bfd->start();
  }
  if (!speaker.start(error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  // The config lifecycle (SIGHUP, and the API's validate/apply/confirm): the difference applied,
  // sessions it does not touch untouched.
  auto apply = [&](const ridgeline::config::Config& next, std::string& message) {
    if (!no_fib && next.fib.value_or(ridgeline::config::Fib{}) != fib_config)
      spdlog::warn("config: the fib block changed; it takes effect at the next start of bgpd");
    const auto& n = next.bgp ? next.bgp->neighbors : decltype(next.bgp->neighbors){};
    if (!bfd && std::any_of(n.begin(), n.end(), [](const auto& x) { return x.bfd.value_or(false); })) {
      bfd = std::make_unique<ridgeline::bgp::BfdClient>(
          io, options.run_dir, [&speaker](const ridgeline::bgp::BfdChange& c) { speaker.on_bfd(c); });
      speaker.set_bfd(bfd.get());
      bfd->start();
    }
    ridgeline::bgp::Speaker::ReloadSummary summary;
    if (!speaker.reload(next, summary, message)) return false;
    message = summary.to_string();
    return true;
  };
  ridgeline::config::ConfigManager config_manager(ridgeline::config::Daemon::Bgpd, options.config_file, parsed.config,
                                                  apply);
  ridgeline::api::ConfigService config_service(io, config_manager);
  ridgeline::bgp::ApiServer api(io, speaker, {writer.get(), fib_config.table, fib_config.metric});
  if (!api.start(options.run_dir, options.grpc, &config_service, error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  ridgeline::metrics::HttpServer metrics(
      io, [&] { return ridgeline::bgp::metrics_page(speaker, writer.get(), config_manager); });
  if (!options.metrics_listen.empty() && !metrics.start(options.metrics_listen, error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  // Every socket is open (BGP/BFD, netlink, API, metrics): keep only the network capabilities.
  if (!ridgeline::keep_only_network_capabilities(error)) spdlog::warn("capabilities: {}", error);
  spdlog::info("bgpd {} running: AS {}, API on {}/bgpd.sock", ridgeline::kVersion, parsed.config.bgp->asn,
               options.run_dir);

  // Stops the sessions; the NOTIFICATIONs go out before the loop ends.
  ridgeline::StopSignals signals(
      io, [&] { speaker.stop(); }, [&] { config_service.reload_file(); });
  io.run();
  if (bfd) bfd->stop();
  api.stop();
  // With graceful restart configured the kernel keeps our routes across the restart; without it
  // they go, as FRR's zebra removes its routes on a clean stop.
  if (writer) writer->stop(speaker.config().bgp->graceful_restart);
  return 0;
}
