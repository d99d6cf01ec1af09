// UPDATE decoding (RFC 4271 §4.3, §6.3) with the revised error handling of RFC 7606.
#include <array>
#include <bitset>
#include <cstring>

#include "bgpd/wire/encode_util.h"
#include "bgpd/wire/messages.h"

namespace ridgeline::bgp {

bool decode_prefixes(ByteSpan field, Family family, bool add_path, std::vector<Nlri>& out) {
  const uint8_t max_len = max_prefix_length(family);
  const uint8_t* p = field.data();
  const size_t n = field.size();
  size_t i = 0;
  out.reserve(out.size() + n / (family == Family::V4 ? 5 : 9));
  while (i < n) {
    uint32_t path_id = 0;
    if (add_path) {
      if (n - i < 5) return false;
      path_id = static_cast<uint32_t>(p[i]) << 24 | static_cast<uint32_t>(p[i + 1]) << 16 |
                static_cast<uint32_t>(p[i + 2]) << 8 | p[i + 3];
      i += 4;
    }
    const uint8_t len = p[i++];
    if (len > max_len) return false;
    const size_t nbytes = (len + 7u) / 8u;
    if (n - i < nbytes) return false;
    std::array<uint8_t, 16> raw{};
    std::memcpy(raw.data(), p + i, nbytes);
    i += nbytes;
    out.push_back(Nlri{Prefix(IpAddress::from_bytes(family, {raw.data(), address_bytes(family)}), len), path_id});
  }
  return true;
}

namespace {

using attr_flag::kOptional;
using attr_flag::kTransitive;

// What each known attribute must look like, and what a malformed one costs (RFC 7606 §7).
struct AttributeRule {
  uint8_t flags;  // expected Optional and Transitive bits
  ErrorAction on_error;
};

std::optional<AttributeRule> rule_for(uint8_t type) {
  constexpr uint8_t kWellKnown = kTransitive;
  constexpr uint8_t kOptTrans = kOptional | kTransitive;
  constexpr uint8_t kOptNonTrans = kOptional;
  switch (type) {
    case attr::kOrigin: return AttributeRule{kWellKnown, ErrorAction::TreatAsWithdraw};            // §7.1
    case attr::kAsPath: return AttributeRule{kWellKnown, ErrorAction::TreatAsWithdraw};            // §7.2
    case attr::kNextHop: return AttributeRule{kWellKnown, ErrorAction::TreatAsWithdraw};           // §7.3
    case attr::kMultiExitDisc: return AttributeRule{kOptNonTrans, ErrorAction::TreatAsWithdraw};   // §7.4
    case attr::kLocalPref: return AttributeRule{kWellKnown, ErrorAction::TreatAsWithdraw};         // §7.5
    case attr::kAtomicAggregate: return AttributeRule{kWellKnown, ErrorAction::AttributeDiscard};  // §7.6
    case attr::kAggregator: return AttributeRule{kOptTrans, ErrorAction::AttributeDiscard};        // §7.7
    case attr::kCommunities: return AttributeRule{kOptTrans, ErrorAction::TreatAsWithdraw};        // §7.8
    case attr::kOriginatorId: return AttributeRule{kOptNonTrans, ErrorAction::TreatAsWithdraw};    // §7.9
    case attr::kClusterList: return AttributeRule{kOptNonTrans, ErrorAction::TreatAsWithdraw};     // §7.10
    case attr::kMpReachNlri: return AttributeRule{kOptNonTrans, ErrorAction::SessionReset};        // §7.11
    case attr::kMpUnreachNlri: return AttributeRule{kOptNonTrans, ErrorAction::SessionReset};      // §7.11
    case attr::kExtCommunities: return AttributeRule{kOptTrans, ErrorAction::TreatAsWithdraw};     // §7.14
    case attr::kAs4Path: return AttributeRule{kOptTrans, ErrorAction::AttributeDiscard};           // RFC 6793 §6
    case attr::kAs4Aggregator: return AttributeRule{kOptTrans, ErrorAction::AttributeDiscard};     // RFC 6793 §6
    case attr::kTunnelEncap: return AttributeRule{kOptTrans, ErrorAction::TreatAsWithdraw};        // RFC 9012 §13
    case attr::kLargeCommunities: return AttributeRule{kOptTrans, ErrorAction::TreatAsWithdraw};   // RFC 8092 §6
    default: return std::nullopt;
  }
}

// The attribute as it appeared on the wire, for NOTIFICATION data (RFC 4271 §6.3).
Bytes attribute_bytes(uint8_t flags, uint8_t type, ByteSpan value) {
  Bytes out;
  ByteWriter w(out);
  w.u8(flags);
  w.u8(type);
  if (flags & attr_flag::kExtendedLength) {
    w.u16(static_cast<uint16_t>(value.size()));
  } else {
    w.u8(static_cast<uint8_t>(value.size()));
  }
  w.bytes(value);
  return out;
}

bool parse_as_path(ByteSpan value, size_t asn_width, bool allow_confed, AsPath& out, std::string& why) {
  ByteReader r(value);
  while (!r.empty()) {
    uint8_t type = 0, count = 0;
    if (!r.u8(type) || !r.u8(count)) {
      why = "AS_PATH segment header cut short";
      return false;
    }
    if (type < 1 || type > 4) {
      why = "AS_PATH segment type " + std::to_string(type);
      return false;
    }
    if (!allow_confed && type >= 3) {
      why = "AS_CONFED segment where none is allowed";
      return false;
    }
    if (count == 0) {
      why = "AS_PATH segment of length 0";
      return false;
    }
    if (r.remaining() < count * asn_width) {
      why = "AS_PATH segment overruns the attribute";
      return false;
    }
    AsPathSegment seg{static_cast<SegmentType>(type), {}};
    seg.asns.reserve(count);
    for (uint8_t i = 0; i < count; ++i) {
      if (asn_width == 4) {
        uint32_t asn = 0;
        r.u32(asn);
        seg.asns.push_back(asn);
      } else {
        uint16_t asn = 0;
        r.u16(asn);
        seg.asns.push_back(asn);
      }
    }
    out.segments.push_back(std::move(seg));
  }
  return true;
}

// RFC 9012 §2: Tunnel TLVs (type 2, length 2) holding sub-TLVs (type 1, length 1 or 2).
bool valid_tunnel_encapsulation(ByteSpan value) {
  ByteReader r(value);
  if (r.empty()) return false;
  while (!r.empty()) {
    uint16_t tunnel_type = 0, length = 0;
    ByteSpan tlv;
    if (!r.u16(tunnel_type) || !r.u16(length) || !r.bytes(length, tlv)) return false;
    ByteReader s(tlv);
    while (!s.empty()) {
      uint8_t sub_type = 0;
      uint16_t sub_len = 0;
      uint8_t sub_len8 = 0;
      if (!s.u8(sub_type)) return false;
      if (sub_type < 128) {
        if (!s.u8(sub_len8)) return false;
        sub_len = sub_len8;
      } else if (!s.u16(sub_len)) {
        return false;
      }
      if (!s.skip(sub_len)) return false;
    }
  }
  return true;
}

// Records an error that keeps the session (RFC 7606 treat-as-withdraw or attribute discard).
void note_error(Update& update, ErrorAction action, uint8_t type, uint8_t subcode, std::string reason,
                Bytes data = {}) {
  WireError e;
  e.action = action;
  e.code = error_code::kUpdateMessage;
  e.subcode = subcode;
  e.data = std::move(data);
  e.attribute = type;
  e.reason = std::move(reason);
  if (action == ErrorAction::TreatAsWithdraw) update.treat_as_withdraw = true;
  update.errors.push_back(std::move(e));
}

class UpdateDecoder {
 public:
  UpdateDecoder(const DecodeContext& ctx, Update& update) : ctx_(ctx), update_(update) {}

