#pragma once
// BGP-4 messages as plain values, and the pure codec over byte spans.
//
// decode_*() never reads past the span it is given, never throws on bad input, and returns
// either the message or a WireError that carries its RFC 7606 outcome and, for a session
// reset, the NOTIFICATION that RFC 4271 §6 mandates. UPDATE errors that do not reset the
// session (treat-as-withdraw, attribute discard) are reported inside the decoded Update.
#include <algorithm>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bgpd/wire/constants.h"
#include "common/bytes.h"
#include "common/community.h"
#include "common/net.h"
#include "common/result.h"

namespace ridgeline::bgp {

struct AfiSafi {
  Afi afi = Afi::Ipv4;
  Safi safi = Safi::Unicast;
  auto operator<=>(const AfiSafi&) const = default;
  bool operator==(const AfiSafi&) const = default;
};
inline constexpr AfiSafi kIpv4Unicast{Afi::Ipv4, Safi::Unicast};
inline constexpr AfiSafi kIpv6Unicast{Afi::Ipv6, Safi::Unicast};
std::optional<Family> family_of(Afi afi);
std::string to_string(AfiSafi af);

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

// RFC 7606 §2: what the receiver does about a malformed message or attribute.
enum class ErrorAction : uint8_t {
  SessionReset,      // send the NOTIFICATION and close
  TreatAsWithdraw,   // withdraw every NLRI of the UPDATE, keep the session
  AttributeDiscard,  // drop the attribute, use the rest of the UPDATE
};
std::string_view to_string(ErrorAction action);

struct Notification {
  uint8_t code = 0;
  uint8_t subcode = 0;
  Bytes data;
  bool operator==(const Notification&) const = default;
};

struct WireError {
  ErrorAction action = ErrorAction::SessionReset;
  uint8_t code = 0;       // RFC 4271 §4.5 error code
  uint8_t subcode = 0;    // and subcode; for non-reset actions, the one RFC 4271 would have used
  Bytes data;             // NOTIFICATION data
  uint8_t attribute = 0;  // the attribute type at fault, 0 if none
  std::string reason;     // for logs

  Notification notification() const { return {code, subcode, data}; }
};

// ---------------------------------------------------------------------------------------------
// Header and framing (RFC 4271 §4.1)
// ---------------------------------------------------------------------------------------------

struct DecodeContext {
  bool four_octet_as = true;              // RFC 6793: both sides sent the capability
  bool extended_message = false;          // RFC 8654: both sides sent the capability
  bool ebgp = true;                       // for RFC 7606 §7.5 (LOCAL_PREF) and §7.2 (AS_CONFED_*)
  std::vector<AfiSafi> add_path_receive;  // RFC 7911: families whose NLRI carry a path id
  // The operator's limits (`bgp limit`): a longer message is 1/2; more attributes or community
  // values in an UPDATE are treat-as-withdraw.
  size_t message_size_limit = kMaxExtendedMessageSize;
  uint32_t max_attributes = 256;
  uint32_t max_communities = 0xffffffff;

  bool add_path(AfiSafi af) const;
  size_t max_message_size() const {
    return std::min(message_size_limit, extended_message ? kMaxExtendedMessageSize : kMaxMessageSize);
  }
};

struct Frame {
  MessageType type;
  ByteSpan body;  // the message after the 19-byte header
  size_t size;    // header + body
};

// Looks at the start of a byte stream. Returns nullopt while the whole message has not arrived.
// Header errors (marker 1/1, length 1/2, type 1/3) reset the session.
Result<std::optional<Frame>, WireError> next_frame(ByteSpan stream, const DecodeContext& ctx);

// ---------------------------------------------------------------------------------------------
// OPEN (RFC 4271 §4.2) and capabilities (RFC 5492)
// ---------------------------------------------------------------------------------------------

struct GracefulRestartCapability {  // RFC 4724 §3
  struct Family {
    AfiSafi af;
    bool forwarding_preserved = false;
    bool operator==(const Family&) const = default;
  };
  bool restarting = false;    // R bit
  bool notification = false;  // N bit, RFC 8538
  uint16_t restart_time = 0;  // seconds, 12 bits
  std::vector<Family> families;
  bool operator==(const GracefulRestartCapability&) const = default;
};

struct AddPathCapability {  // RFC 7911 §4
  static constexpr uint8_t kReceive = 1;
  static constexpr uint8_t kSend = 2;
  struct Family {
    AfiSafi af;
    uint8_t send_receive = 0;
    bool operator==(const Family&) const = default;
  };
  std::vector<Family> families;
  bool operator==(const AddPathCapability&) const = default;
};

struct FqdnCapability {
  std::string hostname;
  std::string domain;
  bool operator==(const FqdnCapability&) const = default;
};

struct RawCapability {
  uint8_t code = 0;
  Bytes value;
  bool operator==(const RawCapability&) const = default;
};

struct Capabilities {
  std::vector<AfiSafi> multiprotocol;
  bool route_refresh = false;
  bool route_refresh_cisco = false;
  bool enhanced_route_refresh = false;
  bool extended_message = false;
  std::optional<uint32_t> four_octet_as;
  std::optional<GracefulRestartCapability> graceful_restart;
  std::optional<AddPathCapability> add_path;
  std::optional<FqdnCapability> fqdn;
  std::vector<RawCapability> unknown;  // kept as bytes, never an error (RFC 5492 §3)
  bool operator==(const Capabilities&) const = default;
};

struct Open {
  uint8_t version = 4;
  uint16_t my_as = 0;  // the 2-octet field; AS_TRANS when the real AS is wider
  uint16_t hold_time = 0;
  uint32_t bgp_identifier = 0;
  Capabilities capabilities;
  bool extended_parameters = false;  // RFC 9072 format was (or must be) used on the wire

