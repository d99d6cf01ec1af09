#pragma once
// Numbers for interned things that a compact table keeps instead of pointers (4 bytes, not 8):
// 1-based, 0 is "none"; a number given back is handed out again.
#include <cstdint>
#include <vector>

namespace ridgeline {

template <typename T>
class Numbering {
 public:
  uint32_t add(T* item) {
    if (free_.empty()) {
      items_.push_back(item);
      return static_cast<uint32_t>(items_.size());
    }
    const uint32_t n = free_.back();
    free_.pop_back();
    items_[n - 1] = item;
    return n;
  }
  void remove(uint32_t n) {
    items_[n - 1] = nullptr;
    free_.push_back(n);
  }
  T* operator[](uint32_t n) const { return items_[n - 1]; }  // n != 0, not removed

 private:
  std::vector<T*> items_;  // number - 1 -> item; null: a free number
  std::vector<uint32_t> free_;
};

}  // namespace ridgeline
