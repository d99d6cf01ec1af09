#pragma once
// Link and address notifications from rtnetlink (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
// RTNLGRP_IPV6_IFADDR), turned into LinkEvents. Loopback links and IPv6 link-local addresses
// are left out: next hops resolve over the global connected prefixes.
#include <string>

#include "fib/connected.h"

struct nl_sock;
struct nlmsghdr;

namespace ridgeline::fib {

class LinkMonitor : public LinkSource {
 public:
  LinkMonitor() = default;
  ~LinkMonitor() override;
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;
  bool open(std::string& error);

  int fd() const override;
  std::vector<LinkEvent> dump() override;
  std::vector<LinkEvent> read(bool& overflowed) override;

  // One rtnetlink message as events (none if it is not about a link or address we follow).
  static void parse(const nlmsghdr* h, std::vector<LinkEvent>& out);

 private:
  nl_sock* events_ = nullptr;
};

}  // namespace ridgeline::fib
