#pragma once
// What the RIB hands the FIB: a prefix's forwarding next hops changed. An empty set removes it.
#include <initializer_list>
#include <memory>
#include <vector>

#include "common/net.h"

namespace ridgeline {

// An immutable next-hop list, shared: the RIB interns its few distinct sets, so a million
// changes to the same set carry one copy of it, not a million.
class NextHops {
 public:
  using List = std::vector<IpAddress>;
  NextHops() = default;
  NextHops(List hops) : list_(hops.empty() ? nullptr : std::make_shared<const List>(std::move(hops))) {}
  NextHops(std::initializer_list<IpAddress> hops) : NextHops(List(hops)) {}
  explicit NextHops(std::shared_ptr<const List> shared) : list_(std::move(shared)) {}

  const List& get() const { return list_ ? *list_ : empty_list(); }
  operator const List&() const { return get(); }
  auto begin() const { return get().begin(); }
  auto end() const { return get().end(); }
  size_t size() const { return get().size(); }
  bool empty() const { return get().empty(); }
  const IpAddress& operator[](size_t i) const { return get()[i]; }
  bool operator==(const NextHops& o) const { return list_ == o.list_ || get() == o.get(); }
  bool operator==(const List& o) const { return get() == o; }

 private:
  static const List& empty_list() {
    static const List kEmpty;
    return kEmpty;
  }
  std::shared_ptr<const List> list_;
};

struct RouteChange {
  Prefix prefix;
  NextHops next_hops;
  bool operator==(const RouteChange&) const = default;
};

}  // namespace ridgeline