  // The speaker's AS: the 4-octet capability when present (RFC 6793 §4.1).
  uint32_t peer_as() const { return capabilities.four_octet_as.value_or(my_as); }
  bool operator==(const Open&) const = default;
};

// ---------------------------------------------------------------------------------------------
// UPDATE (RFC 4271 §4.3) and path attributes
// ---------------------------------------------------------------------------------------------

enum class Origin : uint8_t { Igp = 0, Egp = 1, Incomplete = 2 };

enum class SegmentType : uint8_t {
  Set = 1,
  Sequence = 2,
  ConfedSequence = 3,  // RFC 5065
  ConfedSet = 4,
};

struct AsPathSegment {
  SegmentType type = SegmentType::Sequence;
  std::vector<uint32_t> asns;
  bool operator==(const AsPathSegment&) const = default;
};

struct AsPath {
  std::vector<AsPathSegment> segments;

  // RFC 4271 §9.1.2.2 a): a set counts 1, confederation segments count 0 (RFC 5065 §5.3).
  size_t path_length() const;
  bool contains(uint32_t asn) const;
  std::optional<uint32_t> first_as() const;  // leftmost AS of a leading AS_SEQUENCE
  std::string to_string() const;             // "64500 {64501 64502}"
  bool operator==(const AsPath&) const = default;
};

struct Aggregator {
  uint32_t asn = 0;
  uint32_t address = 0;  // host order IPv4
  bool operator==(const Aggregator&) const = default;
};

using ridgeline::LargeCommunity;

struct RawAttribute {
  uint8_t flags = 0;
  uint8_t type = 0;
  Bytes value;
  bool operator==(const RawAttribute&) const = default;
};

// Every attribute except MP_REACH/MP_UNREACH, which carry NLRI and live in Update.
struct PathAttributes {
  std::optional<Origin> origin;
  std::optional<AsPath> as_path;   // always widened to 4-octet ASNs
  std::optional<AsPath> as4_path;  // RFC 6793, only meaningful from a 2-octet speaker
  std::optional<IpAddress> next_hop;
  std::optional<uint32_t> med;
  std::optional<uint32_t> local_pref;
  bool atomic_aggregate = false;
  std::optional<Aggregator> aggregator;
  std::optional<Aggregator> as4_aggregator;
  std::vector<uint32_t> communities;
  std::vector<uint64_t> ext_communities;
  std::vector<LargeCommunity> large_communities;
  std::optional<uint32_t> originator_id;
  std::vector<uint32_t> cluster_list;
  // Optional attributes without a typed field, in arrival order: passed on if transitive,
  // with the Partial bit set (RFC 4271 §5).
  std::vector<RawAttribute> other;
  bool operator==(const PathAttributes&) const = default;
};

struct Nlri {
  Prefix prefix;
  uint32_t path_id = 0;  // RFC 7911, 0 when add-path is not in use
  bool operator==(const Nlri&) const = default;
};

struct MpReach {  // RFC 4760 §3
  AfiSafi af;
  IpAddress next_hop;
  std::optional<IpAddress> link_local_next_hop;  // IPv6 next hop of 32 bytes (RFC 2545 §3)
  std::vector<Nlri> nlri;
  bool nlri_parsed = true;  // false for an AFI/SAFI whose NLRI format we do not know
  bool operator==(const MpReach&) const = default;
};

struct MpUnreach {  // RFC 4760 §4
  AfiSafi af;
  std::vector<Nlri> withdrawn;
  bool nlri_parsed = true;
  bool operator==(const MpUnreach&) const = default;
};

struct Update {
  std::vector<Nlri> withdrawn;  // IPv4 unicast
  PathAttributes attributes;
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  std::vector<Nlri> nlri;  // IPv4 unicast

