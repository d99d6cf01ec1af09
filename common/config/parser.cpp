// The ridgeline.conf parser. Lines are read in modes (top, router bgp, address-family,
// route-map, bfd, profile, peer) as FRR does: a line that the current mode does not know is
// retried in the enclosing mode, and a line no mode knows is an error naming its file and line.
#include "common/config/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

namespace ridgeline::config {

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line) out += ":" + std::to_string(line);
  out += ": ";
  if (warning) out += "warning: ";
  return out + message;
}

Neighbor* Bgp::find_neighbor(const std::string& name) {
  auto it = std::find_if(neighbors.begin(), neighbors.end(), [&](const Neighbor& n) { return n.name == name; });
  return it == neighbors.end() ? nullptr : &*it;
}

const Neighbor* Bgp::find_neighbor(const std::string& name) const {
  return const_cast<Bgp*>(this)->find_neighbor(name);
}

// ---- values ---------------------------------------------------------------------------------

namespace {

struct WellKnownCommunity {
  const char* name;
  uint32_t value;
};
constexpr WellKnownCommunity kWellKnown[] = {
    {"graceful-shutdown", 0xFFFF0000}, {"accept-own", 0xFFFF0001}, {"blackhole", 0xFFFF029A}, {"no-export", 0xFFFFFF01},
    {"no-advertise", 0xFFFFFF02},      {"local-AS", 0xFFFFFF03},   {"no-peer", 0xFFFFFF04},
};

template <typename T>
std::optional<T> parse_number(std::string_view s, T min, T max) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < min || v > max) return std::nullopt;
  return static_cast<T>(v);
}

}  // namespace

std::optional<uint32_t> parse_community(std::string_view text) {
  for (const auto& w : kWellKnown) {
    if (text == w.name) return w.value;
  }
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto hi = parse_number<uint32_t>(text.substr(0, colon), 0, 65535);
  auto lo = parse_number<uint32_t>(text.substr(colon + 1), 0, 65535);
  if (!hi || !lo) return std::nullopt;
  return *hi << 16 | *lo;
}

std::string format_community(uint32_t c) {
  for (const auto& w : kWellKnown) {
    if (c == w.value) return w.name;
  }
  return std::to_string(c >> 16) + ":" + std::to_string(c & 0xffff);
}

