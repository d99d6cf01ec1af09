#pragma once
// The configuration as plain data: what `ridgeline.conf` (a subset of FRR's frr.conf) says.
// The parser fills it; the printer writes it back as canonical text; the daemons read it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/community.h"
#include "common/net.h"
#include "common/tcp_ao.h"

namespace ridgeline::config {

enum class Action : uint8_t { Permit, Deny };

// ---- policy objects -------------------------------------------------------------------------

struct PrefixListEntry {
  uint32_t seq = 0;
  Action action = Action::Permit;
  Prefix prefix;
  bool any = false;  // `any`: every prefix of the family
  std::optional<uint8_t> ge, le;
  bool operator==(const PrefixListEntry&) const = default;
};

struct PrefixList {
  Family family = Family::V4;
  std::vector<PrefixListEntry> entries;  // ascending seq
  bool operator==(const PrefixList&) const = default;
};

struct CommunityListEntry {
  Action action = Action::Permit;
  std::vector<uint32_t> communities;  // all must be present
  bool operator==(const CommunityListEntry&) const = default;
};

using ridgeline::LargeCommunity;

struct LargeCommunityListEntry {
  Action action = Action::Permit;
  std::vector<LargeCommunity> communities;
  bool operator==(const LargeCommunityListEntry&) const = default;
};

struct RouteMapEntry {
  uint32_t seq = 0;
  Action action = Action::Permit;
  // match clauses: all must hold
  std::optional<std::string> match_prefix_list_v4;
  std::optional<std::string> match_prefix_list_v6;
  std::optional<std::string> match_community;
  bool match_community_exact = false;
  std::optional<std::string> match_large_community;
  bool match_large_community_exact = false;
  // set clauses: applied on a permit
  std::optional<uint32_t> set_local_pref;
  std::optional<uint32_t> set_metric;
  bool set_community_none = false;
  std::optional<std::vector<uint32_t>> set_community;
  bool set_community_additive = false;
  std::optional<std::vector<LargeCommunity>> set_large_community;
  bool set_large_community_additive = false;
  bool set_large_community_none = false;
  bool operator==(const RouteMapEntry&) const = default;
};

struct RouteMap {
  std::vector<RouteMapEntry> entries;  // ascending seq
  bool operator==(const RouteMap&) const = default;
};

// ---- router bgp -----------------------------------------------------------------------------

enum class RemoteAsKind : uint8_t { Number, Internal, External };
struct RemoteAs {
  RemoteAsKind kind = RemoteAsKind::Number;
  uint32_t asn = 0;
  bool operator==(const RemoteAs&) const = default;
};

struct MaximumPrefix {
  uint32_t limit = 0;
  std::optional<uint8_t> threshold_percent;
  bool warning_only = false;
  std::optional<uint32_t> restart_minutes;
  bool operator==(const MaximumPrefix&) const = default;
};

// Per neighbor (or peer-group) settings inside an address family. Unset fields inherit from
// the peer-group.
struct NeighborAf {
  std::optional<bool> activate;
  std::optional<std::string> route_map_in, route_map_out;
  std::optional<std::string> prefix_list_in, prefix_list_out;
  std::optional<MaximumPrefix> maximum_prefix;
  std::optional<bool> soft_reconfiguration_inbound;
  std::optional<bool> next_hop_self;
  std::optional<bool> route_reflector_client;
  bool operator==(const NeighborAf&) const = default;
};

enum class Afi : uint8_t { Ipv4Unicast, Ipv6Unicast };

struct Network {
  Prefix prefix;
  std::optional<std::string> route_map;
  bool operator==(const Network&) const = default;
};

struct AddressFamily {
  std::optional<uint32_t> maximum_paths;  // eBGP
  std::optional<uint32_t> maximum_paths_ibgp;
  std::vector<Network> networks;
  bool operator==(const AddressFamily&) const = default;
};

struct Timers {
  uint16_t keepalive = 0;
  uint16_t hold = 0;
  bool operator==(const Timers&) const = default;
};

// A neighbor by address, or a peer-group by name (is_peer_group). Unset fields inherit.
struct Neighbor {
  std::string name;  // the address as written, or the group name
  bool is_peer_group = false;
  std::optional<std::string> peer_group;  // the group this neighbor belongs to
  std::optional<RemoteAs> remote_as;
  std::optional<std::string> description;
  std::optional<Timers> timers;
  std::optional<uint16_t> connect_retry;
  std::optional<bool> passive;
  std::optional<uint8_t> ebgp_multihop;  // 255 for `ebgp-multihop` alone
  std::optional<uint8_t> ttl_security_hops;
  std::optional<std::string> update_source;
  std::optional<std::string> password;
  std::optional<tcp_ao::Key> tcp_ao;  // RFC 5925; excludes `password`
  std::optional<bool> bfd;
  std::optional<std::string> bfd_profile;
  std::optional<bool> bfd_check_control_plane_failure;
  std::optional<bool> bfd_strict;
  std::optional<bool> shutdown;
  std::optional<bool> graceful_restart;
  std::map<Afi, NeighborAf> af;
  bool operator==(const Neighbor&) const = default;
};

struct ListenRange {
  Prefix prefix;
  std::string peer_group;
  bool operator==(const ListenRange&) const = default;
};

// What one peer may send, beyond the RFCs' own limits (Ridgeline's `bgp limit` lines).
struct BgpLimits {
  // `bgp limit message-size N` (4096-65535): above 4096 RFC 8654 extended messages are announced,
  // and a message longer than N gets 1/2 (Bad Message Length) as a longer one than 4096 would.
  uint32_t message_size = 4096;
  // `bgp limit attributes N`: path attributes in one UPDATE; more is treat-as-withdraw.
  uint32_t attributes = 64;
  // `bgp limit communities N`: COMMUNITIES + EXTENDED_COMMUNITIES + LARGE_COMMUNITIES values in one
  // UPDATE; more is treat-as-withdraw.
  uint32_t communities = 4096;
  bool operator==(const BgpLimits&) const = default;
};

struct Bgp {
  uint32_t asn = 0;
  std::optional<IpAddress> router_id;
  bool ebgp_requires_policy = true;  // RFC 8212
  bool default_ipv4_unicast = true;
  bool always_compare_med = false;
  bool multipath_relax = false;
  std::optional<Timers> timers;
  bool graceful_restart = false;
  uint16_t graceful_restart_time = 120;
  uint16_t graceful_restart_stalepath_time = 360;
  uint32_t listen_limit = 5000;
  BgpLimits limits;
  std::optional<uint32_t> maxas_limit;  // `bgp maxas-limit N`: longer AS_PATHs are not accepted
  std::vector<ListenRange> listen_ranges;
  std::vector<Neighbor> neighbors;  // peer-groups and neighbors, in the order defined
  std::map<Afi, AddressFamily> af;
  bool operator==(const Bgp&) const = default;

