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

// A counted reference to an interned attribute set: one pointer (half a shared_ptr; a Loc-RIB
// path holds one), the count beside the attributes. The set goes with its last reference.
class AttrRef {
 public:
  AttrRef() = default;
  AttrRef(const AttrRef& o) : n_(o.n_) { hold(); }
  AttrRef(AttrRef&& o) noexcept : n_(std::exchange(o.n_, nullptr)) {}
  AttrRef& operator=(AttrRef o) noexcept {
    std::swap(n_, o.n_);
    return *this;
  }
  ~AttrRef() { release(); }

  const bgp::PathAttributes* get() const { return n_ ? &n_->attrs : nullptr; }
  const bgp::PathAttributes& operator*() const { return n_->attrs; }
  const bgp::PathAttributes* operator->() const { return &n_->attrs; }
  explicit operator bool() const { return n_ != nullptr; }
  bool operator==(const AttrRef& o) const { return n_ == o.n_; }
  void reset() { release(), n_ = nullptr; }
  uint32_t use_count() const { return n_ ? n_->refs.load(std::memory_order_relaxed) : 0; }
  size_t hash() const { return n_->hash; }

 private:
  friend class AttributeStore;
  struct Node {
    bgp::PathAttributes attrs;
    size_t hash = 0;
    std::atomic<uint32_t> refs{0};
  };
  explicit AttrRef(Node* n) : n_(n) { hold(); }
  void hold() {
    if (n_) n_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() {
    if (n_ && n_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete n_;
  }
  Node* n_ = nullptr;
};

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
