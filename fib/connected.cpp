#include "fib/connected.h"

namespace ridgeline::fib {

bool ConnectedTable::apply(const LinkEvent& e) {
  switch (e.kind) {
    case LinkEvent::LinkUp: up_.insert(e.ifindex); break;
    case LinkEvent::LinkDown: up_.erase(e.ifindex); break;
    case LinkEvent::LinkRemoved:
      up_.erase(e.ifindex);
      addresses_.erase(e.ifindex);
      break;
    case LinkEvent::AddressAdded: addresses_[e.ifindex].insert(e.prefix); break;
    case LinkEvent::AddressRemoved: addresses_[e.ifindex].erase(e.prefix); break;
  }
  const auto before = usable_;
  recompute();
  return usable_ != before;
}

bool ConnectedTable::reset(const std::vector<LinkEvent>& dump) {
  const auto before = usable_;
  up_.clear();
  addresses_.clear();
  for (const auto& e : dump) apply(e);
  return usable_ != before;
}

void ConnectedTable::recompute() {
  usable_.clear();
  for (const auto& [ifindex, prefixes] : addresses_) {
    if (!up_.count(ifindex)) continue;
    // Two links with the same prefix: the lower ifindex wins, deterministically.
    for (const auto& p : prefixes) usable_.emplace(p, ifindex);
  }
}

}  // namespace ridgeline::fib
