#include "rib/path_list.h"

#include <sys/mman.h>

#include <bit>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>

#include "common/numbering.h"

namespace ridgeline::rib {

// --- slab numbers ---

namespace detail {
std::byte* path_slabs[kMaxSlabs];
namespace {
std::mutex slab_numbers_mutex;
Numbering<bool> slab_numbers;  // only the numbers: path_slabs holds the slabs, read without the lock
}  // namespace

uint32_t number_slab(std::byte* base) {
  std::lock_guard lock(slab_numbers_mutex);
  const uint32_t n = slab_numbers.add(true);
  if (n >= kMaxSlabs) {
    slab_numbers.remove(n);
    throw std::bad_alloc();
  }
  path_slabs[n] = base;
  return n;
}

void unnumber_slab(uint32_t number) {
  std::lock_guard lock(slab_numbers_mutex);
  path_slabs[number] = nullptr;
  slab_numbers.remove(number);
}
}  // namespace detail

// --- PathPool ---

struct PathPool::Slab {
  Slab *prev = nullptr, *next = nullptr;          // in its class's list of slabs with room
  Slab *all_prev = nullptr, *all_next = nullptr;  // in the pool's list of every slab
  void* free = nullptr;  // a free slot; its first bytes hold the next one's address (memcpy: slots are 4-aligned)
  size_t cls = 0;
  uint32_t number = 0;  // detail::path_slabs
  uint32_t slot_bytes = 0;
  uint32_t carved = 0;  // offset of the first slot never handed out
  uint32_t live = 0;    // slots handed out and not released
  bool listed = false;  // in with_room
  bool has_room() const { return free || carved + slot_bytes <= kSlabBytes; }
};

const uint32_t PathPool::kFirstSlot = (sizeof(Slab) + 15) & ~15u;  // after the header, 16-aligned

uint32_t PathPool::capacity_for(uint32_t paths) {
  return paths <= kExact ? paths : std::bit_ceil(paths);
}

bool PathPool::is_large(uint32_t capacity) {
  return sizeof(Path) * capacity > kSlabBytes - kFirstSlot;  // from malloc, not a slab
}

size_t PathPool::class_of(uint32_t capacity) {
  // 1..kExact, then one class per power of two above it.
  return capacity <= kExact ? capacity - 1 : kExact - 1 + std::countr_zero(capacity / kExact);
}

PathPool::~PathPool() {
  while (all_) retire_slab(all_);
  for (void* place : spare_) munmap(place, kSlabBytes);
}

void* PathPool::map_aligned() {
  // Twice the size, then the unaligned ends are unmapped.
  void* raw = mmap(nullptr, 2 * kSlabBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kSlabBytes - 1) & ~(uintptr_t{kSlabBytes} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  if (const uintptr_t end = start + 2 * kSlabBytes; end > aligned + kSlabBytes) {
    munmap(reinterpret_cast<void*>(aligned + kSlabBytes), end - aligned - kSlabBytes);
  }
  return reinterpret_cast<void*>(aligned);
}

PathPool::Slab* PathPool::new_slab(size_t cls, uint32_t slot_bytes) {
  void* place = spare_.empty() ? map_aligned() : spare_.back();
  if (!spare_.empty()) spare_.pop_back();
  auto* slab = new (place) Slab;
  slab->number = detail::number_slab(static_cast<std::byte*>(place));
  slab->cls = cls;
  slab->slot_bytes = slot_bytes;
  slab->carved = kFirstSlot;
  slab->all_next = all_;
  if (all_) all_->all_prev = slab;
  all_ = slab;
  ++slab_count_;
  return slab;
}

void PathPool::retire_slab(Slab* slab) {
  if (slab->listed) unlink(classes_[slab->cls], slab);
  (slab->all_prev ? slab->all_prev->all_next : all_) = slab->all_next;
  if (slab->all_next) slab->all_next->all_prev = slab->all_prev;
  --slab_count_;
  detail::unnumber_slab(slab->number);
  slab->~Slab();
  spare_.push_back(slab);
  if (spare_.size() > kSpareSlabs) {
    munmap(spare_.front(), kSlabBytes);
    spare_.erase(spare_.begin());
  }
}

void PathPool::link(SizeClass& sc, Slab* slab) {
  slab->prev = nullptr;
  slab->next = sc.with_room;
  if (sc.with_room) sc.with_room->prev = slab;
  sc.with_room = slab;
  slab->listed = true;
}

void PathPool::unlink(SizeClass& sc, Slab* slab) {
  (slab->prev ? slab->prev->next : sc.with_room) = slab->next;
  if (slab->next) slab->next->prev = slab->prev;
  slab->prev = slab->next = nullptr;
  slab->listed = false;
}

uint32_t PathPool::allocate(uint32_t capacity) {
  const size_t bytes = sizeof(Path) * capacity;
  if (is_large(capacity)) {  // a slab number of its own, at offset 0
    auto* block = static_cast<std::byte*>(::operator new(bytes));
    try {
      return detail::number_slab(block) << detail::kSlotOffsetBits;
    } catch (...) {
      ::operator delete(block);
      throw;
    }
  }
  const size_t cls = class_of(capacity);
  if (cls >= classes_.size()) classes_.resize(cls + 1);
  SizeClass& sc = classes_[cls];
  Slab* slab = sc.with_room;
  if (!slab) {
    slab = new_slab(cls, static_cast<uint32_t>(bytes));
    link(sc, slab);
  }
  void* slot;
  if (slab->free) {
    slot = slab->free;
    std::memcpy(&slab->free, slot, sizeof(void*));
  } else {
    slot = reinterpret_cast<std::byte*>(slab) + slab->carved;
    slab->carved += slab->slot_bytes;
  }
  ++slab->live;
  if (!slab->has_room()) unlink(sc, slab);
  const auto offset = static_cast<uint32_t>(static_cast<std::byte*>(slot) - reinterpret_cast<std::byte*>(slab));
  return slab->number << detail::kSlotOffsetBits | offset / 4;
}

void PathPool::release(uint32_t handle, uint32_t capacity) {
  Path* slot = detail::path_slot(handle);
  if (is_large(capacity)) {
    detail::unnumber_slab(handle >> detail::kSlotOffsetBits);
    ::operator delete(slot);
    return;
  }
  auto* slab = reinterpret_cast<Slab*>(reinterpret_cast<uintptr_t>(slot) & ~(uintptr_t{kSlabBytes} - 1));
  std::memcpy(static_cast<void*>(slot), &slab->free, sizeof(void*));
  slab->free = slot;
  if (--slab->live == 0) {
    retire_slab(slab);
  } else if (!slab->listed) {
    link(classes_[slab->cls], slab);
  }
}

// --- PathList ---

void PathList::take(PathList& o) {
  size_ = o.size_;
  rest_ = o.rest_;
  if (size_ >= 1) {
    new (&first_) Path(std::move(o.first_));
    o.first_.~Path();
  }
  o.size_ = 0;
  o.rest_ = 0;
}

void PathList::destroy() {
  if (size_ >= 1) first_.~Path();
  if (size_ > 1) std::destroy_n(rest(), size_ - 1);
  size_ = 0;
  rest_ = 0;
}

// The rest goes from `from` paths to `to`, moving the first min(from, to) of them when the slot
// size changes (the others are already destroyed, or not yet made).
void PathList::move_rest(PathPool& pool, uint32_t from, uint32_t to) {
  const uint32_t old_cap = from ? PathPool::capacity_for(from) : 0;
  const uint32_t new_cap = to ? PathPool::capacity_for(to) : 0;
  if (old_cap == new_cap) return;
  const uint32_t moved = new_cap ? pool.allocate(new_cap) : 0;
  Path* to_paths = moved ? detail::path_slot(moved) : nullptr;
  Path* from_paths = rest();
  for (uint32_t i = 0; i < std::min(from, to); ++i) {
    new (&to_paths[i]) Path(std::move(from_paths[i]));
    from_paths[i].~Path();
  }
  if (old_cap) pool.release(rest_, old_cap);
  rest_ = moved;
}

void PathList::push_back(Path p, PathPool& pool) {
  if (full()) throw std::length_error("a PathList holds at most 65535 paths");
  if (size_ == 0) {
    new (&first_) Path(std::move(p));
    size_ = 1;
    return;
  }
  move_rest(pool, size_ - 1u, size_);
  new (&rest()[size_ - 1]) Path(std::move(p));
  ++size_;
}

void PathList::erase_at(size_t i, PathPool& pool) {
  for (size_t k = i; k + 1 < size_; ++k) (*this)[k] = std::move((*this)[k + 1]);
  (*this)[size_ - 1].~Path();
  if (size_ > 1) move_rest(pool, size_ - 1u, size_ - 2u);
  --size_;
}

}  // namespace ridgeline::rib
