// UPDATE encoding (RFC 4271 §4.3) and packing of many NLRI per message.
#include <algorithm>
#include <cstring>

#include "bgpd/wire/encode_util.h"
#include "bgpd/wire/messages.h"

namespace ridgeline::bgp {
namespace {

using attr_flag::kExtendedLength;
using attr_flag::kOptional;
using attr_flag::kPartial;
using attr_flag::kTransitive;

void put_attribute(ByteWriter& w, uint8_t flags, uint8_t type, ByteSpan value) {
  flags &= static_cast<uint8_t>(~kExtendedLength);
  if (value.size() > 255) {
    w.u8(flags | kExtendedLength);
    w.u8(type);
    w.u16(static_cast<uint16_t>(value.size()));
  } else {
    w.u8(flags);
    w.u8(type);
    w.u8(static_cast<uint8_t>(value.size()));
  }
  w.bytes(value);
}

bool needs_as4(const AsPath& path) {
  return std::any_of(path.segments.begin(), path.segments.end(), [](const AsPathSegment& s) {
    return std::any_of(s.asns.begin(), s.asns.end(), [](uint32_t asn) { return asn > 0xffff; });
  });
}

// Writes segments of at most 255 ASNs each; `width` is 2 or 4. With width 2, wide ASNs become
// AS_TRANS (RFC 6793 §4.2.2). Confederation segments are skipped when !with_confed.
Bytes as_path_value(const AsPath& path, size_t width, bool with_confed) {
  Bytes out;
  ByteWriter w(out);
  for (const auto& seg : path.segments) {
    const bool confed = seg.type == SegmentType::ConfedSequence || seg.type == SegmentType::ConfedSet;
    if (confed && !with_confed) continue;
    for (size_t start = 0; start < seg.asns.size(); start += 255) {
      const size_t count = std::min<size_t>(255, seg.asns.size() - start);
      w.u8(static_cast<uint8_t>(seg.type));
      w.u8(static_cast<uint8_t>(count));
      for (size_t i = start; i < start + count; ++i) {
        const uint32_t asn = seg.asns[i];
        if (width == 4) {
          w.u32(asn);
        } else {
          w.u16(asn > 0xffff ? kAsTrans : static_cast<uint16_t>(asn));
        }
      }
    }
  }
  return out;
}

Bytes aggregator_value(const Aggregator& agg, bool four_octet) {
  Bytes out;
  ByteWriter w(out);
  if (four_octet) {
    w.u32(agg.asn);
  } else {
    w.u16(agg.asn > 0xffff ? kAsTrans : static_cast<uint16_t>(agg.asn));
  }
  w.u32(agg.address);
  return out;
}

template <typename T, typename Put>
Bytes list_value(const std::vector<T>& items, Put put) {
  Bytes out;
  ByteWriter w(out);
  for (const auto& item : items) put(w, item);
  return out;
}

Bytes u32_value(uint32_t v) {
  Bytes out;
  ByteWriter(out).u32(v);
  return out;
}

// All attributes but MP_REACH/MP_UNREACH, in type order. AS4_PATH and AS4_AGGREGATOR are derived
// from the real AS_PATH/AGGREGATOR when the peer is a 2-octet speaker, never copied.
void put_path_attributes(ByteWriter& w, const PathAttributes& a, const EncodeContext& ctx) {
  struct Entry {
    uint8_t type;
    uint8_t flags;
    Bytes value;
  };
  std::vector<Entry> entries;
  const uint8_t wk = kTransitive, ot = kOptional | kTransitive, ont = kOptional;
  if (a.origin) entries.push_back({attr::kOrigin, wk, {static_cast<uint8_t>(*a.origin)}});
  if (a.as_path) {
    entries.push_back({attr::kAsPath, wk, as_path_value(*a.as_path, ctx.four_octet_as ? 4 : 2, true)});
    if (!ctx.four_octet_as && needs_as4(*a.as_path)) {
      entries.push_back({attr::kAs4Path, ot, as_path_value(*a.as_path, 4, false)});
    }
  }
  if (a.next_hop && a.next_hop->is_v4()) {
    auto b = a.next_hop->bytes();
    entries.push_back({attr::kNextHop, wk, Bytes(b.begin(), b.end())});
  }
  if (a.med) entries.push_back({attr::kMultiExitDisc, ont, u32_value(*a.med)});
  if (a.local_pref) entries.push_back({attr::kLocalPref, wk, u32_value(*a.local_pref)});
  if (a.atomic_aggregate) entries.push_back({attr::kAtomicAggregate, wk, {}});
  if (a.aggregator) {
    entries.push_back({attr::kAggregator, ot, aggregator_value(*a.aggregator, ctx.four_octet_as)});
    if (!ctx.four_octet_as && a.aggregator->asn > 0xffff) {
      entries.push_back({attr::kAs4Aggregator, ot, aggregator_value(*a.aggregator, true)});
    }
  }
  if (!a.communities.empty()) {
    entries.push_back(
        {attr::kCommunities, ot, list_value(a.communities, [](ByteWriter& bw, uint32_t c) { bw.u32(c); })});
  }
  if (a.originator_id) entries.push_back({attr::kOriginatorId, ont, u32_value(*a.originator_id)});
  if (!a.cluster_list.empty()) {
    entries.push_back(
        {attr::kClusterList, ont, list_value(a.cluster_list, [](ByteWriter& bw, uint32_t c) { bw.u32(c); })});
  }
  if (!a.ext_communities.empty()) {
    entries.push_back({attr::kExtCommunities, ot, list_value(a.ext_communities, [](ByteWriter& bw, uint64_t c) {
                         bw.u32(static_cast<uint32_t>(c >> 32));
                         bw.u32(static_cast<uint32_t>(c));
                       })});
  }
  if (!a.large_communities.empty()) {
    entries.push_back(
        {attr::kLargeCommunities, ot, list_value(a.large_communities, [](ByteWriter& bw, const LargeCommunity& c) {
           bw.u32(c.global), bw.u32(c.local1), bw.u32(c.local2);
         })});
  }
  for (const auto& raw : a.other) {
    // RFC 4271 §5: an optional transitive attribute we pass on gets the Partial bit, unless we
    // understand it (tunnel encapsulation is validated, so it is recognized).
    uint8_t flags = raw.flags;
    if ((flags & kOptional) && (flags & kTransitive) && raw.type != attr::kTunnelEncap) flags |= kPartial;
    entries.push_back({raw.type, flags, raw.value});
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) { return x.type < y.type; });
  for (const auto& e : entries) put_attribute(w, e.flags, e.type, e.value);
}

size_t nlri_size(const Nlri& n, bool add_path) {
  return (add_path ? 4 : 0) + 1 + (n.prefix.length() + 7u) / 8u;
}

void put_nlri(ByteWriter& w, const Nlri& n, bool add_path) {
  if (add_path) w.u32(n.path_id);
  w.u8(n.prefix.length());
  w.bytes(n.prefix.address().bytes().first((n.prefix.length() + 7u) / 8u));
}

void put_mp_next_hop(ByteWriter& w, const IpAddress& nh, const std::optional<IpAddress>& link_local) {
  const size_t len = nh.bytes().size() + (link_local ? 16 : 0);
  w.u8(static_cast<uint8_t>(len));
  w.bytes(nh.bytes());
  if (link_local) w.bytes(link_local->bytes());
  w.u8(0);  // reserved (RFC 4760 §3)
}

// MP_REACH/MP_UNREACH are always written with the extended length bit: their size is only known
// once the NLRI are packed, and the RFC allows it for any length.
struct MpAttributeWriter {
  MpAttributeWriter(ByteWriter& writer, uint8_t type) : w(writer) {
    w.u8(kOptional | kExtendedLength);
    w.u8(type);
    length_at = w.reserve_u16();
  }
  void finish() { w.patch_u16(length_at, static_cast<uint16_t>(w.size() - length_at - 2)); }
  ByteWriter& w;
  size_t length_at;
};

}  // namespace

