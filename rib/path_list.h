#pragma once
// A prefix's paths: the first inline, the others in a slot of a PathPool holding exactly that
// many (no malloc header, no rounding up), named by a 4-byte handle. A /32 from one node costs no
// allocation, and each further node announcing it costs one Path (16 bytes): 4-way ECMP is
// 3 x 16 bytes more.
#include <compare>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <vector>

#include "rib/attributes.h"
#include "rib/hop_address.h"

namespace ridgeline::rib {

using PeerId = uint32_t;
inline constexpr PeerId kLocalPeer = 0;               // routes we originate (`network`, the API)
inline constexpr PeerId kMaxPeerId = (1u << 30) - 1;  // a Path keeps two flags beside it

// 16 bytes: the peer shares its word with the two flags.
struct Path {
  Path() = default;
  Path(PeerId peer_id, uint32_t add_path_id, AttrRef attributes, HopAddress hop)
      : peer(peer_id), path_id(add_path_id), attrs(std::move(attributes)), next_hop(std::move(hop)) {}

  PeerId peer : 30 = kLocalPeer;
  PeerId stale : 1 = false;    // RFC 4724: kept from a restarting peer until End-of-RIB
  PeerId eligible : 1 = true;  // false: next hop not reachable or martian
  uint32_t path_id = 0;        // RFC 7911; 0 without add-path
  AttrRef attrs;
  HopAddress next_hop;  // the forwarding next hop (NEXT_HOP or the MP_REACH global address)

  bool same_route(const Path& o) const { return attrs == o.attrs && next_hop == o.next_hop; }
};

namespace detail {
// A slot handle: a slab's number (process-wide, so that a PathList finds its paths without its
// pool) above the slot's offset in it, in 4-byte units; 0 is no slot. 2^18 slabs of 64 KiB.
inline constexpr unsigned kSlotOffsetBits = 14;
inline constexpr uint32_t kMaxSlabs = 1u << (32 - kSlotOffsetBits);
extern std::byte* path_slabs[kMaxSlabs];  // by number; 0 unused
uint32_t number_slab(std::byte* base);    // throws std::bad_alloc when all are taken
void unnumber_slab(uint32_t number);
inline Path* path_slot(uint32_t handle) {
  return reinterpret_cast<Path*>(path_slabs[handle >> kSlotOffsetBits] +
                                 size_t{handle & ((1u << kSlotOffsetBits) - 1)} * 4);
}
}  // namespace detail

// Slots of n paths: exact sizes up to kExact paths, powers of two beyond (a prefix with hundreds
// of add-path paths grows in amortised steps). Slots of one size are carved from 64 KiB slabs
// mapped from the system, aligned to their size so that a slot finds its slab by masking; a slab
// whose last slot is released goes back to the system (after a few kept spare), so that a million prefixes each
// going from 2 to 3 paths leave no million free 2-path slots behind. Not thread-safe: one RIB's.
class PathPool {
 public:
  static constexpr uint32_t kExact = 16;
  static uint32_t capacity_for(uint32_t paths);  // the slot size that holds `paths` (>= 1)

  PathPool() = default;
  PathPool(const PathPool&) = delete;
  PathPool& operator=(const PathPool&) = delete;
  ~PathPool();

  uint32_t allocate(uint32_t capacity);  // uninitialised storage for `capacity` paths: its handle
  void release(uint32_t slot, uint32_t capacity);
  // Bytes mapped for slabs, in use or spare (not in malloc's counts; a slot too large for a slab,
  // hundreds of paths on one prefix, comes from malloc).
  size_t bytes() const { return (slab_count_ + spare_.size()) * kSlabBytes; }
  size_t slabs_in_use() const { return slab_count_; }
  static constexpr size_t kSlabBytes = 64 * 1024;
  static constexpr size_t kSpareSlabs = 64;  // 4 MiB

