#pragma once
// A compact table of per-prefix nodes: the nodes live in a std::deque (no per-node allocation,
// no copy of the whole table when it grows), found through an open-addressing index of 32-bit
// node numbers (linear probing, backward-shift deletion) with a one-byte hash tag per slot, so
// that a probe touches a node only when its tag matches. Node::prefix is the key.
//
// Node numbers are dense, 0..size()-1: erase_at() moves the last node into the hole, so a
// caller that keeps node numbers must erase from the highest number down. References to nodes
// stay valid while nodes are only added.
#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
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
    const uint8_t t = tag(h);
    for (size_t s = h >> shift_;; s = next(s)) {
      if (tags_[s] == kEmpty) return std::nullopt;
      if (tags_[s] == t && nodes_[slots_[s]].prefix == prefix) return slots_[s];
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
    const uint8_t t = tag(h);
    size_t s = h >> shift_;
    for (; tags_[s] != kEmpty; s = next(s)) {
      if (tags_[s] == t && nodes_[slots_[s]].prefix == prefix) return {slots_[s], false};
    }
    nodes_.emplace_back();
    nodes_.back().prefix = prefix;
    const Index i = static_cast<Index>(nodes_.size() - 1);
    slots_[s] = i;
    tags_[s] = t;
    return {i, true};
  }

  // Removes node i; the last node takes its number.
  void erase_at(Index i) {
    unlink(slot_of(i));
    const Index last = static_cast<Index>(nodes_.size() - 1);
    if (i != last) {
      slots_[slot_of(last)] = i;
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
    tags_.clear();
  }

 private:
  static constexpr uint8_t kEmpty = 0;  // the tag of an empty slot; a used one has its top bit set

  static uint8_t tag(uint64_t h) { return static_cast<uint8_t>(h) | 0x80; }
  size_t home(const Prefix& p) const { return prefix_hash(p) >> shift_; }
  size_t next(size_t s) const { return (s + 1) & (slots_.size() - 1); }
  size_t slot_of(Index i) const {
    size_t s = home(nodes_[i].prefix);
    while (tags_[s] == kEmpty || slots_[s] != i) s = next(s);
    return s;
  }
  // Backward-shift deletion: later entries of the probe run move up into the hole.
  void unlink(size_t hole) {
    for (size_t s = next(hole); tags_[s] != kEmpty; s = next(s)) {
      const size_t want = home(nodes_[slots_[s]].prefix);
      // The entry at s may fill the hole if its home is not in (hole, s] (cyclically).
      const bool stays = hole <= s ? (hole < want && want <= s) : (hole < want || want <= s);
      if (!stays) {
        slots_[hole] = slots_[s];
        tags_[hole] = tags_[s];
        hole = s;
      }
    }
    tags_[hole] = kEmpty;
  }
  void grow() { rehash(slots_.empty() ? 16 : slots_.size() * 2); }
  void rehash(size_t capacity) {
    slots_.assign(capacity, 0);
    tags_.assign(capacity, kEmpty);
    shift_ = 64 - std::countr_zero(capacity);
    for (Index i = 0; i < nodes_.size(); ++i) {
      const uint64_t h = prefix_hash(nodes_[i].prefix);
      size_t s = h >> shift_;
      while (tags_[s] != kEmpty) s = next(s);
      slots_[s] = i;
      tags_[s] = tag(h);
    }
  }

  std::deque<Node> nodes_;
  std::vector<uint32_t> slots_;  // node numbers
  std::vector<uint8_t> tags_;    // kEmpty or a tag of the hash
  int shift_ = 64;
};

}  // namespace ridgeline