  // Returns a session-reset error, or nullopt (errors that keep the session go into update_).
  std::optional<WireError> decode_attributes(ByteSpan section) {
    ByteReader r(section);
    std::bitset<256> seen;
    uint32_t count = 0;
    while (!r.empty()) {
      if (++count == ctx_.max_attributes + 1) {
        note(ErrorAction::TreatAsWithdraw, 0, update_subcode::kMalformedAttributeList,
             "more than " + std::to_string(ctx_.max_attributes) + " path attributes (bgp limit attributes)");
      }
      // RFC 7606 §4: not enough left for a minimal attribute header.
      if (r.remaining() < 3) return truncated("fewer than 3 bytes left for a path attribute");
      uint8_t flags = 0, type = 0;
      r.u8(flags), r.u8(type);
      uint16_t length = 0;
      if (flags & attr_flag::kExtendedLength) {
        if (!r.u16(length)) return truncated("extended-length attribute header cut short", type);
      } else {
        uint8_t len8 = 0;
        r.u8(len8);
        length = len8;
      }
      ByteSpan value;
      if (!r.bytes(length, value)) {
        return truncated("attribute " + std::to_string(type) + " of length " + std::to_string(length) +
                             " overruns the path attributes",
                         type);
      }
      if (seen.test(type)) {  // RFC 7606 §3 g)
        if (type == attr::kMpReachNlri || type == attr::kMpUnreachNlri) {
          return reset_error(error_code::kUpdateMessage, update_subcode::kMalformedAttributeList, {},
                             "duplicate MP_REACH/MP_UNREACH attribute");
        }
        note(ErrorAction::AttributeDiscard, type, update_subcode::kMalformedAttributeList,
             "duplicate attribute " + std::to_string(type) + ": all but the first discarded");
        continue;
      }
      seen.set(type);
      if (auto err = decode_attribute(flags, type, value)) return err;
    }
    return std::nullopt;
  }