 private:
  struct Slab;
  static const uint32_t kFirstSlot;  // a slab's first slot, after its header
  struct SizeClass {
    Slab* with_room = nullptr;  // slabs of this size with a free or uncarved slot, doubly linked
  };
  static size_t class_of(uint32_t capacity);
  static bool is_large(uint32_t capacity);
  static void* map_aligned();  // kSlabBytes of fresh memory, aligned to its size
  Slab* new_slab(size_t cls, uint32_t slot_bytes);
  void retire_slab(Slab* slab);  // its last slot was released: kept as a spare, or unmapped
  void link(SizeClass& sc, Slab* slab);
  void unlink(SizeClass& sc, Slab* slab);

  std::vector<SizeClass> classes_;
  Slab* all_ = nullptr;       // every slab in use, for the destructor
  std::vector<void*> spare_;  // emptied slabs kept for reuse (no fresh page faults), oldest first
  size_t slab_count_ = 0;
};

class PathList {
 public:
  template <typename P>
  class Iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Path;
    using difference_type = std::ptrdiff_t;
    using pointer = P*;
    using reference = P&;
    using List = std::conditional_t<std::is_const_v<P>, const PathList, PathList>;

    Iterator() = default;
    Iterator(List* list, uint32_t i) : list_(list), i_(i) {}
    reference operator*() const { return (*list_)[i_]; }
    pointer operator->() const { return &(*list_)[i_]; }
    reference operator[](difference_type n) const { return (*list_)[i_ + n]; }
    Iterator& operator++() { return ++i_, *this; }
    Iterator operator++(int) { return {list_, i_++}; }
    Iterator& operator--() { return --i_, *this; }
    Iterator operator--(int) { return {list_, i_--}; }
    Iterator& operator+=(difference_type n) { return i_ += static_cast<uint32_t>(n), *this; }
    Iterator& operator-=(difference_type n) { return i_ -= static_cast<uint32_t>(n), *this; }
    Iterator operator+(difference_type n) const { return {list_, static_cast<uint32_t>(i_ + n)}; }
    friend Iterator operator+(difference_type n, Iterator it) { return it + n; }
    Iterator operator-(difference_type n) const { return {list_, static_cast<uint32_t>(i_ - n)}; }
    difference_type operator-(const Iterator& o) const { return difference_type(i_) - difference_type(o.i_); }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }
    auto operator<=>(const Iterator& o) const { return i_ <=> o.i_; }

   private:
    List* list_ = nullptr;
    uint32_t i_ = 0;
  };
  using iterator = Iterator<Path>;
  using const_iterator = Iterator<const Path>;

  PathList() {}
  PathList(const PathList&) = delete;
  PathList& operator=(const PathList&) = delete;
  PathList(PathList&& o) noexcept { take(o); }
  PathList& operator=(PathList&& o) noexcept {
    if (this != &o) {
      destroy();
      take(o);
    }
    return *this;
  }
  // Destroys the paths; the slot's memory belongs to the pool, which must outlive the list or
  // go at the same time (a LocRib declares its pool before its table).
  ~PathList() { destroy(); }

  static constexpr size_t kMaxSize = UINT16_MAX;  // paths of one prefix: the size is 16 bits

  size_t size() const { return size_; }
  bool full() const { return size_ == kMaxSize; }
  bool empty() const { return size_ == 0; }
  Path& operator[](size_t i) { return i == 0 ? first_ : rest()[i - 1]; }
  const Path& operator[](size_t i) const { return i == 0 ? first_ : rest()[i - 1]; }
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

  // Both move the rest to a slot of its new size, so it never holds more than it needs.
  void push_back(Path p, PathPool& pool);
  void erase_at(size_t i, PathPool& pool);

 private:
  void take(PathList& o);
  void destroy();
  void move_rest(PathPool& pool, uint32_t from, uint32_t to);

  Path* rest() const { return detail::path_slot(rest_); }

  uint32_t rest_ = 0;  // paths 1.. (size_ - 1 of them) in a pool slot of capacity_for(size_ - 1)
  union {
    Path first_;  // live while size_ >= 1
  };
  uint16_t size_ = 0;  // its tail padding is the owner's (a RibEntry keeps its best index there)
};

static_assert(sizeof(Path) == 16 && sizeof(PathList) == 24, "see bench_rib_memory");

}  // namespace ridgeline::rib
