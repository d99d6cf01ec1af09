#pragma once
// A path's next hop as a 4-byte handle to an interned address: a gateway has a few next hops
// (one per node) shared by millions of paths, and a Path is a quarter smaller for it. Counted:
// an address no path holds any more leaves the pool, so distinct next hops from a peer cannot
// pile up. The pool belongs to the RIB's thread (bgpd's io thread); handles are not shared
// across threads.
#include <cstdint>
#include <string>

#include "common/net.h"

namespace ridgeline::rib {

class HopAddress {
 public:
  HopAddress() = default;                // 0.0.0.0, no pool entry
  HopAddress(const IpAddress& address);  // implicit: a Path takes an IpAddress as before
  HopAddress(const HopAddress& o) : id_(o.id_) { hold(); }
  HopAddress(HopAddress&& o) noexcept : id_(o.id_) { o.id_ = 0; }
  HopAddress& operator=(HopAddress o) noexcept {
    std::swap(id_, o.id_);
    return *this;
  }
  ~HopAddress() { release(); }

  const IpAddress& address() const;
  operator const IpAddress&() const { return address(); }
  std::string to_string() const { return address().to_string(); }
  bool operator==(const HopAddress& o) const { return id_ == o.id_; }
  bool operator==(const IpAddress& o) const { return address() == o; }

  static size_t pool_size();  // addresses interned now

 private:
  void hold() const;
  void release();
  uint32_t id_ = 0;  // 0: the unspecified IPv4 address; else pool index + 1
};

}  // namespace ridgeline::rib