 private:
  std::optional<WireError> truncated(std::string reason, uint8_t type = 0) {
    // The NLRI that follows cannot belong to an MP attribute we failed to read.
    if (type == attr::kMpReachNlri || type == attr::kMpUnreachNlri) {
      return reset_error(error_code::kUpdateMessage, update_subcode::kMalformedAttributeList, {}, reason);
    }
    note(ErrorAction::TreatAsWithdraw, type, update_subcode::kMalformedAttributeList, std::move(reason));
    return std::nullopt;
  }

  void note(ErrorAction action, uint8_t type, uint8_t subcode, std::string reason) {
    note_error(update_, action, type, subcode, std::move(reason));
  }

  // A malformed known attribute: the outcome comes from its rule.
  std::optional<WireError> malformed(const AttributeRule& rule, uint8_t flags, uint8_t type, ByteSpan value,
                                     uint8_t subcode, std::string reason) {
    if (rule.on_error == ErrorAction::SessionReset) {
      return reset_error(error_code::kUpdateMessage, update_subcode::kMalformedAttributeList,
                         attribute_bytes(flags, type, value), std::move(reason));
    }
    note(rule.on_error, type, subcode, std::move(reason));
    return std::nullopt;
  }

  std::optional<WireError> decode_attribute(uint8_t flags, uint8_t type, ByteSpan value) {
    const auto rule = rule_for(type);
    if (!rule) return decode_unknown(flags, type, value);
    // RFC 7606 §3 c): wrong Optional/Transitive bits make the attribute malformed.
    if ((flags & (kOptional | kTransitive)) != rule->flags) {
      return malformed(*rule, flags, type, value, update_subcode::kAttributeFlagsError,
                       "attribute " + std::to_string(type) + " has flags " + std::to_string(flags));
    }
    auto bad_length = [&](const char* name) {
      return malformed(*rule, flags, type, value, update_subcode::kAttributeLengthError,
                       std::string(name) + " with length " + std::to_string(value.size()));
    };
    PathAttributes& a = update_.attributes;
    ByteReader r(value);
    switch (type) {
      case attr::kOrigin: {
        if (value.size() != 1) return bad_length("ORIGIN");
        if (value[0] > 2) {
          return malformed(*rule, flags, type, value, update_subcode::kInvalidOrigin,
                           "ORIGIN value " + std::to_string(value[0]));
        }
        a.origin = static_cast<Origin>(value[0]);
        return std::nullopt;
      }
      case attr::kAsPath: {
        AsPath path;
        std::string why;
        if (!parse_as_path(value, ctx_.four_octet_as ? 4 : 2, !ctx_.ebgp, path, why)) {
          return malformed(*rule, flags, type, value, update_subcode::kMalformedAsPath, why);
        }
        a.as_path = std::move(path);
        return std::nullopt;
      }
      case attr::kAs4Path: {
        AsPath path;
        std::string why;
        if (!parse_as_path(value, 4, false, path, why)) {
          return malformed(*rule, flags, type, value, update_subcode::kMalformedAsPath, "AS4_PATH: " + why);
        }
        a.as4_path = std::move(path);
        return std::nullopt;
      }
      case attr::kNextHop: {
        if (value.size() != 4) return bad_length("NEXT_HOP");
        a.next_hop = IpAddress::from_bytes(Family::V4, value);
        return std::nullopt;
      }
      case attr::kMultiExitDisc: {
        uint32_t v = 0;
        if (value.size() != 4 || !r.u32(v)) return bad_length("MULTI_EXIT_DISC");
        a.med = v;
        return std::nullopt;
      }
      case attr::kLocalPref: {
        uint32_t v = 0;
        if (ctx_.ebgp) return std::nullopt;  // RFC 7606 §7.5: discarded when from an external peer
        if (value.size() != 4 || !r.u32(v)) return bad_length("LOCAL_PREF");
        a.local_pref = v;
        return std::nullopt;
      }
      case attr::kAtomicAggregate: {
        if (!value.empty()) return bad_length("ATOMIC_AGGREGATE");
        a.atomic_aggregate = true;
        return std::nullopt;
      }
      case attr::kAggregator: {
        Aggregator agg;
        const bool ok =
            ctx_.four_octet_as ? value.size() == 8 && r.u32(agg.asn) && r.u32(agg.address) : value.size() == 6 && [&] {
              uint16_t asn16 = 0;
              const bool read = r.u16(asn16) && r.u32(agg.address);
              agg.asn = asn16;
              return read;
            }();
        if (!ok) return bad_length("AGGREGATOR");
        a.aggregator = agg;
        return std::nullopt;
      }
      case attr::kAs4Aggregator: {
        Aggregator agg;
        if (value.size() != 8 || !r.u32(agg.asn) || !r.u32(agg.address)) return bad_length("AS4_AGGREGATOR");
        a.as4_aggregator = agg;
        return std::nullopt;
      }
      case attr::kCommunities: {
        if (value.empty() || value.size() % 4 != 0) return bad_length("COMMUNITIES");
        a.communities.resize(value.size() / 4);
        for (auto& c : a.communities) r.u32(c);
        return std::nullopt;
      }
      case attr::kOriginatorId: {
        uint32_t v = 0;
        if (value.size() != 4 || !r.u32(v)) return bad_length("ORIGINATOR_ID");
        a.originator_id = v;
        return std::nullopt;
      }
      case attr::kClusterList: {
        if (value.empty() || value.size() % 4 != 0) return bad_length("CLUSTER_LIST");
        a.cluster_list.resize(value.size() / 4);
        for (auto& c : a.cluster_list) r.u32(c);
        return std::nullopt;
      }
      case attr::kExtCommunities: {
        if (value.empty() || value.size() % 8 != 0) return bad_length("EXTENDED_COMMUNITIES");
        a.ext_communities.resize(value.size() / 8);
        for (auto& c : a.ext_communities) {
          uint32_t hi = 0, lo = 0;
          r.u32(hi), r.u32(lo);
          c = static_cast<uint64_t>(hi) << 32 | lo;
        }
        return std::nullopt;
      }
      case attr::kLargeCommunities: {
        if (value.empty() || value.size() % 12 != 0) return bad_length("LARGE_COMMUNITIES");
        a.large_communities.resize(value.size() / 12);
        for (auto& c : a.large_communities) r.u32(c.global), r.u32(c.local1), r.u32(c.local2);
        return std::nullopt;
      }
      case attr::kTunnelEncap: {
        if (!valid_tunnel_encapsulation(value)) {
          return malformed(*rule, flags, type, value, update_subcode::kOptionalAttributeError,
                           "malformed TUNNEL_ENCAPSULATION TLVs");
        }
        a.other.push_back({flags, type, Bytes(value.begin(), value.end())});
        return std::nullopt;
      }
      case attr::kMpReachNlri: return decode_mp_reach(*rule, flags, value);
      case attr::kMpUnreachNlri: return decode_mp_unreach(*rule, flags, value);
    }
    std::abort();  // rule_for() covers exactly the cases above
  }

