#pragma once
// Numbers for things a compact table keeps instead of pointers or wide values (4 bytes): 1-based,
// 0 is "none"; a number given back is handed out again.
#include <cstdint>
#include <utility>
#include <vector>

namespace ridgeline {

template <typename T>
class Numbering {
 public:
  uint32_t add(T item) {
    if (free_.empty()) {
      items_.push_back(std::move(item));
      return static_cast<uint32_t>(items_.size());
    }
    const uint32_t n = free_.back();
    free_.pop_back();
    items_[n - 1] = std::move(item);
    return n;
  }
  void remove(uint32_t n) {
    items_[n - 1] = T{};
    free_.push_back(n);
  }
  const T& operator[](uint32_t n) const { return items_[n - 1]; }  // n != 0, not removed
  void clear() {
    items_.clear();
    free_.clear();
  }

 private:
  std::vector<T> items_;  // number - 1 -> item; T{}: a free number
  std::vector<uint32_t> free_;
};

}  // namespace ridgeline
