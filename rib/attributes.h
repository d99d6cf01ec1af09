#pragma once
// Interned path attributes: every distinct attribute set is stored once and shared by all the
// prefixes and paths that carry it (one UPDATE of 800 /32s costs one copy, not 800).
#include <memory>
#include <unordered_set>

#include "bgpd/wire/messages.h"

namespace ridgeline::rib {

using AttrRef = std::shared_ptr<const bgp::PathAttributes>;

size_t hash_value(const bgp::PathAttributes& attrs);

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
    size_t operator()(const AttrRef& a) const { return hash_value(*a); }
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
