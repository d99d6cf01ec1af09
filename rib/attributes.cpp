#include "rib/attributes.h"

#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>

namespace ridgeline::rib {
namespace detail {

std::atomic<AttrNode*> attr_chunks[kAttrChunks];

namespace {

struct AttrIds {
  std::mutex mutex;
  uint32_t next = 0;           // numbers below it have been used
  std::vector<uint32_t> free;  // numbers given back
  size_t alive = 0;
};

AttrIds& ids() {
  static AttrIds* p = new AttrIds;  // never destroyed: a reference released at exit still finds it
  return *p;
}

}  // namespace

uint32_t attr_new(bgp::PathAttributes&& attrs, size_t hash) {
  AttrIds& t = ids();
  uint32_t n;
  {
    std::lock_guard lock(t.mutex);
    if (!t.free.empty()) {
      n = t.free.back();
      t.free.pop_back();
    } else {
      n = t.next;
      if ((n >> kAttrChunkBits) >= kAttrChunks) throw std::length_error("too many distinct path attribute sets");
      if ((n & ((1u << kAttrChunkBits) - 1)) == 0) {
        auto* chunk = static_cast<AttrNode*>(::operator new(sizeof(AttrNode) << kAttrChunkBits));
        attr_chunks[n >> kAttrChunkBits].store(chunk, std::memory_order_release);
      }
      ++t.next;
    }
    ++t.alive;
  }
  AttrNode* node = new (attr_node(n + 1)) AttrNode{std::move(attrs), hash};
  node->refs.store(1, std::memory_order_relaxed);
  return n + 1;
}

void attr_delete(uint32_t id) {
  attr_node(id)->~AttrNode();
  AttrIds& t = ids();
  std::lock_guard lock(t.mutex);
  t.free.push_back(id - 1);
  --t.alive;
}

size_t attr_table_size() {
  AttrIds& t = ids();
  std::lock_guard lock(t.mutex);
  return t.alive;
}

}  // namespace detail

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
  return *sets_.insert(AttrRef::adopt(detail::attr_new(bgp::PathAttributes(attrs), h))).first;
}

AttrRef AttributeStore::intern(bgp::PathAttributes&& attrs) {
  if (auto it = sets_.find(&attrs); it != sets_.end()) return *it;
  const size_t h = hash_value(attrs);
  return *sets_.insert(AttrRef::adopt(detail::attr_new(std::move(attrs), h))).first;
}

size_t AttributeStore::collect() {
  return std::erase_if(sets_, [](const AttrRef& a) { return a.use_count() == 1; });
}

}  // namespace ridgeline::rib
