#pragma once
// One neighbor's effective settings: its own lines, then its peer-group's, then the router's
// defaults (`timers bgp`, `bgp default ipv4-unicast`), then FRR's built-in defaults.
#include <map>
#include <optional>
#include <string>

#include "bgpd/policy/policy.h"
#include "bgpd/session/fsm.h"
#include "common/config/model.h"

namespace ridgeline::bgp {

struct PeerAfSettings {
  bool active = false;
  policy::Filters in, out;
  std::optional<config::MaximumPrefix> maximum_prefix;
  bool soft_reconfiguration_inbound = false;
  bool next_hop_self = false;
  bool route_reflector_client = false;
  bool operator==(const PeerAfSettings&) const = default;
};

struct PeerSettings {
  std::string name;  // the address as configured, or as accepted from a listen range
  IpAddress address;
  std::optional<std::string> peer_group;
  bool dynamic = false;  // accepted through a listen range
  uint32_t local_as = 0;
  config::RemoteAs remote_as;
  std::optional<std::string> description;
  FsmConfig fsm;
  std::optional<uint8_t> ebgp_multihop;
  std::optional<uint8_t> ttl_security_hops;
  std::optional<std::string> update_source;
  std::optional<std::string> password;
  std::optional<tcp_ao::Key> tcp_ao;  // takes the place of an inherited password
  bool bfd = false;
  std::optional<std::string> bfd_profile;
  bool bfd_check_control_plane_failure = false;
  bool bfd_strict = false;
  bool shutdown = false;
  bool graceful_restart = false;
  std::map<config::Afi, PeerAfSettings> af;

  // The peer's AS when it is known from config (a number, or ours for `internal`).
  std::optional<uint32_t> expected_as() const;
  // eBGP unless remote-as is internal or our own AS; for `external` any other AS.
  bool is_ebgp(uint32_t peer_as) const { return peer_as != local_as; }
  const PeerAfSettings* af_settings(config::Afi afi) const;
  bool operator==(const PeerSettings&) const = default;
};

// What a config change means for a running session: nothing; only policy (filters, next-hop-self,
// route-reflector-client, maximum-prefix, soft-reconfiguration, description), which a soft refresh
// applies; or anything else (AS, timers, password, TTL, address families, ...), which needs a new
// session. BFD settings are neither: the caller (un)registers the BFD session, the BGP session stays.
enum class SettingsChange { None, Policy, Session };
SettingsChange compare_settings(const PeerSettings& before, const PeerSettings& after);

// `neighbor` is the neighbor's own block (nullptr for a dynamic peer, which has only its group).
PeerSettings resolve_peer_settings(const config::Bgp& bgp, const config::Neighbor* neighbor,
                                   const config::Neighbor* group, const IpAddress& address);

// The listen range a remote address falls in, most specific first.
const config::ListenRange* find_listen_range(const config::Bgp& bgp, const IpAddress& address);

}  // namespace ridgeline::bgp
