#include "bgpd/session/peer_settings.h"

namespace ridgeline::bgp {

std::optional<uint32_t> PeerSettings::expected_as() const {
  switch (remote_as.kind) {
    case config::RemoteAsKind::Number: return remote_as.asn;
    case config::RemoteAsKind::Internal: return local_as;
    case config::RemoteAsKind::External: return std::nullopt;
  }
  return std::nullopt;
}

const PeerAfSettings* PeerSettings::af_settings(config::Afi afi) const {
  auto it = af.find(afi);
  return it != af.end() && it->second.active ? &it->second : nullptr;
}

namespace {

// The neighbor's value, else the group's, else the fallback.
template <typename T>
T pick(const std::optional<T>& own, const std::optional<T>* group, T fallback) {
  if (own) return *own;
  if (group && *group) return **group;
  return fallback;
}

template <typename T>
std::optional<T> pick_optional(const std::optional<T>& own, const std::optional<T>* group) {
  if (own) return own;
  return group ? *group : std::nullopt;
}

}  // namespace

PeerSettings resolve_peer_settings(const config::Bgp& bgp, const config::Neighbor* neighbor,
                                   const config::Neighbor* group, const IpAddress& address) {
  static const config::Neighbor kEmpty;
  const config::Neighbor& n = neighbor ? *neighbor : kEmpty;
  const config::Neighbor* g = group;
  PeerSettings s;
  s.name = neighbor ? neighbor->name : address.to_string();
  s.address = address;
  s.peer_group = g ? std::optional<std::string>(g->name) : std::nullopt;
  s.dynamic = neighbor == nullptr;
  s.local_as = bgp.asn;
  s.remote_as = pick(n.remote_as, g ? &g->remote_as : nullptr, config::RemoteAs{config::RemoteAsKind::External, 0});
  s.description = pick_optional(n.description, g ? &g->description : nullptr);

  const config::Timers defaults = bgp.timers.value_or(config::Timers{60, 180});
  const config::Timers timers = pick(n.timers, g ? &g->timers : nullptr, defaults);
  s.fsm.hold_time = timers.hold;
  s.fsm.keepalive_time = timers.keepalive;
  s.fsm.connect_retry_time = pick(n.connect_retry, g ? &g->connect_retry : nullptr, uint16_t{120});
  // A peer from a listen range only ever comes to us.
  s.fsm.passive = s.dynamic || pick(n.passive, g ? &g->passive : nullptr, false);

  s.ebgp_multihop = pick_optional(n.ebgp_multihop, g ? &g->ebgp_multihop : nullptr);
  s.ttl_security_hops = pick_optional(n.ttl_security_hops, g ? &g->ttl_security_hops : nullptr);
  s.update_source = pick_optional(n.update_source, g ? &g->update_source : nullptr);
  s.password = pick_optional(n.password, g ? &g->password : nullptr);
  s.tcp_ao = pick_optional(n.tcp_ao, g ? &g->tcp_ao : nullptr);
  if (s.tcp_ao) s.password.reset();
  s.bfd = pick(n.bfd, g ? &g->bfd : nullptr, false);
  s.bfd_profile = pick_optional(n.bfd_profile, g ? &g->bfd_profile : nullptr);
  s.bfd_check_control_plane_failure =
      pick(n.bfd_check_control_plane_failure, g ? &g->bfd_check_control_plane_failure : nullptr, false);
  s.bfd_strict = pick(n.bfd_strict, g ? &g->bfd_strict : nullptr, false);
  s.shutdown = pick(n.shutdown, g ? &g->shutdown : nullptr, false);
  s.graceful_restart = pick(n.graceful_restart, g ? &g->graceful_restart : nullptr, bgp.graceful_restart);

  for (config::Afi afi : {config::Afi::Ipv4Unicast, config::Afi::Ipv6Unicast}) {
    static const config::NeighborAf kNone;
    auto own_it = n.af.find(afi);
    const config::NeighborAf& own = own_it != n.af.end() ? own_it->second : kNone;
    const config::NeighborAf* grp = nullptr;
    if (g) {
      auto it = g->af.find(afi);
      if (it != g->af.end()) grp = &it->second;
    }
    auto group_field = [&](auto member) { return grp ? &(grp->*member) : nullptr; };
    PeerAfSettings a;
    const bool default_active = afi == config::Afi::Ipv4Unicast && bgp.default_ipv4_unicast;
    a.active = pick(own.activate, group_field(&config::NeighborAf::activate), default_active);
    a.in.prefix_list = pick_optional(own.prefix_list_in, group_field(&config::NeighborAf::prefix_list_in));
    a.in.route_map = pick_optional(own.route_map_in, group_field(&config::NeighborAf::route_map_in));
    a.out.prefix_list = pick_optional(own.prefix_list_out, group_field(&config::NeighborAf::prefix_list_out));
    a.out.route_map = pick_optional(own.route_map_out, group_field(&config::NeighborAf::route_map_out));
    a.maximum_prefix = pick_optional(own.maximum_prefix, group_field(&config::NeighborAf::maximum_prefix));
    a.soft_reconfiguration_inbound =
        pick(own.soft_reconfiguration_inbound, group_field(&config::NeighborAf::soft_reconfiguration_inbound), false);
    a.next_hop_self = pick(own.next_hop_self, group_field(&config::NeighborAf::next_hop_self), false);
    a.route_reflector_client =
        pick(own.route_reflector_client, group_field(&config::NeighborAf::route_reflector_client), false);
    s.af[afi] = a;
  }
  return s;
}

const config::ListenRange* find_listen_range(const config::Bgp& bgp, const IpAddress& address) {
  const config::ListenRange* best = nullptr;
  for (const auto& r : bgp.listen_ranges) {
    if (r.prefix.contains(address) && (!best || r.prefix.length() > best->prefix.length())) best = &r;
  }
  return best;
}

SettingsChange compare_settings(const PeerSettings& before, const PeerSettings& after) {
  if (before == after) return SettingsChange::None;
  // `after` with everything a soft refresh (or the BFD client) applies taken from `before`: if
  // that equals `before`, only those changed.
  PeerSettings session = after;
  session.description = before.description;
  session.bfd = before.bfd;
  session.bfd_profile = before.bfd_profile;
  session.bfd_check_control_plane_failure = before.bfd_check_control_plane_failure;
  session.bfd_strict = before.bfd_strict;
  for (auto& [afi, af] : session.af) {
    auto it = before.af.find(afi);
    if (it == before.af.end()) continue;
    af.in = it->second.in;
    af.out = it->second.out;
    af.maximum_prefix = it->second.maximum_prefix;
    af.soft_reconfiguration_inbound = it->second.soft_reconfiguration_inbound;
    af.next_hop_self = it->second.next_hop_self;
    af.route_reflector_client = it->second.route_reflector_client;
  }
  if (!(session == before)) return SettingsChange::Session;
  const bool bfd_only = before.af == after.af && before.description == after.description;
  return bfd_only ? SettingsChange::None : SettingsChange::Policy;
}

}  // namespace ridgeline::bgp
