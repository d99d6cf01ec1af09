#pragma once
// A BGP large community (RFC 8092): shared by the codec, the config and policy.
#include <compare>
#include <cstdint>

namespace ridgeline {

struct LargeCommunity {
  uint32_t global = 0, local1 = 0, local2 = 0;
  auto operator<=>(const LargeCommunity&) const = default;
  bool operator==(const LargeCommunity&) const = default;
};

}  // namespace ridgeline
