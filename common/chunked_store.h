#pragma once
// A sequence of values in fixed chunks of 4096: like std::deque (values never move while others
// are added or removed at the end), but with exactly sized chunks. libstdc++'s deque cuts 512-byte
// blocks, which leave up to a value's size unused in each (a 56-byte value: 9 in 504 of 512 bytes,
// plus malloc's header, 5% more per value) and cost an allocation per few values.
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace ridgeline {

template <typename T>
class ChunkedStore {
 public:
  static constexpr size_t kChunkBits = 12;
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;

  template <typename V>
  class Iterator {
   public:
    using Store = std::conditional_t<std::is_const_v<V>, const ChunkedStore, ChunkedStore>;
    Iterator(Store* store, size_t i) : store_(store), i_(i) {}
    V& operator*() const { return (*store_)[i_]; }
    V* operator->() const { return &(*store_)[i_]; }
    Iterator& operator++() { return ++i_, *this; }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    Store* store_;
    size_t i_;
  };

  ChunkedStore() = default;
  ChunkedStore(const ChunkedStore&) = delete;
  ChunkedStore& operator=(const ChunkedStore&) = delete;
  ~ChunkedStore() { clear(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return chunks_[i >> kChunkBits][i & (kChunkSize - 1)]; }
  const T& operator[](size_t i) const { return chunks_[i >> kChunkBits][i & (kChunkSize - 1)]; }
  T& back() { return (*this)[size_ - 1]; }
  Iterator<T> begin() { return {this, 0}; }
  Iterator<T> end() { return {this, size_}; }
  Iterator<const T> begin() const { return {this, 0}; }
  Iterator<const T> end() const { return {this, size_}; }

  T& emplace_back() {
    if ((size_ >> kChunkBits) == chunks_.size()) {
      chunks_.push_back(std::exchange(spare_, nullptr));
      if (!chunks_.back()) chunks_.back() = allocate();
    }
    T* place = &(*this)[size_];
    new (place) T();
    ++size_;
    return *place;
  }

  void pop_back() {
    back().~T();
    --size_;
    // An emptied chunk is kept as the spare, so that adding and removing at a boundary does not
    // allocate each time; the spare before it goes.
    if ((size_ & (kChunkSize - 1)) == 0) {
      release(spare_);
      spare_ = chunks_.back();
      chunks_.pop_back();
    }
  }

  void clear() {
    while (size_ > 0) pop_back();
    release(std::exchange(spare_, nullptr));
    chunks_.clear();
    chunks_.shrink_to_fit();
  }

 private:
  static T* allocate() {
    return static_cast<T*>(::operator new (sizeof(T) * kChunkSize, std::align_val_t{alignof(T)}));
  }
  static void release(T* chunk) {
    if (chunk) ::operator delete (chunk, std::align_val_t{alignof(T)});
  }

  std::vector<T*> chunks_;
  T* spare_ = nullptr;
  size_t size_ = 0;
};

}  // namespace ridgeline
