#include "rib/attributes.h"

namespace ridgeline::rib {
namespace {

struct Hasher {
  size_t h = 0xcbf29ce484222325ull;
  void add(uint64_t v) { h = (h ^ v) * 0x100000001b3ull + (h >> 29); }
  template <typename T>
  void add_optional(const std::optional<T>& v, auto&& each) {
    add(v.has_value());
    if (v) each(*v);
  }
};

}  // namespace

size_t hash_value(const bgp::PathAttributes& a) {
  Hasher h;
  h.add_optional(a.origin, [&](bgp::Origin o) { h.add(static_cast<uint64_t>(o)); });
  auto add_path = [&](const bgp::AsPath& p) {
    for (const auto& s : p.segments) {
      h.add(static_cast<uint64_t>(s.type) << 32 | s.asns.size());
      for (auto asn : s.asns) h.add(asn);
    }
  };
  h.add_optional(a.as_path, add_path);
  h.add_optional(a.as4_path, add_path);
  h.add_optional(a.next_hop, [&](const IpAddress& ip) {
    for (auto b : ip.bytes()) h.add(b);
  });
  h.add_optional(a.med, [&](uint32_t v) { h.add(v); });
  h.add_optional(a.local_pref, [&](uint32_t v) { h.add(v); });
  h.add(a.atomic_aggregate);
  auto add_agg = [&](const bgp::Aggregator& g) { h.add(uint64_t(g.asn) << 32 | g.address); };
  h.add_optional(a.aggregator, add_agg);
  h.add_optional(a.as4_aggregator, add_agg);
  for (auto c : a.communities) h.add(c);
  h.add(0xc0);
  for (auto c : a.ext_communities) h.add(c);
  h.add(0xec);
  for (const auto& c : a.large_communities) h.add(uint64_t(c.global) << 32 ^ uint64_t(c.local1) << 16 ^ c.local2);
  h.add_optional(a.originator_id, [&](uint32_t v) { h.add(v); });
  for (auto c : a.cluster_list) h.add(c);
  for (const auto& r : a.other) {
    h.add(uint64_t(r.flags) << 8 | r.type);
    for (auto b : r.value) h.add(b);
  }
  return h.h;
}

AttrRef AttributeStore::intern(const bgp::PathAttributes& attrs) {
  if (auto it = sets_.find(&attrs); it != sets_.end()) return *it;
  const size_t h = hash_value(attrs);
  return *sets_.insert(AttrRef(new AttrRef::Node{attrs, h})).first;
}

AttrRef AttributeStore::intern(bgp::PathAttributes&& attrs) {
  if (auto it = sets_.find(&attrs); it != sets_.end()) return *it;
  const size_t h = hash_value(attrs);
  return *sets_.insert(AttrRef(new AttrRef::Node{std::move(attrs), h})).first;
}

size_t AttributeStore::collect() {
  return std::erase_if(sets_, [](const AttrRef& a) { return a.use_count() == 1; });
}

}  // namespace ridgeline::rib
