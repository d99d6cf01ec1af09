#include "cli/grammar.h"

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>

namespace ridgeline::cli {

namespace {

struct Template {
  const char* mode;
  const char* words;
};

// One line per command form. Config-mode lines may also take `no` (listed where FRR has it).
constexpr Template kTemplates[] = {
    {"", "show bgp summary json"},
    {"", "show bgp neighbors <neighbor> received-routes json"},
    {"", "show bgp neighbors <neighbor> advertised-routes json"},
    {"", "show bgp neighbors <neighbor> routes json"},
    {"", "show bgp services <address> json"},
    {"", "show bgp ipv6 <prefix> longer-prefixes json"},
    {"", "show bgp ipv6 community <community> json"},
    {"", "show bgp ipv6 large-community <large-community> json"},
    {"", "show ip bgp <prefix> longer-prefixes json"},
    {"", "show ip bgp community <community> json"},
    {"", "show ip bgp large-community <large-community> json"},
    {"", "show ip route bgp <prefix> json"},
    {"", "show ipv6 route bgp <prefix> json"},
    {"", "show fib status json"},
    {"", "show bfd peers brief json"},
    {"", "show bfd peer <bfd-peer> json"},
    {"", "show running-config json"},
    {"", "show version"},
    {"", "clear bgp <neighbor> soft in"},
    {"", "clear bgp <neighbor> soft out"},
    {"", "clear fib"},
    {"", "watch bgp neighbors json"},
    {"", "watch bgp routes <prefix> longer-prefixes json"},
    {"", "bgp rib add <prefix> community <community>"},
    {"", "bgp rib del <prefix>"},
    {"", "configure terminal"},
    {"", "configure transaction"},
    {"", "write memory"},
    {"", "exit"},
    {"config*", "do"},
    {"config*", "end"},
    {"config*", "exit"},
    {"config", "hostname <name>"},
    {"config", "router bgp <asn>"},
    {"config", "ip prefix-list <prefix-list> seq <number> permit <prefix> le <length>"},
    {"config", "ip prefix-list <prefix-list> seq <number> deny <prefix> le <length>"},
    {"config", "ipv6 prefix-list <prefix-list> seq <number> permit <prefix> le <length>"},
    {"config", "route-map <route-map> permit <number>"},
    {"config", "route-map <route-map> deny <number>"},
    {"config", "bgp community-list standard <name> permit <community>"},
    {"config", "bgp large-community-list standard <name> permit <large-community>"},
    {"config", "bfd"},
    {"config", "fib"},
    {"config", "no ip prefix-list <prefix-list> seq <number>"},
    {"config", "no route-map <route-map> permit <number>"},
    {"config", "commit confirmed <minutes>"},
    {"config", "confirm"},
    {"config", "abort"},
    {"config", "show configuration diff"},
    {"config-router", "bgp router-id <router-id>"},
    {"config-router", "bgp listen range <prefix> peer-group <peer-group>"},
    {"config-router", "bgp graceful-restart"},
    {"config-router", "bgp bestpath as-path multipath-relax"},
    {"config-router", "bgp listen limit <number>"},
    {"config-router", "bgp maxas-limit <number>"},
    {"config-router", "bgp limit message-size <bytes>"},
    {"config-router", "bgp limit attributes <number>"},
    {"config-router", "bgp limit communities <number>"},
    {"config-router", "neighbor <neighbor> remote-as <asn>"},
    {"config-router", "neighbor <neighbor> peer-group <peer-group>"},
    {"config-router", "neighbor <neighbor> description <text>"},
    {"config-router", "neighbor <neighbor> timers <keepalive> <hold>"},
    {"config-router", "neighbor <neighbor> password <secret>"},
    {"config-router", "neighbor <neighbor> tcp-ao algorithm hmac-sha1 send-id <number> recv-id <number> key <secret>"},
    {"config-router", "neighbor <neighbor> bfd profile <profile>"},
    {"config-router", "neighbor <neighbor> shutdown"},
    {"config-router", "address-family ipv4 unicast"},
    {"config-router", "address-family ipv6 unicast"},
    {"config-router", "no neighbor <neighbor>"},
    {"config-router-af", "neighbor <neighbor> prefix-list <prefix-list> in"},
    {"config-router-af", "neighbor <neighbor> prefix-list <prefix-list> out"},
    {"config-router-af", "neighbor <neighbor> route-map <route-map> in"},
    {"config-router-af", "neighbor <neighbor> route-map <route-map> out"},
    {"config-router-af", "neighbor <neighbor> activate"},
    {"config-router-af", "neighbor <neighbor> soft-reconfiguration inbound"},
    {"config-router-af", "neighbor <neighbor> next-hop-self"},
    {"config-router-af", "maximum-paths <paths>"},
    {"config-router-af", "network <prefix>"},
    {"config-router-af", "exit-address-family"},
    {"config-route-map", "match ip address prefix-list <prefix-list>"},
    {"config-route-map", "match community <name>"},
    {"config-route-map", "set local-preference <number>"},
    {"config-route-map", "set community <community> additive"},
    {"config-route-map", "set large-community <large-community> additive"},
    {"config-bfd", "profile <profile>"},
    {"config-bfd", "peer <address>"},
    {"config-bfd-profile", "receive-interval <ms>"},
    {"config-bfd-profile", "transmit-interval <ms>"},
    {"config-bfd-profile", "detect-multiplier <number>"},
    {"config-bfd-profile", "passive-mode"},
    {"config-bfd-peer", "profile <profile>"},
    {"config-bfd-peer", "receive-interval <ms>"},
    {"config-bfd-peer", "transmit-interval <ms>"},
    {"config-fib", "table <number>"},
    {"config-fib", "metric <number>"},
    {"config-fib", "kernel nexthop-compat-mode off"},
};

const std::map<std::string, std::string>& help_texts() {
  static const std::map<std::string, std::string> h = {
      {"show", "Show running system information"},
      {"bgp", "BGP information"},
      {"summary", "Summary of BGP neighbor status"},
      {"neighbors", "Detailed information on TCP and BGP neighbor connections"},
      {"received-routes", "Routes received from the neighbor (before inbound policy)"},
      {"advertised-routes", "Routes advertised to the neighbor"},
      {"routes", "Routes from the neighbor in the BGP table"},
      {"services", "Service IPs: who announces each, BFD, and what the kernel holds"},
      {"ip", "IP information"},
      {"ipv6", "IPv6 information"},
      {"route", "The kernel routes Ridgeline programmed"},
      {"fib", "Kernel FIB programming"},
      {"status", "Routes, groups, writes, reconcile and drift"},
      {"bfd", "BFD"},
      {"peers", "BFD sessions"},
      {"peer", "One BFD session"},
      {"brief", "One line per session"},
      {"running-config", "The running configuration of bgpd and bfdd"},
      {"version", "Ridgeline's version"},
      {"json", "JSON output (the API's messages)"},
      {"clear", "Reset functions"},
      {"watch", "Stream changes as they happen"},
      {"rib", "Paths originated through the API"},
      {"add", "Originate a path"},
      {"del", "Withdraw a path added here"},
      {"soft", "Soft reconfiguration, no session reset"},
      {"in", "Inbound"},
      {"out", "Outbound"},
      {"configure", "Configuration from this terminal"},
      {"terminal", "Apply each line as it is entered"},
      {"transaction", "Collect lines, then commit"},
      {"write", "Write the running configuration"},
      {"memory", "To the config file"},
      {"exit", "Leave this mode"},
      {"end", "Back to exec mode"},
      {"do", "Run an exec command"},
      {"commit", "Apply the collected lines"},
      {"confirmed", "Roll back unless confirmed within MINUTES"},
      {"confirm", "Keep a confirmed commit"},
      {"abort", "Drop the collected lines"},
      {"router", "Routing process"},
      {"neighbor", "A BGP neighbor or peer-group"},
      {"no", "Negate a command"},
      {"community", "BGP community (AA:NN)"},
      {"large-community", "BGP large community (A:B:C)"},
      {"longer-prefixes", "Also the more specific routes"},
  };
  return h;
}

const std::map<std::string, std::string>& placeholder_help() {
  static const std::map<std::string, std::string> h = {
      {"<neighbor>", "Neighbor address or peer-group"},
      {"<peer-group>", "Peer-group name"},
      {"<route-map>", "Route-map name"},
      {"<prefix-list>", "Prefix-list name"},
      {"<profile>", "BFD profile name"},
      {"<prefix>", "A.B.C.D/M or X:X::X:X/M"},
      {"<address>", "A.B.C.D or X:X::X:X"},
      {"<asn>", "AS number, external or internal"},
      {"<community>", "AA:NN"},
      {"<large-community>", "A:B:C"},
      {"<number>", "A number"},
      {"<minutes>", "Minutes (0.1 to 1440)"},
  };
  return h;
}

std::vector<std::string> split(const char* s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

const std::vector<std::string>* names_for(const std::string& placeholder, const Names& names) {
  if (placeholder == "<neighbor>") return &names.neighbors;
  if (placeholder == "<peer-group>") return &names.peer_groups;
  if (placeholder == "<route-map>") return &names.route_maps;
  if (placeholder == "<prefix-list>") return &names.prefix_lists;
  if (placeholder == "<profile>") return &names.profiles;
  return nullptr;
}

bool in_mode(const char* template_mode, const std::string& mode) {
  const std::string t = template_mode;
  if (t == "config*") return !mode.empty();
  return t == mode;
}

}  // namespace

std::vector<Choice> next_words(const std::string& mode, const std::vector<std::string>& typed, const Names& names) {
  std::vector<Choice> out;
  auto add = [&](const std::string& word, const std::string& help) {
    if (std::none_of(out.begin(), out.end(), [&](const Choice& c) { return c.word == word; }))
      out.push_back({word, help});
  };
  for (const auto& t : kTemplates) {
    if (!in_mode(t.mode, mode)) continue;
    const auto words = split(t.words);
    // Templates list the longest form; every shorter prefix is a command too, so a template
    // matches when the typed words agree with its first words.
    if (typed.size() >= words.size()) continue;
    bool match = true;
    for (size_t i = 0; i < typed.size() && match; ++i) match = words[i][0] == '<' || words[i] == typed[i];
    if (!match) continue;
    const std::string& next = words[typed.size()];
    if (next[0] != '<') {
      auto h = help_texts().find(next);
      add(next, h == help_texts().end() ? "" : h->second);
      continue;
    }
    auto ph = placeholder_help().find(next);
    const std::string help = ph == placeholder_help().end() ? "" : ph->second;
    if (const auto* known = names_for(next, names); known && !known->empty()) {
      for (const auto& n : *known) add(n, help);
    } else {
      add(next, help);
    }
  }
  return out;
}

namespace {

bool is(const std::vector<std::string>& w, size_t i, const char* s) {
  return i < w.size() && w[i] == s;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

std::optional<std::string> mode_entered(const std::string& mode, const std::vector<std::string>& w) {
  if (mode == "config") {
    if (is(w, 0, "router") && is(w, 1, "bgp") && w.size() == 3) return "config-router";
    if (is(w, 0, "route-map") && w.size() == 4) return "config-route-map";
    if (is(w, 0, "bfd") && w.size() == 1) return "config-bfd";
    if (is(w, 0, "fib") && w.size() == 1) return "config-fib";
  } else if (mode == "config-router") {
    if (is(w, 0, "address-family") && w.size() == 3) return "config-router-af";
  } else if (mode == "config-bfd") {
    if (is(w, 0, "profile") && w.size() == 2) return "config-bfd-profile";
    if (is(w, 0, "peer") && w.size() >= 2) return "config-bfd-peer";
  }
  return std::nullopt;
}

std::string diff_lines(const std::string& before, const std::string& after) {
  const auto a = lines_of(before), b = lines_of(after);
  // Longest common subsequence, then a walk that prints what is not in it.
  std::vector<std::vector<uint32_t>> l(a.size() + 1, std::vector<uint32_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;)
    for (size_t j = b.size(); j-- > 0;)
      l[i][j] = a[i] == b[j] ? l[i + 1][j + 1] + 1 : std::max(l[i + 1][j], l[i][j + 1]);
  std::string out;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      ++i, ++j;
    } else if (j < b.size() && (i == a.size() || l[i][j + 1] >= l[i + 1][j])) {
      out += "+" + b[j++] + "\n";
    } else {
      out += "-" + a[i++] + "\n";
    }
  }
  return out;
}

}  // namespace ridgeline::cli
