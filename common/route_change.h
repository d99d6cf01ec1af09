#pragma once
// What the RIB hands the FIB: a prefix's forwarding next hops changed. An empty set removes it.
#include <vector>

#include "common/net.h"

namespace ridgeline {

struct RouteChange {
  Prefix prefix;
  std::vector<IpAddress> next_hops;
  bool operator==(const RouteChange&) const = default;
};

}  // namespace ridgeline
