#pragma once
// A compact table of per-prefix nodes: the nodes live in a ChunkedStore (no per-node allocation,
// no copy of the whole table when it grows), found through an open-addressing index (linear
// probing, backward-shift deletion) of 4-byte slots: a one-byte hash tag above a 24-bit node
// number, so that a probe touches a node only when its tag matches. A node begins with its key,
// a PrefixKey of 6 bytes (an IPv6 address is kept aside by the table); prefix_of() gives the
// Prefix back. A table holds at most 16M nodes.
//
// Node numbers are dense, 0..size()-1: erase_at() moves the last node into the hole, so a
// caller that keeps node numbers must erase from the highest number down. References to nodes
// stay valid while nodes are only added.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include "common/chunked_store.h"
#include "common/mapped_array.h"
#include "common/net.h"
#include "common/numbering.h"

namespace ridgeline {

// Where a prefix goes in a PrefixTable's index. Its last kRunBits bits (the 16 neighbours of a
// /32 in a service pool) pick a slot inside a run of 16 slots, one cache line of the index; a
// well-mixed hash of the rest picks the run. A pool announced in order then reads the index a
// line at a time instead of missing the cache on every prefix. The tag differs between the 16
// neighbours, so a probe rarely reads a neighbour's node.
struct PrefixHash {
  static constexpr unsigned kRunBits = 4;
  uint64_t run;  // the run: its high bits
  uint32_t low;  // the slot in the run
  uint32_t tag;  // 7 bits
};

__extension__ typedef unsigned __int128 PrefixBits;  // GCC and Clang both have it

inline uint64_t mix64(uint64_t h) {  // the murmur3 finalizer
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// The hash of a prefix's bits (as a number: the first `len` bits of the address) and length.
inline PrefixHash prefix_hash_bits(uint64_t rest_lo, uint64_t rest_hi, uint32_t low, unsigned len, bool v6) {
  const uint64_t h = mix64(rest_lo ^ (rest_hi * 0x9e3779b97f4a7c15ull) ^ (uint64_t{len} << 56) ^ (uint64_t{v6} << 55));
  // The slot in the run: the bits XOR a per-run offset (neighbours stay distinct; prefixes spaced
  // 16 or more apart do not all pile onto a run's first slot). An odd multiplier keeps the 16
  // neighbours' tags distinct (a bijection mod 128).
  return {h, (low ^ static_cast<uint32_t>(h >> 8)) & ((1u << PrefixHash::kRunBits) - 1),
          (static_cast<uint32_t>(h) ^ (low * 0x5bu)) & 0x7f};
}

// An IPv4 prefix from its address in network order.
inline PrefixHash prefix_hash_v4(const uint8_t* address, unsigned len) {
  const unsigned tail = len < PrefixHash::kRunBits ? len : PrefixHash::kRunBits;
  uint32_t a = 0;
  std::memcpy(&a, address, 4);
  const uint64_t bits = len ? uint64_t{__builtin_bswap32(a)} >> (32 - len) : 0;
  return prefix_hash_bits(bits >> tail, 0, static_cast<uint32_t>(bits) & ((1u << tail) - 1), len, false);
}

inline PrefixHash prefix_hash(const Prefix& p) {
  const unsigned len = p.length();
  if (p.family() == Family::V4) return prefix_hash_v4(p.address().raw().data(), len);
  const unsigned tail = len < PrefixHash::kRunBits ? len : PrefixHash::kRunBits;
  uint64_t hi = 0, lo = 0;
  std::memcpy(&hi, p.address().raw().data(), 8);
  std::memcpy(&lo, p.address().raw().data() + 8, 8);
  const PrefixBits a = (static_cast<PrefixBits>(__builtin_bswap64(hi)) << 64) | __builtin_bswap64(lo);
  const PrefixBits bits = len ? a >> (128 - len) : 0;
  return prefix_hash_bits(static_cast<uint64_t>(bits >> tail), static_cast<uint64_t>(bits >> tail >> 64),
                          static_cast<uint32_t>(bits) & ((1u << tail) - 1), len, true);
}

// A prefix in 6 bytes, the first member of a PrefixTable node (alignment 1: the node's own small
// fields follow without padding). IPv4: the address inline; IPv6: the number of its address in
// the table's store.
struct PrefixKey {
  uint8_t word[4] = {};  // IPv4: the address (network order); IPv6: the store number
  uint8_t length = 0;
  bool v6 = false;
  Family family() const { return v6 ? Family::V6 : Family::V4; }
};
static_assert(sizeof(PrefixKey) == 6 && alignof(PrefixKey) == 1);

template <typename Node>
class PrefixTable {
 public:
  using Index = uint32_t;

  Prefix prefix_of(const Node& n) const {
    if (!n.key.v6) return Prefix(IpAddress::from_bytes(Family::V4, {n.key.word, 4}), n.key.length);
    return Prefix(IpAddress::from_bytes(Family::V6, v6_addresses_[word(n.key)]), n.key.length);
  }
  Prefix prefix_of(Index i) const { return prefix_of(nodes_[i]); }

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
    const PrefixHash h = prefix_hash(prefix);
    const uint32_t t = tag(h);
    const PrefixKey probe = probe_key(prefix);
    for (size_t s = home(h);; s = next(s)) {
      const uint32_t v = slots_[s];
      if (v == kEmpty) return std::nullopt;
      if ((v & kTagMask) == t && matches(nodes_[v & kNodeMask].key, probe, prefix)) return v & kNodeMask;
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
    const PrefixHash h = prefix_hash(prefix);
    const uint32_t t = tag(h);
    const PrefixKey probe = probe_key(prefix);
    size_t s = home(h);
    for (uint32_t v; (v = slots_[s]) != kEmpty; s = next(s)) {
      if ((v & kTagMask) == t && matches(nodes_[v & kNodeMask].key, probe, prefix)) return {v & kNodeMask, false};
    }
    if (nodes_.size() > kNodeMask) throw std::length_error("a prefix table holds at most 16M prefixes");
    nodes_.emplace_back();
    nodes_.back().key = probe;
    if (probe.v6) set_word(nodes_.back().key, v6_addresses_.add(prefix.address().raw()));
    const Index i = static_cast<Index>(nodes_.size() - 1);
    slots_[s] = t | i;
    return {i, true};
  }

  // Removes node i; the last node takes its number.
  void erase_at(Index i) {
    unlink(slot_of(i));
    if (nodes_[i].key.v6) v6_addresses_.remove(word(nodes_[i].key));
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
    slots_ = {};
    v6_addresses_.clear();
  }

 private:
  static constexpr uint32_t kEmpty = 0;  // a used slot's tag has its top bit set; a fresh index is all kEmpty
  static constexpr uint32_t kNodeMask = (1u << 24) - 1;
  static constexpr uint32_t kTagMask = ~kNodeMask;

  static uint32_t word(const PrefixKey& k) {
    uint32_t w;
    std::memcpy(&w, k.word, 4);
    return w;
  }
  static void set_word(PrefixKey& k, uint32_t w) { std::memcpy(k.word, &w, 4); }
  // The key of `p` as its node would hold it, but for an IPv6 store number (compared apart).
  static PrefixKey probe_key(const Prefix& p) {
    PrefixKey k;
    k.length = p.length();
    k.v6 = p.family() == Family::V6;
    if (!k.v6) std::memcpy(k.word, p.address().raw().data(), 4);
    return k;
  }
  bool matches(const PrefixKey& k, const PrefixKey& probe, const Prefix& p) const {
    if (!probe.v6) return std::memcmp(&k, &probe, sizeof k) == 0;  // a 4- and a 2-byte compare
    return k.v6 && k.length == probe.length && v6_addresses_[word(k)] == p.address().raw();
  }
  static uint32_t tag(const PrefixHash& h) { return (h.tag | 0x80) << 24; }
  // The index has at least 16 slots: a run fits.
  size_t home(const PrefixHash& h) const {
    constexpr uint64_t kRun = (1u << PrefixHash::kRunBits) - 1;
    return ((h.run >> shift_) & ~kRun) | h.low;
  }
  // A node's hash: an IPv4 key straight from its bytes, without making the Prefix.
  PrefixHash hash_of(const Node& n) const {
    return n.key.v6 ? prefix_hash(prefix_of(n)) : prefix_hash_v4(n.key.word, n.key.length);
  }
  size_t next(size_t s) const { return (s + 1) & (slots_.size() - 1); }
  size_t slot_of(Index i) const {
    size_t s = home(hash_of(nodes_[i]));
    while (slots_[s] == kEmpty || (slots_[s] & kNodeMask) != i) s = next(s);
    return s;
  }
  // Backward-shift deletion: later entries of the probe run move up into the hole.
  void unlink(size_t hole) {
    for (size_t s = next(hole); slots_[s] != kEmpty; s = next(s)) {
      const size_t want = home(hash_of(nodes_[slots_[s] & kNodeMask]));
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
    capacity = std::max<size_t>(capacity, 16);
    slots_ = MappedArray<uint32_t>(capacity);  // zeros: kEmpty; the old index is unmapped at once
    shift_ = 64 - std::countr_zero(capacity);
    for (Index i = 0; i < nodes_.size(); ++i) {
      const PrefixHash h = hash_of(nodes_[i]);
      size_t s = home(h);
      while (slots_[s] != kEmpty) s = next(s);
      slots_[s] = tag(h) | i;
    }
  }

  ChunkedStore<Node> nodes_;
  MappedArray<uint32_t> slots_;                      // kEmpty, or a tag of the hash | a node number
  Numbering<std::array<uint8_t, 16>> v6_addresses_;  // by store number
  int shift_ = 64;
};

}  // namespace ridgeline