Bytes encode_update(const Update& u, const EncodeContext& ctx) {
  Bytes out;
  MessageBuilder b(out, MessageType::Update);
  const bool ap4 = ctx.add_path(kIpv4Unicast);
  const size_t wlen_at = b.w.reserve_u16();
  for (const auto& n : u.withdrawn) put_nlri(b.w, n, ap4);
  b.w.patch_u16(wlen_at, static_cast<uint16_t>(b.w.size() - wlen_at - 2));
  const size_t alen_at = b.w.reserve_u16();
  if (u.mp_reach) {
    MpAttributeWriter mp(b.w, attr::kMpReachNlri);
    b.w.u16(static_cast<uint16_t>(u.mp_reach->af.afi));
    b.w.u8(static_cast<uint8_t>(u.mp_reach->af.safi));
    put_mp_next_hop(b.w, u.mp_reach->next_hop, u.mp_reach->link_local_next_hop);
    for (const auto& n : u.mp_reach->nlri) put_nlri(b.w, n, ctx.add_path(u.mp_reach->af));
    mp.finish();
  }
  if (u.mp_unreach) {
    MpAttributeWriter mp(b.w, attr::kMpUnreachNlri);
    b.w.u16(static_cast<uint16_t>(u.mp_unreach->af.afi));
    b.w.u8(static_cast<uint8_t>(u.mp_unreach->af.safi));
    for (const auto& n : u.mp_unreach->withdrawn) put_nlri(b.w, n, ctx.add_path(u.mp_unreach->af));
    mp.finish();
  }
  put_path_attributes(b.w, u.attributes, ctx);
  b.w.patch_u16(alen_at, static_cast<uint16_t>(b.w.size() - alen_at - 2));
  for (const auto& n : u.nlri) put_nlri(b.w, n, ap4);
  b.finish();
  return out;
}