  std::optional<WireError> decode_unknown(uint8_t flags, uint8_t type, ByteSpan value) {
    if (!(flags & kOptional)) {  // RFC 4271 §6.3: unrecognized well-known attribute
      return reset_error(error_code::kUpdateMessage, update_subcode::kUnrecognizedWellKnownAttribute,
                         attribute_bytes(flags, type, value),
                         "unrecognized well-known attribute " + std::to_string(type));
    }
    // RFC 4271 §5: unknown optional transitive attributes are passed on (Partial set on send);
    // unknown optional non-transitive ones are quietly ignored.
    if (flags & kTransitive) {
      update_.attributes.other.push_back({flags, type, Bytes(value.begin(), value.end())});
    }
    return std::nullopt;
  }

  std::optional<WireError> decode_mp_reach(const AttributeRule& rule, uint8_t flags, ByteSpan value) {
    ByteReader r(value);
    uint16_t afi = 0;
    uint8_t safi = 0, nh_len = 0, reserved = 0;
    ByteSpan nh;
    if (!r.u16(afi) || !r.u8(safi) || !r.u8(nh_len) || !r.bytes(nh_len, nh) || !r.u8(reserved)) {
      return malformed(rule, flags, attr::kMpReachNlri, value, update_subcode::kOptionalAttributeError,
                       "MP_REACH_NLRI cut short");
    }
    MpReach mp;
    mp.af = {static_cast<Afi>(afi), static_cast<Safi>(safi)};
    const auto family = family_of(mp.af.afi);
    if (!family || (mp.af.safi != Safi::Unicast && mp.af.safi != Safi::Multicast)) {
      mp.nlri_parsed = false;  // a family we do not speak: RFC 4760 §7 lets us ignore it
      update_.mp_reach = std::move(mp);
      return std::nullopt;
    }
    // Next hop: 4 (IPv4), 16 (IPv6 global, also RFC 8950 for IPv4 NLRI) or 32 (global + link-local).
    if (nh_len == 4 && *family == Family::V4) {
      mp.next_hop = IpAddress::from_bytes(Family::V4, nh);
    } else if (nh_len == 16 || nh_len == 32) {
      mp.next_hop = IpAddress::from_bytes(Family::V6, nh.first(16));
      if (nh_len == 32) mp.link_local_next_hop = IpAddress::from_bytes(Family::V6, nh.subspan(16));
    } else {
      return malformed(rule, flags, attr::kMpReachNlri, value, update_subcode::kOptionalAttributeError,
                       "MP_REACH_NLRI next hop length " + std::to_string(nh_len) + " for " + to_string(mp.af));
    }
    if (!decode_prefixes(r.rest(), *family, ctx_.add_path(mp.af), mp.nlri)) {
      return malformed(rule, flags, attr::kMpReachNlri, value, update_subcode::kOptionalAttributeError,
                       "MP_REACH_NLRI prefixes malformed");
    }
    update_.mp_reach = std::move(mp);
    return std::nullopt;
  }