std::optional<LargeCommunity> parse_large_community(std::string_view text) {
  auto a = text.find(':');
  if (a == std::string_view::npos) return std::nullopt;
  auto b = text.find(':', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  auto g = parse_number<uint32_t>(text.substr(0, a), 0, UINT32_MAX);
  auto l1 = parse_number<uint32_t>(text.substr(a + 1, b - a - 1), 0, UINT32_MAX);
  auto l2 = parse_number<uint32_t>(text.substr(b + 1), 0, UINT32_MAX);
  if (!g || !l1 || !l2) return std::nullopt;
  return LargeCommunity{*g, *l1, *l2};
}

std::string format_large_community(const LargeCommunity& c) {
  return std::to_string(c.global) + ":" + std::to_string(c.local1) + ":" + std::to_string(c.local2);
}

// ---- the parser -----------------------------------------------------------------------------

namespace {

enum class Mode { Top, RouterBgp, AddressFamily, RouteMap, Bfd, BfdProfile, BfdPeer, Fib, LineVty };

Mode parent_of(Mode m) {
  switch (m) {
    case Mode::AddressFamily: return Mode::RouterBgp;
    case Mode::BfdProfile:
    case Mode::BfdPeer: return Mode::Bfd;
    default: return Mode::Top;
  }
}

// A line handler's verdict.
struct Outcome {
  enum Kind { Handled, Unknown, Error } kind = Handled;
  std::string message;
  static Outcome ok() { return {}; }
  static Outcome unknown() { return {Unknown, {}}; }
  static Outcome error(std::string m) { return {Error, std::move(m)}; }
};

class Words {
 public:
  explicit Words(std::vector<std::string> w) : w_(std::move(w)) {}
  size_t size() const { return w_.size(); }
  const std::string& operator[](size_t i) const { return w_[i]; }
  bool is(size_t i, std::string_view s) const { return i < w_.size() && w_[i] == s; }
  // The words from i on, joined by single spaces.
  std::string rest(size_t i) const {
    std::string out;
    for (size_t k = i; k < w_.size(); ++k) out += (k > i ? " " : "") + w_[k];
    return out;
  }

 private:
  std::vector<std::string> w_;
};

Words split(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  std::string w;
  while (in >> w) out.push_back(w);
  return Words(std::move(out));
}

class Parser {
 public:
  Parser(const std::string& file, ParseResult& result) : file_(file), r_(result) {}

  void line(size_t number, std::string_view text) {
    line_ = number;
    Words w = split(text);
    if (w.size() == 0 || w[0][0] == '!' || w[0][0] == '#') return;
    if (w.is(0, "end") && w.size() == 1) {
      mode_ = Mode::Top;
      return;
    }
    for (Mode m = mode_;; m = parent_of(m)) {
      if (w.is(0, "exit") && w.size() == 1 && m != Mode::Top) {
        mode_ = parent_of(m);
        return;
      }
      Outcome o = dispatch(m, w);
      if (o.kind == Outcome::Handled) return;
      if (o.kind == Outcome::Error) return error(o.message);
      if (m == Mode::Top) return error("unknown command: " + w.rest(0));
    }
  }

  void finish() { check_references(); }

 private:
  void error(std::string message) { r_.errors.push_back({file_, line_, std::move(message), false}); }
  void warning(std::string message) { r_.warnings.push_back({file_, line_, std::move(message), true}); }
  Config& c() { return r_.config; }

  Outcome dispatch(Mode m, const Words& w) {
    // Entering a mode sets mode_; the handler for a mode runs with mode_ possibly deeper, so a
    // handler that does not know the line returns Unknown and the caller tries the parent.
    switch (m) {
      case Mode::Top: return top(w);
      case Mode::RouterBgp: return router_bgp(w);
      case Mode::AddressFamily: return address_family(w);
      case Mode::RouteMap: return route_map(w);
      case Mode::Bfd: return bfd(w);
      case Mode::BfdProfile: return bfd_timers(w, c().bfd->profiles[profile_].timers, true);
      case Mode::BfdPeer: return bfd_timers(w, c().bfd->peers[peer_].timers, false);
      case Mode::Fib: return fib(w);
      case Mode::LineVty: return Outcome::unknown();
    }
    return Outcome::unknown();
  }

  // ---- top level ----
  Outcome top(const Words& w) {
    if (w.is(0, "frr") && w.is(1, "version") && w.size() >= 3) return c().frr_version = w.rest(2), Outcome::ok();
    if (w.is(0, "frr") && w.is(1, "defaults") && w.size() == 3) return c().frr_defaults = w[2], Outcome::ok();
    if (w.is(0, "hostname") && w.size() == 2) return c().hostname = w[1], Outcome::ok();
    if (w.is(0, "log") && w.size() >= 2) return c().log_lines.push_back(w.rest(0)), Outcome::ok();
    if (w.is(0, "service") && w.is(1, "integrated-vtysh-config") && w.size() == 2) {
      c().integrated_vtysh_config = true;
      return Outcome::ok();
    }
    if (w.is(0, "line") && w.is(1, "vty") && w.size() == 2) return mode_ = Mode::LineVty, Outcome::ok();
    if ((w.is(0, "ip") || w.is(0, "ipv6")) && w.is(1, "prefix-list")) return prefix_list(w);
    if (w.is(0, "no")) return top_no(w);
    if (w.is(0, "bgp") && w.is(1, "community-list")) return community_list(w);
    if (w.is(0, "bgp") && w.is(1, "large-community-list")) return large_community_list(w);
    if (w.is(0, "route-map")) return route_map_header(w);
    if (w.is(0, "router") && w.is(1, "bgp")) return router_bgp_header(w);
    if (w.is(0, "bfd") && w.size() == 1) {
      if (!c().bfd) c().bfd = Bfd{};
      mode_ = Mode::Bfd;
      return Outcome::ok();
    }
    if (w.is(0, "fib") && w.size() == 1) {
      if (!c().fib) c().fib = Fib{};
      mode_ = Mode::Fib;
      return Outcome::ok();
    }
    return Outcome::unknown();
  }

  // no ip|ipv6 prefix-list NAME [seq N ...], no route-map NAME [permit|deny SEQ],
  // no bgp [large-]community-list [standard] NAME, no bfd, no fib
  Outcome top_no(const Words& w) {
    if ((w.is(1, "ip") || w.is(1, "ipv6")) && w.is(2, "prefix-list") && w.size() >= 4) {
      auto& lists = w.is(1, "ip") ? c().prefix_lists_v4 : c().prefix_lists_v6;
      auto it = lists.find(w[3]);
      if (it == lists.end()) return Outcome::error("no prefix-list " + w[3]);
      if (w.size() == 4) return lists.erase(it), Outcome::ok();
      auto seq = w.is(4, "seq") ? parse_number<uint32_t>(w.size() > 5 ? w[5] : "", 1, 4294967295u) : std::nullopt;
      if (!seq) return Outcome::error("usage: no " + w[1] + " prefix-list NAME [seq N]");
      std::erase_if(it->second.entries, [&](const PrefixListEntry& e) { return e.seq == *seq; });
      if (it->second.entries.empty()) lists.erase(it);
      return Outcome::ok();
    }
    if (w.is(1, "route-map") && w.size() >= 3) {
      auto it = c().route_maps.find(w[2]);
      if (it == c().route_maps.end()) return Outcome::error("no route-map " + w[2]);
      if (mode_ == Mode::RouteMap && rmap_name_ == w[2]) mode_ = Mode::Top;  // its entry may go
      if (w.size() == 3) return c().route_maps.erase(it), Outcome::ok();
      auto seq = w.size() == 5 ? parse_number<uint32_t>(w[4], 1, 65535) : std::nullopt;
      if (!seq) return Outcome::error("usage: no route-map NAME [permit|deny SEQ]");
      std::erase_if(it->second.entries, [&](const RouteMapEntry& e) { return e.seq == *seq; });
      if (it->second.entries.empty()) c().route_maps.erase(it);
      return Outcome::ok();
    }
    if (w.is(1, "bgp") && (w.is(2, "community-list") || w.is(2, "large-community-list")) && w.size() >= 4) {
      const std::string& name = w.is(3, "standard") && w.size() >= 5 ? w[4] : w[3];
      const size_t n =
          w.is(2, "community-list") ? c().community_lists.erase(name) : c().large_community_lists.erase(name);
      return n ? Outcome::ok() : Outcome::error("no " + w[2] + " " + name);
    }
    if (w.is(1, "bfd") && w.size() == 2) {
      c().bfd.reset();
      if (mode_ == Mode::Bfd || mode_ == Mode::BfdProfile || mode_ == Mode::BfdPeer) mode_ = Mode::Top;
      return Outcome::ok();
    }
    if (w.is(1, "fib") && w.size() == 2) {
      c().fib.reset();
      if (mode_ == Mode::Fib) mode_ = Mode::Top;
      return Outcome::ok();
    }
    return Outcome::unknown();
  }

  Outcome prefix_list(const Words& w) {
    // {ip|ipv6} prefix-list NAME [seq N] {permit|deny} {PREFIX|any} [ge N] [le N]
    const Family family = w.is(0, "ip") ? Family::V4 : Family::V6;
    if (w.size() < 5)
      return Outcome::error("usage: " + w[0] + " prefix-list NAME [seq N] permit|deny PREFIX|any [ge N] [le N]");
    auto& lists = family == Family::V4 ? c().prefix_lists_v4 : c().prefix_lists_v6;
    PrefixList& list = lists[w[2]];
    list.family = family;
    size_t i = 3;
    PrefixListEntry e;
    if (w.is(i, "seq")) {
      auto seq = parse_number<uint32_t>(i + 1 < w.size() ? w[i + 1] : "", 1, 4294967295u);
      if (!seq) return Outcome::error("seq must be a number from 1 to 4294967295");
      e.seq = *seq;
      i += 2;
    } else {
      e.seq = list.entries.empty() ? 5 : (list.entries.back().seq / 5 + 1) * 5;  // FRR's automatic numbering
    }
    if (!w.is(i, "permit") && !w.is(i, "deny"))
      return Outcome::error("expected permit or deny, got '" + (i < w.size() ? w[i] : "") + "'");
    e.action = w.is(i, "permit") ? Action::Permit : Action::Deny;
    ++i;
    if (i >= w.size()) return Outcome::error("missing prefix");
    if (w[i] == "any") {
      e.any = true;
      e.prefix = Prefix(IpAddress::from_bytes(family, std::array<uint8_t, 16>{}), 0);
    } else {
      auto p = Prefix::parse(w[i]);
      if (!p || p->family() != family)
        return Outcome::error("'" + w[i] + "' is not an " + (family == Family::V4 ? "IPv4" : "IPv6") + " prefix");
      if (p->to_string() != w[i] && w[i].find('/') != std::string::npos) {
        return Outcome::error("'" + w[i] + "' has host bits set; did you mean " + p->to_string() + "?");
      }
      e.prefix = *p;
    }
    ++i;
    const uint8_t max = max_prefix_length(family);
    while (i < w.size()) {
      if ((w.is(i, "ge") || w.is(i, "le")) && i + 1 < w.size()) {
        auto v = parse_number<uint8_t>(w[i + 1], 0, max);
        if (!v) return Outcome::error(w[i] + " must be a number from 0 to " + std::to_string(max));
        (w.is(i, "ge") ? e.ge : e.le) = *v;
        i += 2;
      } else {
        return Outcome::error("unexpected '" + w[i] + "'");
      }
    }
    if (e.any && (e.ge || e.le)) return Outcome::error("'any' takes no ge/le");
    // FRR's rule: len <= ge <= le.
    if (e.ge && *e.ge < e.prefix.length())
      return Outcome::error("ge " + std::to_string(*e.ge) + " is shorter than the prefix length");
    if (e.le && *e.le < e.ge.value_or(e.prefix.length()))
      return Outcome::error("le must be at least ge and the prefix length");
    auto it = std::find_if(list.entries.begin(), list.entries.end(), [&](const auto& x) { return x.seq == e.seq; });
    if (it != list.entries.end()) {
      *it = e;
    } else {
      list.entries.insert(std::upper_bound(list.entries.begin(), list.entries.end(), e,
                                           [](const auto& a, const auto& b) { return a.seq < b.seq; }),
                          e);
    }
    return Outcome::ok();
  }

  // bgp [large-]community-list [standard] NAME permit|deny VALUE...
  template <typename Entry, typename ParseOne>
  Outcome community_list_generic(const Words& w, std::map<std::string, std::vector<Entry>>& lists, ParseOne parse_one,
                                 const char* what) {
    size_t i = 2;
    if (w.is(i, "expanded"))
      return Outcome::error(std::string("expanded ") + what + "s (regular expressions) are not supported");
    if (w.is(i, "standard")) ++i;
    if (i + 3 > w.size())
      return Outcome::error(std::string("usage: bgp ") + what + " [standard] NAME permit|deny VALUE...");
    const std::string name = w[i++];
    if (!w.is(i, "permit") && !w.is(i, "deny")) return Outcome::error("expected permit or deny");
    Entry e;
    e.action = w.is(i, "permit") ? Action::Permit : Action::Deny;
    ++i;
    if (i >= w.size()) return Outcome::error(std::string("missing ") + what + " values");
    for (; i < w.size(); ++i) {
      auto v = parse_one(w[i]);
      if (!v) return Outcome::error("'" + w[i] + "' is not a valid value for a " + what);
      e.communities.push_back(*v);
    }
    lists[name].push_back(std::move(e));
    return Outcome::ok();
  }

  Outcome community_list(const Words& w) {
    return community_list_generic(w, c().community_lists, parse_community, "community-list");
  }
  Outcome large_community_list(const Words& w) {
    return community_list_generic(w, c().large_community_lists, parse_large_community, "large-community-list");
  }

  Outcome route_map_header(const Words& w) {
    if (w.size() != 4 || (!w.is(2, "permit") && !w.is(2, "deny")))
      return Outcome::error("usage: route-map NAME permit|deny SEQ");
    auto seq = parse_number<uint32_t>(w[3], 1, 65535);
    if (!seq) return Outcome::error("route-map sequence must be a number from 1 to 65535");
    RouteMap& map = c().route_maps[w[1]];
    auto it = std::find_if(map.entries.begin(), map.entries.end(), [&](const auto& e) { return e.seq == *seq; });
    if (it == map.entries.end()) {
      RouteMapEntry e;
      e.seq = *seq;
      it = map.entries.insert(std::upper_bound(map.entries.begin(), map.entries.end(), e,
                                               [](const auto& a, const auto& b) { return a.seq < b.seq; }),
                              e);
    }
    it->action = w.is(2, "permit") ? Action::Permit : Action::Deny;
    rmap_name_ = w[1];
    rmap_seq_ = *seq;
    mode_ = Mode::RouteMap;
    return Outcome::ok();
  }

  RouteMapEntry& rmap_entry() {
    auto& entries = c().route_maps[rmap_name_].entries;
    return *std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.seq == rmap_seq_; });
  }

  Outcome route_map(const Words& w) {
    RouteMapEntry& e = rmap_entry();
    if (w.is(0, "match")) {
      if ((w.is(1, "ip") || w.is(1, "ipv6")) && w.is(2, "address") && w.is(3, "prefix-list") && w.size() == 5) {
        (w.is(1, "ip") ? e.match_prefix_list_v4 : e.match_prefix_list_v6) = w[4];
        return Outcome::ok();
      }
      if ((w.is(1, "community") || w.is(1, "large-community")) &&
          (w.size() == 3 || (w.size() == 4 && w.is(3, "exact-match")))) {
        const bool exact = w.size() == 4;
        if (w.is(1, "community")) {
          e.match_community = w[2], e.match_community_exact = exact;
        } else {
          e.match_large_community = w[2], e.match_large_community_exact = exact;
        }
        return Outcome::ok();
      }
      return Outcome::error("unsupported match: " + w.rest(1));
    }
    if (w.is(0, "set")) {
      if (w.is(1, "local-preference") && w.size() == 3) {
        auto v = parse_number<uint32_t>(w[2], 0, UINT32_MAX);
        if (!v) return Outcome::error("local-preference must be a number from 0 to 4294967295");
        e.set_local_pref = *v;
        return Outcome::ok();
      }
      if (w.is(1, "metric") && w.size() == 3) {
        auto v = parse_number<uint32_t>(w[2], 0, UINT32_MAX);
        if (!v) return Outcome::error("metric must be a number from 0 to 4294967295");
        e.set_metric = *v;
        return Outcome::ok();
      }
      if (w.is(1, "community") && w.size() >= 3) {
        if (w.is(2, "none") && w.size() == 3) {
          e.set_community_none = true, e.set_community.reset(), e.set_community_additive = false;
          return Outcome::ok();
        }
        std::vector<uint32_t> values;
        bool additive = false;
        for (size_t i = 2; i < w.size(); ++i) {
          if (w.is(i, "additive") && i + 1 == w.size() && i > 2) {
            additive = true;
            continue;
          }
          auto v = parse_community(w[i]);
          if (!v) return Outcome::error("'" + w[i] + "' is not a community (AA:NN or a well-known name)");
          values.push_back(*v);
        }
        e.set_community = values, e.set_community_additive = additive, e.set_community_none = false;
        return Outcome::ok();
      }
      if (w.is(1, "large-community") && w.size() >= 3) {
        if (w.is(2, "none") && w.size() == 3) {
          e.set_large_community_none = true, e.set_large_community.reset(), e.set_large_community_additive = false;
          return Outcome::ok();
        }
        std::vector<LargeCommunity> values;
        bool additive = false;
        for (size_t i = 2; i < w.size(); ++i) {
          if (w.is(i, "additive") && i + 1 == w.size() && i > 2) {
            additive = true;
            continue;
          }
          auto v = parse_large_community(w[i]);
          if (!v) return Outcome::error("'" + w[i] + "' is not a large community (A:B:C)");
          values.push_back(*v);
        }
        e.set_large_community = values, e.set_large_community_additive = additive, e.set_large_community_none = false;
        return Outcome::ok();
      }
      return Outcome::error("unsupported set: " + w.rest(1));
    }
    return Outcome::unknown();
  }

  // ---- router bgp ----
  Outcome router_bgp_header(const Words& w) {
    if (w.size() >= 4 && w.is(3, "vrf")) return Outcome::error("VRFs are not supported");
    if (w.size() != 3) return Outcome::error("usage: router bgp ASN");
    auto asn = parse_number<uint32_t>(w[2], 1, UINT32_MAX);
    if (!asn) return Outcome::error("AS number must be from 1 to 4294967295");
    if (c().bgp && c().bgp->asn != *asn) {
      return Outcome::error("only one router bgp is supported (already AS " + std::to_string(c().bgp->asn) + ")");
    }
    if (!c().bgp) c().bgp = Bgp{};
    c().bgp->asn = *asn;
    mode_ = Mode::RouterBgp;
    return Outcome::ok();
  }

  static std::optional<Afi> parse_afi(const Words& w, size_t i) {
    if (w.is(i, "ipv4") && w.is(i + 1, "unicast")) return Afi::Ipv4Unicast;
    if (w.is(i, "ipv6") && w.is(i + 1, "unicast")) return Afi::Ipv6Unicast;
    return std::nullopt;
  }

  Outcome timers(const Words& w, size_t i, Timers& out) {
    if (i + 2 != w.size()) return Outcome::error("usage: timers KEEPALIVE HOLD");
    auto ka = parse_number<uint16_t>(w[i], 0, 65535);
    auto hold = parse_number<uint16_t>(w[i + 1], 0, 65535);
    if (!ka || !hold) return Outcome::error("timers must be numbers from 0 to 65535");
    if (*hold != 0 && *hold < 3) return Outcome::error("hold time must be 0 or at least 3 seconds (RFC 4271 §4.2)");
    out = {*ka, *hold};
    return Outcome::ok();
  }

  Outcome router_bgp(const Words& w) {
    Bgp& b = *c().bgp;
    if (w.is(0, "bgp")) {
      if (w.is(1, "router-id") && w.size() == 3) {
        auto ip = IpAddress::parse(w[2]);
        if (!ip || !ip->is_v4() || ip->is_unspecified())
          return Outcome::error("router-id must be a nonzero IPv4 address");
        b.router_id = *ip;
        return Outcome::ok();
      }
      if (w.is(1, "ebgp-requires-policy") && w.size() == 2) return b.ebgp_requires_policy = true, Outcome::ok();
      if (w.is(1, "default") && w.is(2, "ipv4-unicast") && w.size() == 3)
        return b.default_ipv4_unicast = true, Outcome::ok();
      if (w.is(1, "always-compare-med") && w.size() == 2) return b.always_compare_med = true, Outcome::ok();
      if (w.is(1, "log-neighbor-changes") && w.size() == 2) return Outcome::ok();  // always on in Ridgeline
      if (w.is(1, "bestpath") && w.is(2, "as-path") && w.is(3, "multipath-relax") && w.size() == 4) {
        b.multipath_relax = true;
        return Outcome::ok();
      }
      if (w.is(1, "graceful-restart")) {
        if (w.size() == 2) return b.graceful_restart = true, Outcome::ok();
        if ((w.is(2, "restart-time") || w.is(2, "stalepath-time")) && w.size() == 4) {
          auto v = parse_number<uint16_t>(w[3], 1, 4095);
          if (!v) return Outcome::error(w[2] + " must be a number from 1 to 4095");
          (w.is(2, "restart-time") ? b.graceful_restart_time : b.graceful_restart_stalepath_time) = *v;
          return Outcome::ok();
        }
      }
      if (w.is(1, "limit") && w.size() == 4) {
        struct Knob {
          const char* name;
          uint32_t BgpLimits::*field;
          uint32_t min, max;
        };
        static constexpr Knob knobs[] = {{"message-size", &BgpLimits::message_size, 4096, 65535},
                                         {"attributes", &BgpLimits::attributes, 1, 256},
                                         {"communities", &BgpLimits::communities, 1, 65535}};
        for (const Knob& k : knobs) {
          if (!w.is(2, k.name)) continue;
          auto v = parse_number<uint32_t>(w[3], k.min, k.max);
          if (!v) return Outcome::error(fmt::format("limit {} must be a number from {} to {}", k.name, k.min, k.max));
          b.limits.*k.field = *v;
          return Outcome::ok();
        }
        return Outcome::error("usage: bgp limit message-size|attributes|communities N");
      }
      if (w.is(1, "maxas-limit") && w.size() == 3) {
        auto v = parse_number<uint32_t>(w[2], 1, 2000);
        if (!v) return Outcome::error("maxas-limit must be a number from 1 to 2000");
        b.maxas_limit = *v;
        return Outcome::ok();
      }
      if (w.is(1, "listen")) {
        if (w.is(2, "limit") && w.size() == 4) {
          auto v = parse_number<uint32_t>(w[3], 1, 65535);
          if (!v) return Outcome::error("listen limit must be a number from 1 to 65535");
          b.listen_limit = *v;
          return Outcome::ok();
        }
        if (w.is(2, "range") && w.is(4, "peer-group") && w.size() == 6) {
          auto p = Prefix::parse(w[3]);
          if (!p) return Outcome::error("'" + w[3] + "' is not a prefix");
          b.listen_ranges.push_back({*p, w[5]});
          return Outcome::ok();
        }
        return Outcome::error("usage: bgp listen range PREFIX peer-group NAME | bgp listen limit N");
      }
      return Outcome::unknown();
    }
    if (w.is(0, "no") && w.is(1, "bgp")) {
      if (w.is(2, "ebgp-requires-policy") && w.size() == 3) return b.ebgp_requires_policy = false, Outcome::ok();
      if (w.is(2, "graceful-restart") && w.size() == 3) return b.graceful_restart = false, Outcome::ok();
      if (w.is(2, "maxas-limit")) return b.maxas_limit.reset(), Outcome::ok();
      if (w.is(2, "limit") && w.size() >= 4) {
        const BgpLimits defaults;
        if (w.is(3, "message-size")) return b.limits.message_size = defaults.message_size, Outcome::ok();
        if (w.is(3, "attributes")) return b.limits.attributes = defaults.attributes, Outcome::ok();
        if (w.is(3, "communities")) return b.limits.communities = defaults.communities, Outcome::ok();
      }
      if (w.is(2, "always-compare-med") && w.size() == 3) return b.always_compare_med = false, Outcome::ok();
      if (w.is(2, "bestpath") && w.is(3, "as-path") && w.is(4, "multipath-relax") && w.size() == 5)
        return b.multipath_relax = false, Outcome::ok();
      if (w.is(2, "listen") && w.is(3, "range") && w.size() == 7 && w.is(5, "peer-group")) {
        auto p = Prefix::parse(w[4]);
        if (!p) return Outcome::error("'" + w[4] + "' is not a prefix");
        std::erase_if(b.listen_ranges, [&](const ListenRange& r) { return r.prefix == *p && r.peer_group == w[6]; });
        return Outcome::ok();
      }
      if (w.is(2, "default") && w.is(3, "ipv4-unicast") && w.size() == 4)
        return b.default_ipv4_unicast = false, Outcome::ok();
      return Outcome::unknown();
    }
    if (w.is(0, "timers") && w.is(1, "bgp")) {
      Timers t;
      Outcome o = timers(w, 2, t);
      if (o.kind == Outcome::Handled) b.timers = t;
      return o;
    }
    if (w.is(0, "address-family")) {
      auto afi = parse_afi(w, 1);
      if (!afi || w.size() != 3) return Outcome::error("supported address families: ipv4 unicast, ipv6 unicast");
      b.af[*afi];
      afi_ = *afi;
      mode_ = Mode::AddressFamily;
      return Outcome::ok();
    }
    if (w.is(0, "neighbor") || (w.is(0, "no") && w.is(1, "neighbor"))) {
      // Address-family commands given at router level apply to IPv4 unicast, as in FRR.
      Outcome o = neighbor(w);
      if (o.kind != Outcome::Unknown) return o;
      afi_ = Afi::Ipv4Unicast;
      return neighbor_af(w);
    }
    if (w.is(0, "maximum-paths") || w.is(0, "network")) {
      afi_ = Afi::Ipv4Unicast;
      return address_family(w);
    }
    return Outcome::unknown();
  }

  Outcome neighbor(const Words& w) {
    if (w.is(0, "no")) {
      // no neighbor X: the neighbor (or peer-group, and its members' membership) goes.
      if (w.size() != 3 && !(w.size() == 4 && w.is(3, "peer-group")) && !(w.size() >= 4 && w.is(3, "remote-as")))
        return no_neighbor_setting(w);
      Bgp& b = *c().bgp;
      if (!b.find_neighbor(w[2])) return Outcome::error("no neighbor " + w[2]);
      std::erase_if(b.neighbors, [&](const Neighbor& n) { return n.name == w[2]; });
      for (auto& n : b.neighbors) {
        if (n.peer_group == w[2]) n.peer_group.reset();
      }
      std::erase_if(b.listen_ranges, [&](const ListenRange& r) { return r.peer_group == w[2]; });
      return Outcome::ok();
    }
    Bgp& b = *c().bgp;
    if (w.size() < 3) return Outcome::error("usage: neighbor PEER COMMAND");
    const std::string& name = w[1];
    const bool is_address = IpAddress::parse(name).has_value();
    Neighbor* n = b.find_neighbor(name);
    if (w.is(2, "peer-group") && w.size() == 3) {
      if (is_address) return Outcome::error("a peer-group needs a name, not an address");
      if (!n) {
        b.neighbors.push_back(Neighbor{});
        n = &b.neighbors.back();
        n->name = name;
      }
      n->is_peer_group = true;
      return Outcome::ok();
    }
    if (w.is(2, "peer-group") && w.size() == 4) {
      if (!is_address) return Outcome::error("'" + name + "' is not a neighbor address");
      const Neighbor* group = b.find_neighbor(w[3]);
      if (!group || !group->is_peer_group) return Outcome::error("peer-group " + w[3] + " is not defined");
      if (!n) {
        b.neighbors.push_back(Neighbor{});
        n = &b.neighbors.back();
        n->name = name;
      }
      n->peer_group = w[3];
      return Outcome::ok();
    }
    if (w.is(2, "remote-as") && w.size() == 4) {
      RemoteAs ra;
      if (w[3] == "internal") {
        ra.kind = RemoteAsKind::Internal;
      } else if (w[3] == "external") {
        ra.kind = RemoteAsKind::External;
      } else if (auto asn = parse_number<uint32_t>(w[3], 1, UINT32_MAX)) {
        ra.asn = *asn;
      } else {
        return Outcome::error("remote-as must be an AS number, internal or external");
      }
      if (!n) {
        if (!is_address) return Outcome::error("'" + name + "' is neither an address nor a defined peer-group");
        b.neighbors.push_back(Neighbor{});
        n = &b.neighbors.back();
        n->name = name;
      }
      n->remote_as = ra;
      return Outcome::ok();
    }
    const bool known_command = w.is(2, "description") || w.is(2, "timers") || w.is(2, "passive") ||
                               w.is(2, "ebgp-multihop") || w.is(2, "ttl-security") || w.is(2, "update-source") ||
                               w.is(2, "password") || w.is(2, "tcp-ao") || w.is(2, "bfd") || w.is(2, "shutdown") ||
                               w.is(2, "graceful-restart");
    if (!known_command) return Outcome::unknown();
    if (!n) return Outcome::error("neighbor " + name + ": give remote-as or peer-group first");
    if (w.is(2, "description") && w.size() >= 4) return n->description = w.rest(3), Outcome::ok();
    if (w.is(2, "timers") && w.is(3, "connect") && w.size() == 5) {
      auto v = parse_number<uint16_t>(w[4], 1, 65535);
      if (!v) return Outcome::error("connect timer must be a number from 1 to 65535");
      n->connect_retry = *v;
      return Outcome::ok();
    }
    if (w.is(2, "timers")) {
      Timers t;
      Outcome o = timers(w, 3, t);
      if (o.kind == Outcome::Handled) n->timers = t;
      return o;
    }
    if (w.is(2, "passive") && w.size() == 3) return n->passive = true, Outcome::ok();
    if (w.is(2, "ebgp-multihop")) {
      if (w.size() == 3) return n->ebgp_multihop = 255, Outcome::ok();
      auto v = w.size() == 4 ? parse_number<uint8_t>(w[3], 1, 255) : std::nullopt;
      if (!v) return Outcome::error("ebgp-multihop takes a hop count from 1 to 255");
      n->ebgp_multihop = *v;
      return Outcome::ok();
    }
    if (w.is(2, "ttl-security") && w.is(3, "hops") && w.size() == 5) {
      auto v = parse_number<uint8_t>(w[4], 1, 254);
      if (!v) return Outcome::error("ttl-security hops must be a number from 1 to 254");
      n->ttl_security_hops = *v;
      return Outcome::ok();
    }
    if (w.is(2, "update-source") && w.size() == 4) return n->update_source = w[3], Outcome::ok();
    if (w.is(2, "password") && w.size() >= 4) {
      const std::string pw = w.rest(3);
      if (pw.size() > 80) return Outcome::error("TCP-MD5 passwords are at most 80 characters");
      if (n->tcp_ao) return Outcome::error("neighbor " + name + ": password and tcp-ao exclude each other");
      n->password = pw;
      return Outcome::ok();
    }
    // neighbor X tcp-ao [algorithm hmac-sha1|aes-128-cmac|hmac-sha256] [send-id N] [recv-id N] key SECRET
    if (w.is(2, "tcp-ao")) {
      tcp_ao::Key key;
      size_t i = 3;
      for (; i + 1 < w.size() && !w.is(i, "key"); i += 2) {
        if (w.is(i, "algorithm")) {
          auto a = tcp_ao::parse_algorithm(w[i + 1]);
          if (!a) return Outcome::error("tcp-ao algorithm must be hmac-sha1, aes-128-cmac or hmac-sha256");
          key.algorithm = *a;
        } else if (w.is(i, "send-id") || w.is(i, "recv-id")) {
          auto v = parse_number<uint8_t>(w[i + 1], 0, 255);
          if (!v) return Outcome::error(w[i] + " must be a number from 0 to 255");
          (w.is(i, "send-id") ? key.send_id : key.recv_id) = *v;
        } else {
          break;
        }
      }
      if (!w.is(i, "key") || i + 1 >= w.size())
        return Outcome::error(
            "usage: neighbor X tcp-ao [algorithm hmac-sha1|aes-128-cmac|hmac-sha256] [send-id N] [recv-id N] key "
            "SECRET");
      key.secret = w.rest(i + 1);
      if (key.secret.size() > tcp_ao::kMaxKeyLength) return Outcome::error("TCP-AO keys are at most 80 characters");
      if (n->password) return Outcome::error("neighbor " + name + ": password and tcp-ao exclude each other");
      n->tcp_ao = key;
      return Outcome::ok();
    }
    if (w.is(2, "bfd")) {
      if (w.size() == 3) return n->bfd = true, Outcome::ok();
      if (w.is(3, "profile") && w.size() == 5) return n->bfd = true, n->bfd_profile = w[4], Outcome::ok();
      if (w.is(3, "check-control-plane-failure") && w.size() == 4) {
        return n->bfd_check_control_plane_failure = true, Outcome::ok();
      }
      if (w.is(3, "strict") && w.size() == 4) return n->bfd_strict = true, Outcome::ok();
      return Outcome::error("usage: neighbor PEER bfd [profile NAME | check-control-plane-failure | strict]");
    }
    if (w.is(2, "shutdown") && w.size() == 3) return n->shutdown = true, Outcome::ok();
    if (w.is(2, "graceful-restart") && w.size() == 3) return n->graceful_restart = true, Outcome::ok();
    return Outcome::error("malformed neighbor command: " + w.rest(0));
  }

  Outcome address_family(const Words& w) {
    Bgp& b = *c().bgp;
    AddressFamily& af = b.af[afi_];
    if (w.is(0, "exit-address-family") && w.size() == 1) {
      mode_ = Mode::RouterBgp;
      return Outcome::ok();
    }
    if (w.is(0, "no") && w.is(1, "network") && w.size() >= 3) {
      auto p = Prefix::parse(w[2]);
      if (!p) return Outcome::error("'" + w[2] + "' is not a prefix");
      std::erase_if(af.networks, [&](const Network& x) { return x.prefix == *p; });
      return Outcome::ok();
    }
    if (w.is(0, "no") && w.is(1, "maximum-paths")) {
      (w.is(2, "ibgp") ? af.maximum_paths_ibgp : af.maximum_paths).reset();
      return Outcome::ok();
    }
    if (w.is(0, "maximum-paths")) {
      const bool ibgp = w.is(1, "ibgp");
      const size_t i = ibgp ? 2 : 1;
      auto v = w.size() == i + 1 ? parse_number<uint32_t>(w[i], 1, 256) : std::nullopt;
      if (!v) return Outcome::error("usage: maximum-paths [ibgp] N (1 to 256)");
      (ibgp ? af.maximum_paths_ibgp : af.maximum_paths) = *v;
      return Outcome::ok();
    }
    if (w.is(0, "network") && (w.size() == 2 || (w.size() == 4 && w.is(2, "route-map")))) {
      auto p = Prefix::parse(w[1]);
      const Family family = afi_ == Afi::Ipv4Unicast ? Family::V4 : Family::V6;
      if (!p || p->family() != family) return Outcome::error("'" + w[1] + "' is not a prefix of this address family");
      Network n{*p, w.size() == 4 ? std::optional<std::string>(w[3]) : std::nullopt};
      auto it = std::find_if(af.networks.begin(), af.networks.end(), [&](const Network& x) { return x.prefix == *p; });
      if (it != af.networks.end()) {
        *it = n;
      } else {
        af.networks.push_back(n);
      }
      return Outcome::ok();
    }
    if (w.is(0, "neighbor") || (w.is(0, "no") && w.is(1, "neighbor"))) return neighbor_af(w);
    return Outcome::unknown();
  }

  // no neighbor X password|description|shutdown|bfd|ebgp-multihop|ttl-security|update-source|timers
  Outcome no_neighbor_setting(const Words& w) {
    if (w.size() < 4) return Outcome::unknown();
    Neighbor* n = c().bgp->find_neighbor(w[2]);
    const std::string& cmd = w[3];
    static const char* af_commands[] = {"activate",
                                        "route-map",
                                        "prefix-list",
                                        "maximum-prefix",
                                        "soft-reconfiguration",
                                        "next-hop-self",
                                        "route-reflector-client"};
    for (const char* a : af_commands) {
      if (cmd == a) return Outcome::unknown();  // the address-family handler's
    }
    if (!n) return Outcome::error("no neighbor " + w[2]);
    if (cmd == "password") return n->password.reset(), Outcome::ok();
    if (cmd == "tcp-ao") return n->tcp_ao.reset(), Outcome::ok();
    if (cmd == "description") return n->description.reset(), Outcome::ok();
    if (cmd == "shutdown" && w.size() == 4) return n->shutdown.reset(), Outcome::ok();
    if (cmd == "bfd" && w.size() == 4) return n->bfd.reset(), n->bfd_profile.reset(), Outcome::ok();
    if (cmd == "bfd" && w.is(4, "profile")) return n->bfd_profile.reset(), Outcome::ok();
    if (cmd == "ebgp-multihop") return n->ebgp_multihop.reset(), Outcome::ok();
    if (cmd == "ttl-security") return n->ttl_security_hops.reset(), Outcome::ok();
    if (cmd == "update-source") return n->update_source.reset(), Outcome::ok();
    if (cmd == "timers") return n->timers.reset(), Outcome::ok();
    return Outcome::error("malformed command: " + w.rest(0));
  }

  Outcome neighbor_af(const Words& w) {
    const bool negated = w.is(0, "no");
    const size_t base = negated ? 1 : 0;  // index of "neighbor"
    if (w.size() < base + 3) return Outcome::unknown();
    Neighbor* n = c().bgp->find_neighbor(w[base + 1]);
    const std::string& cmd = w[base + 2];
    const bool known = cmd == "activate" || cmd == "route-map" || cmd == "prefix-list" || cmd == "maximum-prefix" ||
                       cmd == "soft-reconfiguration" || cmd == "next-hop-self" || cmd == "route-reflector-client";
    if (!known) return Outcome::unknown();
    if (!n) return Outcome::error("neighbor " + w[base + 1] + ": give remote-as or peer-group first");
    NeighborAf& af = n->af[afi_];
    const size_t args = w.size() - base - 3;
    if (cmd == "activate" && args == 0) return af.activate = !negated, Outcome::ok();
    if (negated) {
      // no neighbor X route-map|prefix-list [NAME] in|out, and the flags.
      if ((cmd == "route-map" || cmd == "prefix-list") && (args == 1 || args == 2) &&
          (w.is(w.size() - 1, "in") || w.is(w.size() - 1, "out"))) {
        const bool in = w.is(w.size() - 1, "in");
        auto& slot = cmd == "route-map" ? (in ? af.route_map_in : af.route_map_out)
                                        : (in ? af.prefix_list_in : af.prefix_list_out);
        slot.reset();
        return Outcome::ok();
      }
      if (cmd == "maximum-prefix") return af.maximum_prefix.reset(), Outcome::ok();
      if (cmd == "soft-reconfiguration") return af.soft_reconfiguration_inbound.reset(), Outcome::ok();
      if (cmd == "next-hop-self" && args == 0) return af.next_hop_self.reset(), Outcome::ok();
      if (cmd == "route-reflector-client" && args == 0) return af.route_reflector_client.reset(), Outcome::ok();
      return Outcome::error("malformed command: " + w.rest(0));
    }
    if ((cmd == "route-map" || cmd == "prefix-list") && args == 2 && (w.is(base + 4, "in") || w.is(base + 4, "out"))) {
      const bool in = w.is(base + 4, "in");
      auto& slot = cmd == "route-map" ? (in ? af.route_map_in : af.route_map_out)
                                      : (in ? af.prefix_list_in : af.prefix_list_out);
      slot = w[base + 3];
      return Outcome::ok();
    }
    if (cmd == "maximum-prefix" && args >= 1) {
      MaximumPrefix mp;
      auto limit = parse_number<uint32_t>(w[base + 3], 1, UINT32_MAX);
      if (!limit) return Outcome::error("maximum-prefix must be a number from 1 to 4294967295");
      mp.limit = *limit;
      size_t i = base + 4;
      if (i < w.size()) {
        if (auto pct = parse_number<uint8_t>(w[i], 1, 100)) mp.threshold_percent = *pct, ++i;
      }
      if (w.is(i, "warning-only") && i + 1 == w.size()) {
        mp.warning_only = true;
      } else if (w.is(i, "restart") && i + 2 == w.size()) {
        auto minutes = parse_number<uint32_t>(w[i + 1], 1, 65535);
        if (!minutes) return Outcome::error("restart takes minutes from 1 to 65535");
        mp.restart_minutes = *minutes;
      } else if (i != w.size()) {
        return Outcome::error("usage: neighbor PEER maximum-prefix N [THRESHOLD] [warning-only | restart MINUTES]");
      }
      af.maximum_prefix = mp;
      return Outcome::ok();
    }
    if (cmd == "soft-reconfiguration" && args == 1 && w.is(base + 3, "inbound")) {
      return af.soft_reconfiguration_inbound = true, Outcome::ok();
    }
    if (cmd == "next-hop-self" && args == 0) return af.next_hop_self = true, Outcome::ok();
    if (cmd == "route-reflector-client" && args == 0) return af.route_reflector_client = true, Outcome::ok();
    return Outcome::error("malformed neighbor command: " + w.rest(0));
  }

  // ---- bfd ----
  Outcome bfd(const Words& w) {
    Bfd& b = *c().bfd;
    if (w.is(0, "no") && w.is(1, "profile") && w.size() == 3) {
      std::erase_if(b.profiles, [&](const BfdProfile& p) { return p.name == w[2]; });
      if (mode_ == Mode::BfdProfile || mode_ == Mode::BfdPeer) mode_ = Mode::Bfd;
      return Outcome::ok();
    }
    if (w.is(0, "no") && w.is(1, "peer") && w.size() >= 3) {
      auto addr = IpAddress::parse(w[2]);
      if (!addr) return Outcome::error("'" + w[2] + "' is not an address");
      std::erase_if(b.peers, [&](const BfdPeer& p) { return p.address == *addr; });
      if (mode_ == Mode::BfdProfile || mode_ == Mode::BfdPeer) mode_ = Mode::Bfd;
      return Outcome::ok();
    }
    if (w.is(0, "profile") && w.size() == 2) {
      auto it = std::find_if(b.profiles.begin(), b.profiles.end(), [&](const auto& p) { return p.name == w[1]; });
      if (it == b.profiles.end()) {
        b.profiles.push_back({w[1], {}});
        it = b.profiles.end() - 1;
      }
      profile_ = static_cast<size_t>(it - b.profiles.begin());
      mode_ = Mode::BfdProfile;
      return Outcome::ok();
    }
    if (w.is(0, "peer") && w.size() >= 2) {
      BfdPeer peer;
      auto addr = IpAddress::parse(w[1]);
      if (!addr) return Outcome::error("'" + w[1] + "' is not an address");
      peer.address = *addr;
      for (size_t i = 2; i < w.size(); ++i) {
        if (w.is(i, "multihop")) {
          peer.multihop = true;
        } else if (w.is(i, "local-address") && i + 1 < w.size()) {
          auto local = IpAddress::parse(w[++i]);
          if (!local || local->family() != addr->family())
            return Outcome::error("local-address must be an address of the peer's family");
          peer.local_address = *local;
        } else if (w.is(i, "interface") && i + 1 < w.size()) {
          peer.interface = w[++i];
        } else if (w.is(i, "vrf")) {
          return Outcome::error("VRFs are not supported");
        } else {
          return Outcome::error("unexpected '" + w[i] + "' in bfd peer");
        }
      }
      if (peer.multihop && !peer.local_address) return Outcome::error("a multihop bfd peer needs local-address");
      auto it = std::find_if(b.peers.begin(), b.peers.end(), [&](const BfdPeer& p) {
        return p.address == peer.address && p.multihop == peer.multihop && p.local_address == peer.local_address &&
               p.interface == peer.interface;
      });
      if (it == b.peers.end()) {
        b.peers.push_back(peer);
        it = b.peers.end() - 1;
      }
      peer_ = static_cast<size_t>(it - b.peers.begin());
      mode_ = Mode::BfdPeer;
      return Outcome::ok();
    }
    return Outcome::unknown();
  }

  Outcome bfd_timers(const Words& w, BfdTimers& t, bool in_profile) {
    auto number = [&](uint32_t min, uint32_t max, auto& slot) {
      auto v = w.size() == 2 ? parse_number<uint32_t>(w[1], min, max) : std::nullopt;
      if (!v)
        return Outcome::error(w[0] + " must be a number from " + std::to_string(min) + " to " + std::to_string(max));
      slot = static_cast<std::remove_reference_t<decltype(*slot)>>(*v);
      return Outcome::ok();
    };
    if (w.is(0, "receive-interval")) return number(10, 60000, t.receive_interval_ms);
    if (w.is(0, "transmit-interval")) return number(10, 60000, t.transmit_interval_ms);
    if (w.is(0, "detect-multiplier")) return number(2, 255, t.detect_multiplier);
    if (w.is(0, "minimum-ttl")) return number(1, 254, t.minimum_ttl);
    if (w.is(0, "echo-interval")) return number(10, 60000, t.echo_interval_ms);
    if (w.is(0, "passive-mode") && w.size() == 1) return t.passive_mode = true, Outcome::ok();
    if (w.is(0, "echo-mode") && w.size() == 1) return t.echo_mode = true, Outcome::ok();
    if (w.is(0, "shutdown") && w.size() == 1) return t.shutdown = true, Outcome::ok();
    if (w.is(0, "no") && w.is(1, "shutdown") && w.size() == 2) return t.shutdown = false, Outcome::ok();
    if (!in_profile && w.is(0, "profile") && w.size() == 2) return c().bfd->peers[peer_].profile = w[1], Outcome::ok();
    return Outcome::unknown();
  }

  // ---- fib ----
  Outcome fib(const Words& w) {
    Fib& f = *c().fib;
    auto number = [&](uint32_t min, uint32_t max, uint32_t& slot) {
      auto v = w.size() == 2 ? parse_number<uint32_t>(w[1], min, max) : std::nullopt;
      if (!v)
        return Outcome::error(w[0] + " must be a number from " + std::to_string(min) + " to " + std::to_string(max));
      slot = *v;
      return Outcome::ok();
    };
    if (w.is(0, "table")) return number(1, 0xfffffffe, f.table);
    if (w.is(0, "metric")) return number(0, 0xffffffff, f.metric);
    if (w.is(0, "coalesce-window")) return number(0, 1000, f.coalesce_window_ms);
    if (w.is(0, "bulk-hold")) return number(0, 10000, f.bulk_hold_ms);
    if (w.is(0, "reconcile-interval")) return number(0, 86400, f.reconcile_interval_s);
    if (w.is(0, "convergence-timeout")) return number(0, 3600, f.convergence_timeout_s);
    if (w.is(0, "pending-limit")) return number(1000, 100000000, f.pending_limit);
    if (w.is(0, "multipath-routes") && w.size() == 1) return f.multipath_routes = true, Outcome::ok();
    if (w.is(0, "kernel") && w.is(1, "nexthop-compat-mode") && w.size() == 3 && (w.is(2, "off") || w.is(2, "on"))) {
      return f.nexthop_compat_off = w.is(2, "off"), Outcome::ok();
    }
    if (w.is(0, "resilient-groups") && (w.is(1, "ipv4") || w.is(1, "ipv6"))) {
      ResilientGroups r;
      for (size_t i = 2; i < w.size(); i += 2) {
        auto v = i + 1 < w.size() ? parse_number<uint32_t>(w[i + 1], 1, 0xffffffff) : std::nullopt;
        if (w.is(i, "buckets") && v && *v <= 65535) {
          r.buckets = static_cast<uint16_t>(*v);
        } else if (w.is(i, "idle-timer") && v && *v <= 3600) {
          r.idle_timer_s = *v;
        } else {
          return Outcome::error("usage: resilient-groups ipv4|ipv6 [buckets 1-65535] [idle-timer 1-3600]");
        }
      }
      (w.is(1, "ipv4") ? f.resilient_v4 : f.resilient_v6) = r;
      return Outcome::ok();
    }
    return Outcome::unknown();
  }

  // ---- whole-file checks ----
  void check_references() {
    line_ = 0;
    if (!c().bgp) return;
    const Bgp& b = *c().bgp;
    for (const auto& r : b.listen_ranges) {
      const Neighbor* g = b.find_neighbor(r.peer_group);
      if (!g || !g->is_peer_group)
        error("bgp listen range " + r.prefix.to_string() + ": peer-group " + r.peer_group + " is not defined");
      else if (!g->remote_as)
        error("peer-group " + r.peer_group + " is used by a listen range but has no remote-as");
    }
    for (const auto& n : b.neighbors) {
      if (n.is_peer_group) continue;
      const Neighbor* g = n.peer_group ? b.find_neighbor(*n.peer_group) : nullptr;
      if (!n.remote_as && !(g && g->remote_as)) error("neighbor " + n.name + " has no remote-as");
    }
    auto profile_exists = [&](const std::string& name) {
      return c().bfd && std::any_of(c().bfd->profiles.begin(), c().bfd->profiles.end(),
                                    [&](const BfdProfile& p) { return p.name == name; });
    };
    for (const auto& n : b.neighbors) {
      if (n.bfd_profile && !profile_exists(*n.bfd_profile)) {
        warning("neighbor " + n.name + ": bfd profile " + *n.bfd_profile + " is not defined; BFD defaults apply");
      }
      for (const auto& [afi, af] : n.af) {
        for (const auto* rm : {&af.route_map_in, &af.route_map_out}) {
          if (*rm && !c().route_maps.count(**rm)) {
            warning("neighbor " + n.name + ": route-map " + **rm + " is not defined, so it denies every route");
          }
        }
        const auto& lists = afi == Afi::Ipv4Unicast ? c().prefix_lists_v4 : c().prefix_lists_v6;
        for (const auto* pl : {&af.prefix_list_in, &af.prefix_list_out}) {
          if (*pl && !lists.count(**pl)) {
            warning("neighbor " + n.name + ": prefix-list " + **pl + " is not defined, so it denies every route");
          }
        }
      }
    }
  }

  const std::string& file_;
  ParseResult& r_;
  size_t line_ = 0;
  Mode mode_ = Mode::Top;
  Afi afi_ = Afi::Ipv4Unicast;
  std::string rmap_name_;
  uint32_t rmap_seq_ = 0;
  // Indices into the bfd block's profiles and peers while in their modes; a `no profile` or `no
  // peer` (which may shift them) leaves the sub-mode.
  size_t profile_ = 0;
  size_t peer_ = 0;
};

}  // namespace

ParseResult parse_config(std::string_view text, const std::string& file_name) {
  ParseResult result;
  Parser parser(file_name, result);
  size_t number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    parser.line(++number, line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  parser.finish();
  return result;
}

ParseResult load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ParseResult r;
    r.errors.push_back({path, 0, "cannot read the file", false});
    return r;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_config(buffer.str(), path);
}

}  // namespace ridgeline::config
