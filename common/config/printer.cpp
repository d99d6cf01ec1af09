// Canonical text for a Config, in FRR's running-config order and wording.
#include <sstream>

#include "common/config/parser.h"

namespace ridgeline::config {
namespace {

const char* action(Action a) {
  return a == Action::Permit ? "permit" : "deny";
}

void print_prefix_lists(std::ostringstream& out, const std::map<std::string, PrefixList>& lists, const char* kw) {
  for (const auto& [name, list] : lists) {
    for (const auto& e : list.entries) {
      out << kw << " prefix-list " << name << " seq " << e.seq << " " << action(e.action) << " "
          << (e.any ? "any" : e.prefix.to_string());
      if (e.ge) out << " ge " << int(*e.ge);
      if (e.le) out << " le " << int(*e.le);
      out << "\n";
    }
  }
}

std::string join_communities(const std::vector<uint32_t>& cs) {
  std::string s;
  for (auto c : cs) s += (s.empty() ? "" : " ") + format_community(c);
  return s;
}

std::string join_large(const std::vector<LargeCommunity>& cs) {
  std::string s;
  for (const auto& c : cs) s += (s.empty() ? "" : " ") + format_large_community(c);
  return s;
}

const char* afi_name(Afi afi) {
  return afi == Afi::Ipv4Unicast ? "ipv4 unicast" : "ipv6 unicast";
}

void print_timers(std::ostringstream& out, const std::string& prefix, const Timers& t) {
  out << prefix << "timers " << t.keepalive << " " << t.hold << "\n";
}

void print_neighbor(std::ostringstream& out, const Neighbor& n) {
  const std::string p = " neighbor " + n.name + " ";
  if (n.is_peer_group) out << p << "peer-group\n";
  if (n.remote_as) {
    out << p << "remote-as ";
    switch (n.remote_as->kind) {
      case RemoteAsKind::Internal: out << "internal"; break;
      case RemoteAsKind::External: out << "external"; break;
      case RemoteAsKind::Number: out << n.remote_as->asn; break;
    }
    out << "\n";
  }
  if (n.peer_group) out << p << "peer-group " << *n.peer_group << "\n";
  if (n.description) out << p << "description " << *n.description << "\n";
  if (n.shutdown.value_or(false)) out << p << "shutdown\n";
  if (n.password) out << p << "password " << *n.password << "\n";
  if (n.tcp_ao) {
    out << p << "tcp-ao algorithm " << tcp_ao::config_name(n.tcp_ao->algorithm) << " send-id " << int(n.tcp_ao->send_id)
        << " recv-id " << int(n.tcp_ao->recv_id) << " key " << n.tcp_ao->secret << "\n";
  }
  if (n.passive.value_or(false)) out << p << "passive\n";
  if (n.ebgp_multihop) {
    out << p << "ebgp-multihop";
    if (*n.ebgp_multihop != 255) out << " " << int(*n.ebgp_multihop);
    out << "\n";
  }
  if (n.ttl_security_hops) out << p << "ttl-security hops " << int(*n.ttl_security_hops) << "\n";
  if (n.update_source) out << p << "update-source " << *n.update_source << "\n";
  if (n.bfd.value_or(false)) {
    out << p << "bfd";
    if (n.bfd_profile) out << " profile " << *n.bfd_profile;
    out << "\n";
  }
  if (n.bfd_check_control_plane_failure.value_or(false)) out << p << "bfd check-control-plane-failure\n";
  if (n.bfd_strict.value_or(false)) out << p << "bfd strict\n";
  if (n.graceful_restart.value_or(false)) out << p << "graceful-restart\n";
  if (n.timers) print_timers(out, p, *n.timers);
  if (n.connect_retry) out << p << "timers connect " << *n.connect_retry << "\n";
}

void print_neighbor_af(std::ostringstream& out, const Neighbor& n, const NeighborAf& af) {
  const std::string p = "  neighbor " + n.name + " ";
  if (af.activate) out << (*af.activate ? "  " : "  no ") << "neighbor " << n.name << " activate\n";
  if (af.next_hop_self.value_or(false)) out << p << "next-hop-self\n";
  if (af.route_reflector_client.value_or(false)) out << p << "route-reflector-client\n";
  if (af.soft_reconfiguration_inbound.value_or(false)) out << p << "soft-reconfiguration inbound\n";
  if (af.prefix_list_in) out << p << "prefix-list " << *af.prefix_list_in << " in\n";
  if (af.prefix_list_out) out << p << "prefix-list " << *af.prefix_list_out << " out\n";
  if (af.route_map_in) out << p << "route-map " << *af.route_map_in << " in\n";
  if (af.route_map_out) out << p << "route-map " << *af.route_map_out << " out\n";
  if (af.maximum_prefix) {
    const auto& mp = *af.maximum_prefix;
    out << p << "maximum-prefix " << mp.limit;
    if (mp.threshold_percent) out << " " << int(*mp.threshold_percent);
    if (mp.warning_only) out << " warning-only";
    if (mp.restart_minutes) out << " restart " << *mp.restart_minutes;
    out << "\n";
  }
}

void print_bgp(std::ostringstream& out, const Bgp& b) {
  out << "router bgp " << b.asn << "\n";
  if (b.router_id) out << " bgp router-id " << b.router_id->to_string() << "\n";
  if (!b.ebgp_requires_policy) out << " no bgp ebgp-requires-policy\n";
  if (!b.default_ipv4_unicast) out << " no bgp default ipv4-unicast\n";
  if (b.always_compare_med) out << " bgp always-compare-med\n";
  if (b.multipath_relax) out << " bgp bestpath as-path multipath-relax\n";
  if (b.graceful_restart) out << " bgp graceful-restart\n";
  if (b.graceful_restart_time != 120) out << " bgp graceful-restart restart-time " << b.graceful_restart_time << "\n";
  if (b.graceful_restart_stalepath_time != 360) {
    out << " bgp graceful-restart stalepath-time " << b.graceful_restart_stalepath_time << "\n";
  }
  if (b.timers) out << " timers bgp " << b.timers->keepalive << " " << b.timers->hold << "\n";
  if (b.listen_limit != 5000) out << " bgp listen limit " << b.listen_limit << "\n";
  if (b.maxas_limit) out << " bgp maxas-limit " << *b.maxas_limit << "\n";
  const BgpLimits defaults;
  if (b.limits.message_size != defaults.message_size)
    out << " bgp limit message-size " << b.limits.message_size << "\n";
  if (b.limits.attributes != defaults.attributes) out << " bgp limit attributes " << b.limits.attributes << "\n";
  if (b.limits.communities != defaults.communities) out << " bgp limit communities " << b.limits.communities << "\n";
  for (const auto& r : b.listen_ranges)
    out << " bgp listen range " << r.prefix.to_string() << " peer-group " << r.peer_group << "\n";
  for (const auto& n : b.neighbors) print_neighbor(out, n);
  for (Afi afi : {Afi::Ipv4Unicast, Afi::Ipv6Unicast}) {
    const auto it = b.af.find(afi);
    bool any_neighbor = false;
    for (const auto& n : b.neighbors) any_neighbor |= n.af.count(afi) > 0;
    if (it == b.af.end() && !any_neighbor) continue;
    out << " !\n address-family " << afi_name(afi) << "\n";
    if (it != b.af.end()) {
      for (const auto& net : it->second.networks) {
        out << "  network " << net.prefix.to_string();
        if (net.route_map) out << " route-map " << *net.route_map;
        out << "\n";
      }
    }
    for (const auto& n : b.neighbors) {
      if (auto a = n.af.find(afi); a != n.af.end()) print_neighbor_af(out, n, a->second);
    }
    if (it != b.af.end()) {
      if (it->second.maximum_paths) out << "  maximum-paths " << *it->second.maximum_paths << "\n";
      if (it->second.maximum_paths_ibgp) out << "  maximum-paths ibgp " << *it->second.maximum_paths_ibgp << "\n";
    }
    out << " exit-address-family\n";
  }
  out << "exit\n!\n";
}

void print_bfd_timers(std::ostringstream& out, const BfdTimers& t, const char* indent) {
  if (t.detect_multiplier) out << indent << "detect-multiplier " << int(*t.detect_multiplier) << "\n";
  if (t.receive_interval_ms) out << indent << "receive-interval " << *t.receive_interval_ms << "\n";
  if (t.transmit_interval_ms) out << indent << "transmit-interval " << *t.transmit_interval_ms << "\n";
  if (t.echo_interval_ms) out << indent << "echo-interval " << *t.echo_interval_ms << "\n";
  if (t.echo_mode.value_or(false)) out << indent << "echo-mode\n";
  if (t.passive_mode.value_or(false)) out << indent << "passive-mode\n";
  if (t.minimum_ttl) out << indent << "minimum-ttl " << int(*t.minimum_ttl) << "\n";
  if (t.shutdown) out << indent << (*t.shutdown ? "shutdown" : "no shutdown") << "\n";
}

}  // namespace

std::string print_config(const Config& c) {
  std::ostringstream out;
  if (c.frr_version) out << "frr version " << *c.frr_version << "\n";
  if (c.frr_defaults) out << "frr defaults " << *c.frr_defaults << "\n";
  if (c.hostname) out << "hostname " << *c.hostname << "\n";
  for (const auto& l : c.log_lines) out << l << "\n";
  if (c.integrated_vtysh_config) out << "service integrated-vtysh-config\n";
  out << "!\n";
  if (c.bgp) print_bgp(out, *c.bgp);
  print_prefix_lists(out, c.prefix_lists_v4, "ip");
  print_prefix_lists(out, c.prefix_lists_v6, "ipv6");
  if (!c.prefix_lists_v4.empty() || !c.prefix_lists_v6.empty()) out << "!\n";
  for (const auto& [name, entries] : c.community_lists) {
    for (const auto& e : entries)
      out << "bgp community-list standard " << name << " " << action(e.action) << " " << join_communities(e.communities)
          << "\n";
  }
  for (const auto& [name, entries] : c.large_community_lists) {
    for (const auto& e : entries)
      out << "bgp large-community-list standard " << name << " " << action(e.action) << " " << join_large(e.communities)
          << "\n";
  }
  if (!c.community_lists.empty() || !c.large_community_lists.empty()) out << "!\n";
  for (const auto& [name, map] : c.route_maps) {
    for (const auto& e : map.entries) {
      out << "route-map " << name << " " << action(e.action) << " " << e.seq << "\n";
      if (e.match_prefix_list_v4) out << " match ip address prefix-list " << *e.match_prefix_list_v4 << "\n";
      if (e.match_prefix_list_v6) out << " match ipv6 address prefix-list " << *e.match_prefix_list_v6 << "\n";
      if (e.match_community)
        out << " match community " << *e.match_community << (e.match_community_exact ? " exact-match" : "") << "\n";
      if (e.match_large_community) {
        out << " match large-community " << *e.match_large_community
            << (e.match_large_community_exact ? " exact-match" : "") << "\n";
      }
      if (e.set_local_pref) out << " set local-preference " << *e.set_local_pref << "\n";
      if (e.set_metric) out << " set metric " << *e.set_metric << "\n";
      if (e.set_community_none) out << " set community none\n";
      if (e.set_community)
        out << " set community " << join_communities(*e.set_community) << (e.set_community_additive ? " additive" : "")
            << "\n";
      if (e.set_large_community_none) out << " set large-community none\n";
      if (e.set_large_community) {
        out << " set large-community " << join_large(*e.set_large_community)
            << (e.set_large_community_additive ? " additive" : "") << "\n";
      }
      out << "exit\n!\n";
    }
  }
  if (c.bfd) {
    out << "bfd\n";
    for (const auto& p : c.bfd->profiles) {
      out << " profile " << p.name << "\n";
      print_bfd_timers(out, p.timers, "  ");
      out << " exit\n !\n";
    }
    for (const auto& p : c.bfd->peers) {
      out << " peer " << p.address.to_string();
      if (p.multihop) out << " multihop";
      if (p.local_address) out << " local-address " << p.local_address->to_string();
      if (p.interface) out << " interface " << *p.interface;
      out << "\n";
      if (p.profile) out << "  profile " << *p.profile << "\n";
      print_bfd_timers(out, p.timers, "  ");
      out << " exit\n !\n";
    }
    out << "exit\n!\n";
  }
  if (c.fib) {
    const Fib& f = *c.fib;
    const Fib defaults;
    out << "fib\n";
    if (f.table != defaults.table) out << " table " << f.table << "\n";
    if (f.metric != defaults.metric) out << " metric " << f.metric << "\n";
    if (f.coalesce_window_ms != defaults.coalesce_window_ms) out << " coalesce-window " << f.coalesce_window_ms << "\n";
    if (f.bulk_hold_ms != defaults.bulk_hold_ms) out << " bulk-hold " << f.bulk_hold_ms << "\n";
    if (f.pending_limit != defaults.pending_limit) out << " pending-limit " << f.pending_limit << "\n";
    if (f.reconcile_interval_s != defaults.reconcile_interval_s)
      out << " reconcile-interval " << f.reconcile_interval_s << "\n";
    if (f.convergence_timeout_s != defaults.convergence_timeout_s)
      out << " convergence-timeout " << f.convergence_timeout_s << "\n";
    for (const auto& [name, r] : {std::pair{"ipv4", &f.resilient_v4}, std::pair{"ipv6", &f.resilient_v6}}) {
      if (*r)
        out << " resilient-groups " << name << " buckets " << (*r)->buckets << " idle-timer " << (*r)->idle_timer_s
            << "\n";
    }
    if (f.multipath_routes) out << " multipath-routes\n";
    if (f.nexthop_compat_off) out << " kernel nexthop-compat-mode off\n";
    out << "exit\n!\n";
  }
  return out.str();
}

}  // namespace ridgeline::config