  // RFC 7606: errors that kept the session. With treat_as_withdraw set, every NLRI in `nlri`
  // and `mp_reach` must be handled as withdrawn.
  bool treat_as_withdraw = false;
  std::vector<WireError> errors;

  // RFC 4724 §2: End-of-RIB is an UPDATE with nothing but (for non-IPv4) an empty MP_UNREACH.
  std::optional<AfiSafi> end_of_rib() const;
  bool operator==(const Update& o) const {
    return withdrawn == o.withdrawn && attributes == o.attributes && mp_reach == o.mp_reach &&
           mp_unreach == o.mp_unreach && nlri == o.nlri && treat_as_withdraw == o.treat_as_withdraw;
  }
};

// ---------------------------------------------------------------------------------------------
// ROUTE-REFRESH (RFC 2918, RFC 7313) and KEEPALIVE
// ---------------------------------------------------------------------------------------------

struct RouteRefresh {
  AfiSafi af;
  RefreshSubtype subtype = RefreshSubtype::Normal;  // unknown subtypes are kept; callers ignore them
  bool operator==(const RouteRefresh&) const = default;
};

struct Keepalive {
  bool operator==(const Keepalive&) const = default;
};

using Message = std::variant<Open, Update, Notification, Keepalive, RouteRefresh>;

// ---------------------------------------------------------------------------------------------
// Decoding. Bodies exclude the 19-byte header.
// ---------------------------------------------------------------------------------------------

Result<Open, WireError> decode_open(ByteSpan body);
Result<Update, WireError> decode_update(ByteSpan body, const DecodeContext& ctx);
Result<Notification, WireError> decode_notification(ByteSpan body);
Result<RouteRefresh, WireError> decode_route_refresh(ByteSpan body);
// One whole message, header included.
Result<Message, WireError> decode_message(ByteSpan message, const DecodeContext& ctx);

// Parses an NLRI field (RFC 4271 §4.3, RFC 7911 §3) and appends to `out`. False when a prefix
// length is too long or the field is cut short.
bool decode_prefixes(ByteSpan field, Family family, bool add_path, std::vector<Nlri>& out);

// A next hop that can name a host: not unspecified, loopback, multicast, 0/8 or 240/4.
bool valid_host_address(const IpAddress& address);

// ---------------------------------------------------------------------------------------------
// Encoding. Every encoder returns one whole message, header included.
// ---------------------------------------------------------------------------------------------

struct EncodeContext {
  bool four_octet_as = true;
  bool extended_message = false;
  std::vector<AfiSafi> add_path_send;
  bool add_path(AfiSafi af) const;
  size_t max_message_size() const { return extended_message ? kMaxExtendedMessageSize : kMaxMessageSize; }
};

Bytes encode_open(const Open& open);
Bytes encode_keepalive();
Bytes encode_notification(const Notification& notification);
Bytes encode_route_refresh(const RouteRefresh& refresh);
// One UPDATE with everything in `update`; the caller keeps it within max_message_size()
// (encode_announcements() does the packing). Transitive raw attributes get the Partial bit.
Bytes encode_update(const Update& update, const EncodeContext& ctx);
Bytes encode_end_of_rib(AfiSafi af);

// Packs `nlri` for one family with one attribute set into as few UPDATEs as fit. IPv4 unicast
// uses the NLRI field and attrs.next_hop; other families go in MP_REACH with `next_hop`.
std::vector<Bytes> encode_announcements(const PathAttributes& attrs, AfiSafi af,
                                        const std::vector<IpAddress>& mp_next_hops, std::span<const Nlri> nlri,
                                        const EncodeContext& ctx);
std::vector<Bytes> encode_withdrawals(AfiSafi af, std::span<const Nlri> nlri, const EncodeContext& ctx);

// RFC 6793 §4.2.3: from a 2-octet speaker, rebuild the real AS_PATH and AGGREGATOR from
// AS4_PATH/AS4_AGGREGATOR and clear them. From a 4-octet speaker they are discarded (§6).
void reconcile_as4(PathAttributes& attrs, bool peer_four_octet_as);

}  // namespace ridgeline::bgp