Bytes encode_end_of_rib(AfiSafi af) {
  Update u;
  if (af != kIpv4Unicast) u.mp_unreach = MpUnreach{af, {}, true};
  return encode_update(u, EncodeContext{});
}

std::vector<Bytes> encode_announcements(const PathAttributes& attrs, AfiSafi af,
                                        const std::vector<IpAddress>& mp_next_hops, std::span<const Nlri> nlri,
                                        const EncodeContext& ctx) {
  std::vector<Bytes> messages;
  Bytes attr_bytes;
  ByteWriter aw(attr_bytes);
  put_path_attributes(aw, attrs, ctx);
  const bool classic = af == kIpv4Unicast;
  const bool add_path = ctx.add_path(af);
  const size_t limit = ctx.max_message_size();
  size_t i = 0;
  while (i < nlri.size()) {
    Bytes out;
    out.reserve(limit);
    MessageBuilder b(out, MessageType::Update);
    b.w.u16(0);  // no withdrawn routes
    const size_t alen_at = b.w.reserve_u16();
    std::optional<MpAttributeWriter> mp;
    if (!classic) {
      mp.emplace(b.w, attr::kMpReachNlri);
      b.w.u16(static_cast<uint16_t>(af.afi));
      b.w.u8(static_cast<uint8_t>(af.safi));
      std::optional<IpAddress> link_local;
      if (mp_next_hops.size() > 1) link_local = mp_next_hops[1];
      put_mp_next_hop(b.w, mp_next_hops.empty() ? IpAddress{} : mp_next_hops[0], link_local);
    }
    const size_t fixed = b.size() + attr_bytes.size();
    if (fixed + nlri_size(nlri[i], add_path) > limit) return {};  // attributes alone do not fit
    size_t used = fixed;
    const size_t first = i;
    while (i < nlri.size() && used + nlri_size(nlri[i], add_path) <= limit) used += nlri_size(nlri[i++], add_path);
    if (classic) {
      b.w.bytes(attr_bytes);
      b.w.patch_u16(alen_at, static_cast<uint16_t>(attr_bytes.size()));
      for (size_t k = first; k < i; ++k) put_nlri(b.w, nlri[k], add_path);
    } else {
      for (size_t k = first; k < i; ++k) put_nlri(b.w, nlri[k], add_path);
      mp->finish();
      b.w.bytes(attr_bytes);
      b.w.patch_u16(alen_at, static_cast<uint16_t>(b.w.size() - alen_at - 2));
    }
    b.finish();
    messages.push_back(std::move(out));
  }
  return messages;
}

std::vector<Bytes> encode_withdrawals(AfiSafi af, std::span<const Nlri> nlri, const EncodeContext& ctx) {
  std::vector<Bytes> messages;
  const bool classic = af == kIpv4Unicast;
  const bool add_path = ctx.add_path(af);
  const size_t limit = ctx.max_message_size();
  size_t i = 0;
  while (i < nlri.size()) {
    Bytes out;
    out.reserve(limit);
    MessageBuilder b(out, MessageType::Update);
    const size_t wlen_at = b.w.reserve_u16();
    if (classic) {
      size_t used = b.size() + 2;  // + total path attribute length
      while (i < nlri.size() && used + nlri_size(nlri[i], add_path) <= limit) {
        used += nlri_size(nlri[i], add_path);
        put_nlri(b.w, nlri[i++], add_path);
      }
      b.w.patch_u16(wlen_at, static_cast<uint16_t>(b.w.size() - wlen_at - 2));
      b.w.u16(0);
    } else {
      const size_t alen_at = b.w.reserve_u16();
      MpAttributeWriter mp(b.w, attr::kMpUnreachNlri);
      b.w.u16(static_cast<uint16_t>(af.afi));
      b.w.u8(static_cast<uint8_t>(af.safi));
      size_t used = b.size();
      while (i < nlri.size() && used + nlri_size(nlri[i], add_path) <= limit) {
        used += nlri_size(nlri[i], add_path);
        put_nlri(b.w, nlri[i++], add_path);
      }
      mp.finish();
      b.w.patch_u16(alen_at, static_cast<uint16_t>(b.w.size() - alen_at - 2));
    }
    b.finish();
    messages.push_back(std::move(out));
  }
  return messages;
}

}  // namespace ridgeline::bgp
