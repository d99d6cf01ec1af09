#include "bgpd/server/metrics.h"

#include "common/metrics.h"

namespace ridgeline::bgp {

std::string metrics_page(const Speaker& speaker, const fib::FibWriter* writer, const config::ConfigManager& config) {
  metrics::Text m;
  const auto now = std::chrono::system_clock::now();
  for (const PeerView& p : speaker.peers()) {
    const metrics::Labels n{{"neighbor", p.name}, {"peer_group", p.peer_group.value_or("")}};
    m.gauge("ridgeline_bgp_neighbor_up", "1 if the session is Established", n, p.state == State::Established);
    m.gauge("ridgeline_bgp_neighbor_state", "RFC 4271 state: 1 Idle .. 6 Established", n,
            static_cast<double>(p.state) + 1);
    m.gauge("ridgeline_bgp_neighbor_state_seconds", "Seconds in the current state", n,
            std::chrono::duration<double>(now - p.state_since).count());
    m.counter("ridgeline_bgp_neighbor_messages_received_total", "BGP messages received", n,
              static_cast<double>(p.counters.messages_in));
    m.counter("ridgeline_bgp_neighbor_messages_sent_total", "BGP messages sent", n,
              static_cast<double>(p.counters.messages_out));
    m.counter("ridgeline_bgp_neighbor_updates_received_total", "UPDATE messages received", n,
              static_cast<double>(p.counters.updates_in));
    m.counter("ridgeline_bgp_neighbor_updates_sent_total", "UPDATE messages sent", n,
              static_cast<double>(p.counters.updates_out));
    m.counter("ridgeline_bgp_neighbor_established_total", "Times the session reached Established", n,
              static_cast<double>(p.counters.established_count));
    for (const auto& [afi, count] : p.prefixes_received) {
      metrics::Labels a = n;
      a.emplace_back("afi", afi == config::Afi::Ipv4Unicast ? "ipv4-unicast" : "ipv6-unicast");
      m.gauge("ridgeline_bgp_neighbor_prefixes_received", "Prefixes the neighbor sent (Adj-RIB-In)", a,
              static_cast<double>(count));
      auto acc = p.prefixes_accepted.find(afi);
      m.gauge("ridgeline_bgp_neighbor_prefixes_accepted", "Prefixes accepted by inbound policy", a,
              acc == p.prefixes_accepted.end() ? 0 : static_cast<double>(acc->second));
    }
  }
  m.gauge("ridgeline_bgp_rib_prefixes", "Prefixes in the Loc-RIB", {},
          static_cast<double>(speaker.loc_rib().prefix_count()));
  m.gauge("ridgeline_bgp_rib_paths", "Paths in the Loc-RIB", {}, static_cast<double>(speaker.loc_rib().path_count()));
  m.counter("ridgeline_bgp_rib_paths_refused_total", "New paths not kept: their prefix had 65535 paths already", {},
            static_cast<double>(speaker.loc_rib().paths_refused()));
  m.counter("ridgeline_bgp_reads_parked_total", "Times a peer was not read on: fib pending-limit reached", {},
            static_cast<double>(speaker.reads_parked()));
  if (writer) {
    const fib::FibStatus s = writer->status();
    m.gauge("ridgeline_fib_routes", "Routes installed in the kernel", {}, static_cast<double>(s.stats.routes));
    m.gauge("ridgeline_fib_groups", "Nexthop groups installed", {}, static_cast<double>(s.stats.groups));
    m.gauge("ridgeline_fib_nexthops", "Nexthop objects installed", {}, static_cast<double>(s.stats.nexthops));
    m.gauge("ridgeline_fib_routes_waiting", "Routes waiting for a reachable next hop", {},
            static_cast<double>(s.stats.waiting));
    m.gauge("ridgeline_fib_pending_writes", "Change batches queued for the kernel writer", {},
            static_cast<double>(s.queued));
    m.gauge("ridgeline_fib_backlog_changes", "Route changes handed to the kernel writer, not yet written", {},
            static_cast<double>(writer->backlog()));
    m.counter("ridgeline_fib_changes_total", "Route changes received from the RIB", {}, static_cast<double>(s.changes));
    m.counter("ridgeline_fib_group_replaces_total", "Nexthop groups replaced in place", {},
              static_cast<double>(s.stats.group_replaces));
    m.counter("ridgeline_fib_reconciles_total", "Comparisons of the kernel with the RIB", {},
              static_cast<double>(s.reconciles));
    m.counter("ridgeline_fib_reconcile_drift_total", "Kernel objects repaired that changed outside Ridgeline", {},
              static_cast<double>(s.stats.drift));
    m.counter("ridgeline_fib_kernel_errors_total", "Kernel writes that failed", {},
              static_cast<double>(s.stats.kernel_errors));
    m.histogram("ridgeline_fib_write_latency_seconds", "Time to write one batch of changes to the kernel", {},
                s.write_latency);
  }
  m.counter("ridgeline_config_reloads_total", "Config reloads (SIGHUP)", {{"daemon", "bgpd"}, {"result", "success"}},
            static_cast<double>(config.reloads_succeeded()));
  m.counter("ridgeline_config_reloads_total", "Config reloads (SIGHUP)", {{"daemon", "bgpd"}, {"result", "failure"}},
            static_cast<double>(config.reloads_failed()));
  m.gauge("ridgeline_config_version", "The running config's version", {{"daemon", "bgpd"}},
          static_cast<double>(config.version()));
  return m.str();
}

}  // namespace ridgeline::bgp
