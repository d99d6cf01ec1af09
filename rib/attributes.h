#pragma once
// Interned path attributes: every distinct attribute set is stored once and shared by all the
// prefixes and paths that carry it (one UPDATE of 800 /32s costs one copy, not 800).
#include <atomic>
#include <memory>
#include <unordered_set>
#include <utility>

#include "bgpd/wire/messages.h"

namespace ridgeline::rib {

size_t hash_value(const bgp::PathAttributes& attrs);

namespace detail {

// The interned sets live in one process-wide table of fixed chunks, numbered, so that a
// reference is a 4-byte number (a Loc-RIB path holds one) and a set never moves. Chunks are
// added, never freed; reading a set is lock-free from any thread. Numbers are taken and given
// back under a mutex, since the last reference may go on another thread (the API's).
struct AttrNode {
  bgp::PathAttributes attrs;
  size_t hash = 0;
  std::atomic<uint32_t> refs{0};
};

inline constexpr unsigned kAttrChunkBits = 10;     // 1024 sets a chunk
inline constexpr uint32_t kAttrChunks = 1u << 14;  // 16M sets in all
extern std::atomic<AttrNode*> attr_chunks[kAttrChunks];

inline AttrNode* attr_node(uint32_t id) {  // id: the set's number + 1
  const uint32_t n = id - 1;
  return attr_chunks[n >> kAttrChunkBits].load(std::memory_order_acquire) + (n & ((1u << kAttrChunkBits) - 1));
}
uint32_t attr_new(bgp::PathAttributes&& attrs, size_t hash);  // with one reference
void attr_delete(uint32_t id);                                // the last reference went
size_t attr_table_size();                                     // sets alive, for tests

}  // namespace detail

// A counted reference to an interned attribute set, 4 bytes. The set goes with its last
// reference.
class AttrRef {
 public:
  AttrRef() = default;
  AttrRef(const AttrRef& o) : id_(o.id_) { hold(); }
  AttrRef(AttrRef&& o) noexcept : id_(std::exchange(o.id_, 0)) {}
  AttrRef& operator=(AttrRef o) noexcept {
    std::swap(id_, o.id_);
    return *this;
  }
  ~AttrRef() { release(); }

  const bgp::PathAttributes* get() const { return id_ ? &node()->attrs : nullptr; }
  const bgp::PathAttributes& operator*() const { return node()->attrs; }
  const bgp::PathAttributes* operator->() const { return &node()->attrs; }
  explicit operator bool() const { return id_ != 0; }
  bool operator==(const AttrRef& o) const { return id_ == o.id_; }
  void reset() { release(), id_ = 0; }
  uint32_t use_count() const { return id_ ? node()->refs.load(std::memory_order_relaxed) : 0; }
  size_t hash() const { return node()->hash; }

 private:
  friend class AttributeStore;
  static AttrRef adopt(uint32_t id) {  // takes over the reference attr_new() made
    AttrRef r;
    r.id_ = id;
    return r;
  }
  detail::AttrNode* node() const { return detail::attr_node(id_); }
  void hold() {
    if (id_) node()->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() {
    if (id_ && node()->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) detail::attr_delete(id_);
  }
  uint32_t id_ = 0;  // 0: none
};

static_assert(sizeof(AttrRef) == 4);

class AttributeStore {
 public:
  // Returns the shared copy equal to `attrs`, adding it if it is new.
  AttrRef intern(const bgp::PathAttributes& attrs);
  AttrRef intern(bgp::PathAttributes&& attrs);
  // Forgets sets that no path holds any more. Returns how many were dropped.
  size_t collect();
  size_t size() const { return sets_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(const AttrRef& a) const { return a.hash(); }
    size_t operator()(const bgp::PathAttributes* a) const { return hash_value(*a); }
  };
  struct Equal {
    using is_transparent = void;
    bool operator()(const AttrRef& a, const AttrRef& b) const { return *a == *b; }
    bool operator()(const bgp::PathAttributes* a, const AttrRef& b) const { return *a == *b; }
    bool operator()(const AttrRef& a, const bgp::PathAttributes* b) const { return *a == *b; }
  };
  std::unordered_set<AttrRef, Hash, Equal> sets_;
};

}  // namespace ridgeline::rib