  Neighbor* find_neighbor(const std::string& name);
  const Neighbor* find_neighbor(const std::string& name) const;
};

// ---- bfd ------------------------------------------------------------------------------------

// Knobs shared by profiles and peers; unset fields take the profile's value, then the default.
struct BfdTimers {
  std::optional<uint32_t> receive_interval_ms;
  std::optional<uint32_t> transmit_interval_ms;
  std::optional<uint8_t> detect_multiplier;
  std::optional<bool> passive_mode;
  std::optional<uint8_t> minimum_ttl;
  std::optional<bool> shutdown;
  std::optional<bool> echo_mode;
  std::optional<uint32_t> echo_interval_ms;
  bool operator==(const BfdTimers&) const = default;
};

struct BfdProfile {
  std::string name;
  BfdTimers timers;
  bool operator==(const BfdProfile&) const = default;
};

struct BfdPeer {
  IpAddress address;
  bool multihop = false;
  std::optional<IpAddress> local_address;
  std::optional<std::string> interface;
  std::optional<std::string> profile;
  BfdTimers timers;
  bool operator==(const BfdPeer&) const = default;
};

struct Bfd {
  std::vector<BfdProfile> profiles;
  std::vector<BfdPeer> peers;
  bool operator==(const Bfd&) const = default;
};

// ---- fib (Ridgeline's own block: how routes reach the kernel) ----------------------------------

// `resilient-groups ipv4|ipv6 [buckets N] [idle-timer S]`: nexthop groups of that family are
// resilient (kernel >= 5.13), so a next hop leaving does not rehash the flows of the others.
struct ResilientGroups {
  uint16_t buckets = 128;
  uint32_t idle_timer_s = 120;
  bool operator==(const ResilientGroups&) const = default;
};

struct Fib {
  uint32_t table = 254;  // `table N`: main by default
  uint32_t metric = 20;
  uint32_t coalesce_window_ms = 5;  // `coalesce-window MS`
  // `bulk-hold MS`: while a table arrives in bulk (thousands of changes, more within 50 ms), the
  // window slides up to MS so that the kernel takes it in one batch in its best order; 0: off.
  uint32_t bulk_hold_ms = 3000;
  uint32_t reconcile_interval_s = 60;    // `reconcile-interval S`: compare with the kernel, repair drift
  uint32_t convergence_timeout_s = 120;  // `convergence-timeout S`: longest wait for End-of-RIB after a start
  // `pending-limit N`: route changes handed to the kernel writer and not yet taken by it. At N,
  // bgpd stops reading from peers (TCP pushes back on them) until half of them are taken. The
  // writer takes changes between flushes, so a queue of N is enough to keep the kernel busy.
  uint32_t pending_limit = 100000;
  std::optional<ResilientGroups> resilient_v4, resilient_v6;
  bool multipath_routes = false;  // `multipath-routes`: RTA_MULTIPATH routes instead of nexthop objects
  // `kernel nexthop-compat-mode off`: sets net.ipv4.nexthop_compat_mode=0 in bgpd's namespace, so
  // that replacing a group does not walk every route using it to notify listeners (a 100k-route
  // group replace: ~0.3 ms instead of ~100 ms). Other route listeners then see nexthop changes only.
  bool nexthop_compat_off = false;
  bool operator==(const Fib&) const = default;
};

// ---- the whole file -------------------------------------------------------------------------

struct Config {
  std::optional<std::string> hostname;
  std::optional<std::string> frr_version;   // `frr version X`, kept for round trips
  std::optional<std::string> frr_defaults;  // `frr defaults traditional|datacenter`
  std::vector<std::string> log_lines;       // `log ...`, kept verbatim
  bool integrated_vtysh_config = false;
  std::map<std::string, PrefixList> prefix_lists_v4;
  std::map<std::string, PrefixList> prefix_lists_v6;
  std::map<std::string, std::vector<CommunityListEntry>> community_lists;
  std::map<std::string, std::vector<LargeCommunityListEntry>> large_community_lists;
  std::map<std::string, RouteMap> route_maps;
  std::optional<Bgp> bgp;
  std::optional<Bfd> bfd;
  std::optional<Fib> fib;
  bool operator==(const Config&) const = default;
};

}  // namespace ridgeline::config
