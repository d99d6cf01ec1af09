#pragma once
// A compact table of per-prefix nodes: the nodes live in a std::deque (no per-node allocation,
// no copy of the whole table when it grows), found through an open-addressing index (linear
// probing, backward-shift deletion) of 4-byte slots: a one-byte hash tag above a 24-bit node
// number, so that a probe touches a node only when its tag matches. Node::prefix is the key; a
// table holds at most 16M nodes.
//
// Node numbers are dense, 0..size()-1: erase_at() moves the last node into the hole, so a
// caller that keeps node numbers must erase from the highest number down. References to nodes
// stay valid while nodes are only added.
#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <stdexcept>
#include <vector>

#include "common/net.h"

namespace ridgeline {

// A well-mixed 64-bit hash of a prefix (the index uses its high bits).
inline uint64_t prefix_hash(const Prefix& p) {
  uint64_t hi = 0, lo = 0;
  std::memcpy(&hi, p.address().raw().data(), 8);
  std::memcpy(&lo, p.address().raw().data() + 8, 8);
  uint64_t h = hi ^ (lo * 0x9e3779b97f4a7c15ull) ^ (uint64_t{p.length()} << 56) ^ static_cast<uint64_t>(p.family());
  h ^= h >> 33;  // the murmur3 finalizer
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

template <typename Node>
class PrefixTable {
 public:
  using Index = uint32_t;

  size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  Node& operator[](Index i) { return nodes_[i]; }
  const Node& operator[](Index i) const { return nodes_[i]; }
  auto begin() { return nodes_.begin(); }
  auto end() { return nodes_.end(); }
  auto begin() const { return nodes_.begin(); }
  auto end() const { return nodes_.end(); }

  std::optional<Index> index_of(const Prefix& prefix) const {
    if (slots_.empty()) return std::nullopt;
    const uint64_t h = prefix_hash(prefix);
    const uint32_t t = tag(h);
    for (size_t s = h >> shift_;; s = next(s)) {
      const uint32_t v = slots_[s];
      if (v == kEmpty) return std::nullopt;
      if ((v & kTagMask) == t && nodes_[v & kNodeMask].prefix == prefix) return v & kNodeMask;
    }
  }
  Node* find(const Prefix& prefix) {
    auto i = index_of(prefix);
    return i ? &nodes_[*i] : nullptr;
  }
  const Node* find(const Prefix& prefix) const {
    auto i = index_of(prefix);
    return i ? &nodes_[*i] : nullptr;
  }

  // The node of `prefix`, added (default-constructed, with its prefix set) if missing.
  std::pair<Index, bool> try_emplace(const Prefix& prefix) {
    if ((nodes_.size() + 1) * 4 > slots_.size() * 3) grow();
    const uint64_t h = prefix_hash(prefix);
    const uint32_t t = tag(h);
    size_t s = h >> shift_;
    for (uint32_t v; (v = slots_[s]) != kEmpty; s = next(s)) {
      if ((v & kTagMask) == t && nodes_[v & kNodeMask].prefix == prefix) return {v & kNodeMask, false};
    }
    if (nodes_.size() > kNodeMask) throw std::length_error("a prefix table holds at most 16M prefixes");
    nodes_.emplace_back();
    nodes_.back().prefix = prefix;
    const Index i = static_cast<Index>(nodes_.size() - 1);
    slots_[s] = t | i;
    return {i, true};
  }

  // Removes node i; the last node takes its number.
  void erase_at(Index i) {
    unlink(slot_of(i));
    const Index last = static_cast<Index>(nodes_.size() - 1);
    if (i != last) {
      uint32_t& moved = slots_[slot_of(last)];
      moved = (moved & kTagMask) | i;
      nodes_[i] = std::move(nodes_[last]);
    }
    nodes_.pop_back();
  }

  void reserve(size_t n) {
    if (n * 4 > slots_.size() * 3) rehash(std::bit_ceil(n * 4 / 3 + 1));
  }
  void clear() {
    nodes_.clear();
    slots_.clear();
  }

 private:
  static constexpr uint32_t kEmpty = 0;  // a used slot's tag has its top bit set
  static constexpr uint32_t kNodeMask = (1u << 24) - 1;
  static constexpr uint32_t kTagMask = ~kNodeMask;

  static uint32_t tag(uint64_t h) { return (static_cast<uint32_t>(h) | 0x80) << 24; }
  size_t home(const Prefix& p) const { return prefix_hash(p) >> shift_; }
  size_t next(size_t s) const { return (s + 1) & (slots_.size() - 1); }
  size_t slot_of(Index i) const {
    size_t s = home(nodes_[i].prefix);
    while (slots_[s] == kEmpty || (slots_[s] & kNodeMask) != i) s = next(s);
    return s;
  }
  // Backward-shift deletion: later entries of the probe run move up into the hole.
  void unlink(size_t hole) {
    for (size_t s = next(hole); slots_[s] != kEmpty; s = next(s)) {
      const size_t want = home(nodes_[slots_[s] & kNodeMask].prefix);
      // The entry at s may fill the hole if its home is not in (hole, s] (cyclically).
      const bool stays = hole <= s ? (hole < want && want <= s) : (hole < want || want <= s);
      if (!stays) {
        slots_[hole] = slots_[s];
        hole = s;
      }
    }
    slots_[hole] = kEmpty;
  }
  void grow() { rehash(slots_.empty() ? 16 : slots_.size() * 2); }
  void rehash(size_t capacity) {
    slots_.assign(capacity, kEmpty);
    shift_ = 64 - std::countr_zero(capacity);
    for (Index i = 0; i < nodes_.size(); ++i) {
      const uint64_t h = prefix_hash(nodes_[i].prefix);
      size_t s = h >> shift_;
      while (slots_[s] != kEmpty) s = next(s);
      slots_[s] = tag(h) | i;
    }
  }

  std::deque<Node> nodes_;
  std::vector<uint32_t> slots_;  // kEmpty, or a tag of the hash | a node number
  int shift_ = 64;
};

}  // namespace ridgeline