  std::optional<WireError> decode_mp_unreach(const AttributeRule& rule, uint8_t flags, ByteSpan value) {
    ByteReader r(value);
    uint16_t afi = 0;
    uint8_t safi = 0;
    if (!r.u16(afi) || !r.u8(safi)) {
      return malformed(rule, flags, attr::kMpUnreachNlri, value, update_subcode::kOptionalAttributeError,
                       "MP_UNREACH_NLRI cut short");
    }
    MpUnreach mp;
    mp.af = {static_cast<Afi>(afi), static_cast<Safi>(safi)};
    const auto family = family_of(mp.af.afi);
    if (!family || (mp.af.safi != Safi::Unicast && mp.af.safi != Safi::Multicast)) {
      mp.nlri_parsed = false;
    } else if (!decode_prefixes(r.rest(), *family, ctx_.add_path(mp.af), mp.withdrawn)) {
      return malformed(rule, flags, attr::kMpUnreachNlri, value, update_subcode::kOptionalAttributeError,
                       "MP_UNREACH_NLRI prefixes malformed");
    }
    update_.mp_unreach = std::move(mp);
    return std::nullopt;
  }

  const DecodeContext& ctx_;
  Update& update_;
};

WireError update_error(uint8_t subcode, std::string reason) {
  return reset_error(error_code::kUpdateMessage, subcode, {}, std::move(reason));
}

}  // namespace

Result<Update, WireError> decode_update(ByteSpan body, const DecodeContext& ctx) {
  ByteReader r(body);
  Update update;
  uint16_t withdrawn_len = 0, attrs_len = 0;
  ByteSpan withdrawn, attrs;
  // RFC 7606 §5.3 / RFC 4271 §6.3: if the lengths do not add up, no NLRI can be located.
  if (!r.u16(withdrawn_len) || !r.bytes(withdrawn_len, withdrawn)) {
    return unexpected(
        update_error(update_subcode::kMalformedAttributeList, "withdrawn routes length overruns the message"));
  }
  if (!r.u16(attrs_len) || !r.bytes(attrs_len, attrs)) {
    return unexpected(
        update_error(update_subcode::kMalformedAttributeList, "total path attribute length overruns the message"));
  }
  if (!decode_prefixes(withdrawn, Family::V4, ctx.add_path(kIpv4Unicast), update.withdrawn)) {
    return unexpected(update_error(update_subcode::kInvalidNetworkField, "malformed withdrawn routes"));
  }
  UpdateDecoder decoder(ctx, update);
  if (auto err = decoder.decode_attributes(attrs)) return unexpected(std::move(*err));
  if (!decode_prefixes(r.rest(), Family::V4, ctx.add_path(kIpv4Unicast), update.nlri)) {
    return unexpected(update_error(update_subcode::kInvalidNetworkField, "malformed NLRI"));
  }

  // RFC 7606 §7.3 / RFC 4271 §6.3: a NEXT_HOP that is not a valid host address withdraws the NLRI
  // it would carry. (Whether it is our own address is for the session to judge.)
  if (!update.nlri.empty() && update.attributes.next_hop && !valid_host_address(*update.attributes.next_hop)) {
    note_error(update, ErrorAction::TreatAsWithdraw, attr::kNextHop, update_subcode::kInvalidNextHop,
               "NEXT_HOP is not a valid host address");
  }
  if (update.mp_reach && !update.mp_reach->nlri.empty() && !valid_host_address(update.mp_reach->next_hop)) {
    note_error(update, ErrorAction::TreatAsWithdraw, attr::kMpReachNlri, update_subcode::kInvalidNextHop,
               "MP_REACH_NLRI next hop is not a valid host address");
  }

  const PathAttributes& a = update.attributes;
  if (const size_t values = a.communities.size() + a.ext_communities.size() + a.large_communities.size();
      values > ctx.max_communities) {
    note_error(update, ErrorAction::TreatAsWithdraw, attr::kCommunities, update_subcode::kOptionalAttributeError,
               std::to_string(values) + " community values, more than " + std::to_string(ctx.max_communities) +
                   " (bgp limit communities)");
  }

  // RFC 7606 §3 d): a missing well-known mandatory attribute is treat-as-withdraw.
  const bool mp_nlri = update.mp_reach && !update.mp_reach->nlri.empty();
  if (!update.treat_as_withdraw && (!update.nlri.empty() || mp_nlri)) {
    uint8_t missing = 0;
    if (!a.origin) {
      missing = attr::kOrigin;
    } else if (!a.as_path) {
      missing = attr::kAsPath;
    } else if (!update.nlri.empty() && !a.next_hop) {
      missing = attr::kNextHop;
    }
    if (missing) {
      note_error(update, ErrorAction::TreatAsWithdraw, missing, update_subcode::kMissingWellKnownAttribute,
                 "missing well-known attribute " + std::to_string(missing), {missing});
    }
  }
  return update;
}

bool valid_host_address(const IpAddress& a) {
  if (a.is_unspecified() || a.is_loopback() || a.is_multicast()) return false;
  if (a.is_v4()) {
    const uint8_t first = a.raw()[0];
    return first != 0 && first < 240;  // 0/8 "this network", 240/4 reserved and broadcast
  }
  return true;
}

std::optional<AfiSafi> Update::end_of_rib() const {
  if (!withdrawn.empty() || !nlri.empty() || mp_reach || !(attributes == PathAttributes{})) return std::nullopt;
  if (!mp_unreach) return kIpv4Unicast;
  if (mp_unreach->withdrawn.empty() && mp_unreach->nlri_parsed) return mp_unreach->af;
  return std::nullopt;
}

}  // namespace ridgeline::bgp
