#pragma once
// Connected prefixes and link state, which next hops resolve over. The table is pure: it takes
// link and address events (from rtnetlink, or a test) and says which connected prefixes are
// usable now. A prefix is usable while its link is up (IFF_UP and IFF_RUNNING).
#include <map>
#include <set>
#include <vector>

#include "common/net.h"

namespace ridgeline::fib {

struct LinkEvent {
  enum Kind : uint8_t { LinkUp, LinkDown, LinkRemoved, AddressAdded, AddressRemoved };
  Kind kind;
  int ifindex = 0;
  Prefix prefix{};  // addresses: the connected prefix (address masked to its length)
  bool operator==(const LinkEvent&) const = default;
};

class ConnectedTable {
 public:
  // Returns whether the usable set changed.
  bool apply(const LinkEvent& event);
  // Starts over from a full picture (a dump), as after lost notifications.
  bool reset(const std::vector<LinkEvent>& dump);
  // Usable connected prefix -> ifindex.
  const std::map<Prefix, int>& usable() const { return usable_; }

 private:
  void recompute();
  std::set<int> up_;
  std::map<int, std::set<Prefix>> addresses_;
  std::map<Prefix, int> usable_;
};

// Where link events come from: the netlink monitor, or a test.
class LinkSource {
 public:
  virtual ~LinkSource() = default;
  virtual int fd() const = 0;  // readable when events are pending; -1 if none
  // The full current picture: every link's state and every address.
  virtual std::vector<LinkEvent> dump() = 0;
  // What is pending. `overflowed` is set when the kernel dropped notifications (ENOBUFS).
  virtual std::vector<LinkEvent> read(bool& overflowed) = 0;
};

}  // namespace ridgeline::fib
