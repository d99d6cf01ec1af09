#include "cli/commands.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstring>
#include <regex>
#include <sstream>
#include <vector>

#include "cli/config_mode.h"
#include "common/config/parser.h"
#include "ridgeline/v1/bfd.grpc.pb.h"
#include "ridgeline/v1/bgp.grpc.pb.h"
#include "ridgeline/v1/fib.grpc.pb.h"
#include "ridgeline/v1/system.grpc.pb.h"
#include "ridgeline/version.h"

namespace ridgeline::cli {

namespace v1 = ridgeline::v1;

namespace {

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = false;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

// A server stream read to the end: its messages, or the status it failed with.
template <typename Message, typename Reader>
grpc::Status read_all(Reader& reader, std::vector<Message>& out) {
  for (Message m; reader->Read(&m);) out.push_back(m);
  return reader->Finish();
}

// Streamed messages in JSON: an array of their canonical mappings.
template <typename Message>
void print_json_array(const std::vector<Message>& items, std::ostream& out) {
  out << "[";
  for (size_t i = 0; i < items.size(); ++i) out << (i ? ",\n" : "\n") << json(items[i]);
  out << "\n]\n";
}

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string uptime(int64_t s) {
  if (s >= 86400) return fmt::format("{}d{:02}h{:02}m", s / 86400, s / 3600 % 24, s / 60 % 60);
  return fmt::format("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

}  // namespace

struct Shell::Impl {
  explicit Impl(ApiTarget t) : target(std::move(t)), config(target) {}
  ApiTarget target;
  ConfigMode config;
  std::unique_ptr<v1::BgpService::Stub> bgp;
  std::unique_ptr<v1::FibService::Stub> fib;
  std::unique_ptr<v1::BfdService::Stub> bfd;

  v1::BgpService::Stub& bgp_stub() {
    if (!bgp) bgp = v1::BgpService::NewStub(target.channel("bgpd"));
    return *bgp;
  }

  v1::FibService::Stub& fib_stub() {
    if (!fib) fib = v1::FibService::NewStub(target.channel("bgpd"));
    return *fib;
  }

  v1::BfdService::Stub& bfd_stub() {
    if (!bfd) bfd = v1::BfdService::NewStub(target.channel("bfdd"));
    return *bfd;
  }

  int bfd_failed(const grpc::Status& s, std::ostream& err) {
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
      err << target.unavailable("bfdd", s);
      return 1;
    }
    return failed(s, err);
  }

  // show bfd peers [brief], show bfd peer ADDR: FRR's layout.
  int bfd_peers(const std::string& peer, bool brief, bool as_json, std::ostream& out, std::ostream& err) {
    v1::ListBfdSessionsRequest req;
    req.set_peer(peer);
    v1::ListBfdSessionsResponse r;
    auto ctx = context();
    auto s = bfd_stub().ListSessions(ctx.get(), req, &r);
    if (!s.ok()) return bfd_failed(s, err);
    if (!peer.empty() && r.sessions_size() == 0) {
      err << "% No BFD peer " << peer << "\n";
      return 1;
    }
    if (as_json) {
      out << json(r) << "\n";
      return 0;
    }
    if (brief) {
      out << fmt::format("Session count: {}\n", r.sessions_size());
      out << fmt::format("{:<12} {:<40} {:<40} {:<10}\n", "SessionId", "LocalAddress", "PeerAddress", "Status");
      for (const auto& b : r.sessions()) {
        out << fmt::format("{:<12} {:<40} {:<40} {:<10}\n", b.local_discriminator(),
                           b.key().local_address().empty() ? "*" : b.key().local_address(), b.key().peer(),
                           b.state() == "Up"          ? "up"
                           : b.state() == "AdminDown" ? "shutdown"
                                                      : "down");
      }
      return 0;
    }
    out << "BFD Peers:\n";
    for (const auto& b : r.sessions()) {
      out << "\tpeer " << b.key().peer() << (b.key().multihop() ? " multihop" : "");
      if (!b.key().local_address().empty()) out << " local-address " << b.key().local_address();
      if (!b.key().interface().empty()) out << " interface " << b.key().interface();
      out << "\n";
      out << fmt::format("\t\tID: {}\n\t\tRemote ID: {}\n", b.local_discriminator(), b.remote_discriminator());
      if (b.passive()) out << "\t\tPassive mode\n";
      if (!b.profile().empty()) out << "\t\tProfile: " << b.profile() << "\n";
      out << fmt::format("\t\tStatus: {}\n", b.state() == "Up" ? "up" : b.state() == "AdminDown" ? "shutdown" : "down");
      out << fmt::format("\t\t{}: {}\n", b.state() == "Up" ? "Uptime" : "Downtime", uptime(b.state_seconds()));
      out << fmt::format("\t\tDiagnostics: {}\n\t\tRemote diagnostics: {}\n", b.local_diag(), b.remote_diag());
      out << fmt::format("\t\tPeer Type: {}\n",
                         b.clients_size() == 1 && b.clients(0) == "config" ? "configured" : "dynamic");
      out << fmt::format("\t\tClients: {}\n", fmt::join(b.clients(), ", "));
      out << fmt::format("\t\tDetection time: {} ms, transmitting every {} ms (before jitter)\n",
                         b.detection_time_us() / 1000, b.negotiated_transmit_us() / 1000);
      out << fmt::format(
          "\t\tLocal timers:\n\t\t\tDetect-multiplier: {}\n\t\t\tReceive interval: {}ms\n\t\t\tTransmission "
          "interval: {}ms\n",
          b.detect_multiplier(), b.receive_interval_ms(), b.transmit_interval_ms());
      out << fmt::format(
          "\t\tRemote timers:\n\t\t\tDetect-multiplier: {}\n\t\t\tReceive interval: {}ms\n\t\t\tTransmission "
          "interval: {}ms\n",
          b.remote_detect_multiplier(), b.remote_receive_interval_ms(), b.remote_transmit_interval_ms());
      out << fmt::format("\t\tPackets: {} received, {} sent; {} times up, {} times down\n\n", b.packets_in(),
                         b.packets_out(), b.up_count(), b.down_count());
    }
    if (r.discarded_size()) {
      out << "Discarded packets:";
      for (const auto& [why, n] : r.discarded()) out << " " << why << " " << n << ";";
      out << "\n";
    }
    return 0;
  }

  int failed(const grpc::Status& s, std::ostream& err) {
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
      err << target.unavailable("bgpd", s);
    } else {
      err << "% " << s.error_message() << "\n";
    }
    return 1;
  }

  static std::unique_ptr<grpc::ClientContext> context() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
    return c;
  }

  int summary(bool as_json, std::ostream& out, std::ostream& err) {
    v1::GetSummaryResponse r;
    auto ctx = context();
    auto s = bgp_stub().GetSummary(ctx.get(), {}, &r);
    if (!s.ok()) return failed(s, err);
    if (as_json) {
      out << json(r) << "\n";
      return 0;
    }
    out << fmt::format("BGP router identifier {}, local AS number {}\n", r.router_id(), r.local_as());
    out << fmt::format("RIB entries {}, using {} paths and {} attribute sets\n\n", r.prefixes(), r.paths(),
                       r.attribute_sets());
    out << fmt::format("{:<26} {:>10} {:>9} {:>9} {:>10} {:>14} {:>8}\n", "Neighbor", "AS", "MsgRcvd", "MsgSent",
                       "Up/Down", "State/PfxRcd", "PfxSnt");
    for (const auto& n : r.neighbors()) {
      uint64_t rcvd = 0, sent = 0;
      for (const auto& p : n.prefixes()) rcvd += p.accepted(), sent += p.advertised();
      const bool up = n.state() == "Established";
      // As FRR: an eBGP neighbor blocked by RFC 8212 shows "(Policy)".
      const std::string state = !up ? n.state() : n.policy_missing() ? "(Policy)" : std::to_string(rcvd);
      out << fmt::format("{:<26} {:>10} {:>9} {:>9} {:>10} {:>14} {:>8}\n", n.address() + (n.dynamic() ? "*" : ""),
                         n.remote_as(), n.messages_in(), n.messages_out(), uptime(n.state_seconds()), state,
                         up ? (n.policy_missing() ? "(Policy)" : std::to_string(sent)) : "");
    }
    out << fmt::format("\nTotal number of neighbors {}\n", r.neighbors_size());
    bool dynamic = false;
    for (const auto& n : r.neighbors()) dynamic |= n.dynamic();
    if (dynamic) out << "* - dynamic neighbor\n";
    return 0;
  }

  int neighbors(const std::string& address, bool as_json, std::ostream& out, std::ostream& err) {
    v1::ListNeighborsRequest req;
    req.set_address(address);
    v1::ListNeighborsResponse r;
    auto ctx = context();
    auto s = bgp_stub().ListNeighbors(ctx.get(), req, &r);
    if (!s.ok()) return failed(s, err);
    if (as_json) {
      out << json(r) << "\n";
      return 0;
    }
    for (const auto& n : r.neighbors()) {
      out << fmt::format("BGP neighbor is {}, remote AS {}, local AS {}, {} link\n", n.address(), n.remote_as(),
                         n.local_as(), n.remote_as() == n.local_as() ? "internal" : "external");
      if (!n.description().empty()) out << " Description: " << n.description() << "\n";
      if (!n.peer_group().empty())
        out << " Member of peer-group " << n.peer_group() << (n.dynamic() ? " (dynamic, from a listen range)" : "")
            << "\n";
      out << fmt::format("  BGP state = {}, for {}\n", n.state(), uptime(n.state_seconds()));
      if (!n.router_id().empty()) out << "  Remote router ID " << n.router_id() << "\n";
      out << fmt::format("  Hold time is {}, keepalive interval is {} seconds\n", n.hold_time(), n.keepalive());
      if (n.capabilities_size()) {
        out << "  Negotiated capabilities:";
        for (const auto& c : n.capabilities()) out << " " << c;
        out << "\n";
      }
      out << fmt::format(
          "  Messages: {} received, {} sent; updates {} received, {} sent; notifications {} received, {} sent\n",
          n.messages_in(), n.messages_out(), n.updates_in(), n.updates_out(), n.notifications_in(),
          n.notifications_out());
      for (const auto& p : n.prefixes()) {
        out << fmt::format("  {}: {} received, {} accepted, {} advertised\n", p.afi(), p.received(), p.accepted(),
                           p.advertised());
      }
      if (n.has_last_error()) {
        out << fmt::format("  Last error: {} ({})\n", n.last_error().text(),
                           n.last_error().sent() ? "sent" : "received");
      }
      if (n.policy_missing()) out << "  Inbound updates discarded: no policy for this eBGP neighbor (RFC 8212)\n";
      out << "\n";
    }
    return 0;
  }

  int fib_status(bool as_json, std::ostream& out, std::ostream& err) {
    v1::FibStatus r;
    auto ctx = context();
    auto s = fib_stub().GetStatus(ctx.get(), {}, &r);
    if (!s.ok()) return failed(s, err);
    if (as_json) {
      out << json(r) << "\n";
      return 0;
    }
    if (!r.enabled()) {
      out << "FIB programming is off (bgpd runs with --no-fib)\n";
      return 0;
    }
    out << fmt::format("FIB: {}, table {}, metric {}, {}\n", r.mode(), r.table(), r.metric(),
                       r.converged() ? "converged" : "waiting for End-of-RIB after a start");
    out << fmt::format("  Routes: {} installed, {} waiting for a reachable next hop, {} adopted and unconfirmed\n",
                       r.routes(), r.waiting(), r.adopted());
    out << fmt::format("  Objects: {} nexthop groups, {} nexthops\n", r.groups(), r.nexthops());
    out << fmt::format("  Writes: {} changes in {} flushes, {} in-place group replaces, {} queued\n", r.changes(),
                       r.flushes(), r.group_replaces(), r.queued());
    out << fmt::format("  Reconcile: {} runs, drift repaired {} (last run {}), kernel errors {}{}, link resyncs {}\n",
                       r.reconciles(), r.drift(), r.last_reconcile_drift(), r.kernel_errors(),
                       r.needs_repair() ? " (retry pending)" : "", r.resyncs());
    return 0;
  }

  int fib_routes(const v1::ListFibRoutesRequest& req, bool as_json, std::ostream& out, std::ostream& err) {
    auto ctx = context();
    auto reader = fib_stub().ListRoutes(ctx.get(), req);
    std::vector<v1::FibRoute> routes;
    auto s = read_all(reader, routes);
    if (!s.ok()) return failed(s, err);
    if (as_json) {
      print_json_array(routes, out);
      return 0;
    }
    // As FRR's `show ip route bgp`, with the nexthop group of each route.
    out << "Codes: B - BGP, > - selected route, * - FIB route, a - adopted from a previous run\n\n";
    for (const auto& r : routes) {
      out << fmt::format("B>*{} {} [20/0] nhid {}\n", r.adopted() ? "a" : "", r.prefix(), r.group_id());
      for (const auto& nh : r.nexthops())
        out << fmt::format("  *   via {}, {}, nhid {}\n", nh.gateway(), nh.interface(), nh.id());
    }
    return 0;
  }

  int fib_reconcile(std::ostream& out, std::ostream& err) {
    v1::ReconcileFibResponse r;
    auto ctx = context();
    auto s = fib_stub().Reconcile(ctx.get(), {}, &r);
    if (!s.ok()) return failed(s, err);
    out << "FIB reconcile requested; `show fib status` shows what it repaired\n";
    return 0;
  }

  int routes(const v1::ListRoutesRequest& req, bool as_json, std::ostream& out, std::ostream& err) {
    auto ctx = context();
    auto reader = bgp_stub().ListRoutes(ctx.get(), req);
    std::vector<v1::Route> routes;
    auto s = read_all(reader, routes);
    if (!s.ok()) return failed(s, err);
    if (as_json) {
      print_json_array(routes, out);
      return 0;
    }
    if (!req.prefix().empty() && !req.longer_prefixes() && req.table() == v1::ListRoutesRequest::LOC_RIB) {
      for (const auto& r : routes) {
        out << "BGP routing table entry for " << r.prefix() << "\n";
        out << "Paths: (" << r.paths_size() << " available";
        for (const auto& p : r.paths()) {
          if (p.best()) out << ", best #" << (&p - &r.paths()[0]) + 1;
        }
        out << ")\n";
        for (const auto& p : r.paths()) {
          out << "  " << (p.as_path().empty() ? "Local" : p.as_path()) << "\n";
          out << "    " << (p.next_hop().empty() ? "0.0.0.0" : p.next_hop())
              << (p.link_local_next_hop().empty() ? "" : " (" + p.link_local_next_hop() + ")") << " from " << p.peer()
              << "\n";
          out << "      Origin " << p.origin();
          if (p.has_med()) out << ", metric " << p.med();
          if (p.has_local_pref()) out << ", localpref " << p.local_pref();
          out << (p.eligible() ? ", valid" : ", next hop unusable") << (p.best() ? ", best" : "")
              << (p.multipath() ? ", multipath" : "") << (p.stale() ? ", stale" : "") << "\n";
          if (!p.best()) out << "      Not best: lost on " << p.reason() << "\n";
          if (p.communities_size()) {
            out << "      Community:";
            for (const auto& c : p.communities()) out << " " << c;
            out << "\n";
          }
          if (p.large_communities_size()) {
            out << "      Large Community:";
            for (const auto& c : p.large_communities()) out << " " << c;
            out << "\n";
          }
        }
      }
      if (routes.empty()) out << "% Network not in table\n";
      return 0;
    }
    out << "Status codes: * valid, > best, = multipath, S stale, f filtered by inbound policy\n\n";
    out << fmt::format("   {:<24} {:<26} {:>8} {:>8}  {}\n", "Network", "Next Hop", "Metric", "LocPrf", "Path");
    for (const auto& r : routes) {
      for (const auto& p : r.paths()) {
        std::string flags;
        flags += p.accepted() ? (p.eligible() ? "*" : " ") : "f";
        flags += p.best() ? ">" : (p.multipath() ? "=" : " ");
        if (p.stale()) flags[0] = 'S';
        out << fmt::format("{:<3}{:<24} {:<26} {:>8} {:>8}  {} {}\n", flags, r.prefix(), p.next_hop(),
                           p.has_med() ? std::to_string(p.med()) : "",
                           p.has_local_pref() ? std::to_string(p.local_pref()) : "", p.as_path(),
                           p.origin() == "IGP" ? "i" : (p.origin() == "EGP" ? "e" : "?"));
      }
    }
    size_t paths = 0;
    for (const auto& r : routes) paths += r.paths_size();
    out << fmt::format("\nDisplayed {} routes and {} total paths\n", routes.size(), paths);
    return 0;
  }

  // show bgp services [ADDR]: per service IP, who announces it (with BFD) and what the kernel holds.
  int services(const std::string& address, bool as_json, std::ostream& out, std::ostream& err) {
    v1::ListServicesRequest req;
    req.set_prefix(address);
    auto ctx = context();
    auto reader = bgp_stub().ListServices(ctx.get(), req);
    std::vector<v1::Service> services;
    auto s = read_all(reader, services);
    if (!s.ok()) return failed(s, err);
    if (as_json) {
      print_json_array(services, out);
      return 0;
    }
    if (services.empty()) {
      out << (address.empty() ? "No service routes (/32 or /128) in the BGP table\n" : "% Service not in table\n");
      return 0;
    }
    for (const auto& v : services) {
      std::string kernel = "not in the kernel";
      if (v.installed())
        kernel = fmt::format("in the kernel via {} next hop{} (nhid {})", v.kernel_next_hops_size(),
                             v.kernel_next_hops_size() == 1 ? "" : "s", v.group_id());
      out << fmt::format("{}  {}, changed {} ago\n", v.prefix(), kernel, uptime(v.changed_seconds_ago()));
      std::vector<std::string> want(v.rib_next_hops().begin(), v.rib_next_hops().end());
      std::vector<std::string> have(v.kernel_next_hops().begin(), v.kernel_next_hops().end());
      std::sort(want.begin(), want.end());
      std::sort(have.begin(), have.end());
      if (want != have)
        out << fmt::format("  ! the RIB wants {} (the FIB write is pending or failed: see `show fib status`)\n",
                           want.empty() ? "no route" : fmt::format("{}", fmt::join(want, ", ")));
      out << fmt::format("  communities {}  large-communities {}  local-pref {}\n",
                         v.communities_size() ? fmt::format("{}", fmt::join(v.communities(), " ")) : "-",
                         v.large_communities_size() ? fmt::format("{}", fmt::join(v.large_communities(), " ")) : "-",
                         v.has_local_pref() ? std::to_string(v.local_pref()) : "-");
      out << fmt::format("  {:<28} {:<28} {:<10} {}\n", "Announced by", "Next hop", "BFD", "Path");
      for (const auto& p : v.peers()) {
        const std::string bfd = p.bfd().empty() ? "-" : p.bfd() == "AdminDown" ? "shutdown" : to_lower(p.bfd());
        std::string path = p.best() ? "best" : p.multipath() ? "multipath" : "not used: " + p.reason();
        if (p.multipath() && p.best()) path = "best, multipath";
        if (p.stale()) path += ", stale";
        if (!p.eligible()) path += ", next hop unusable";
        out << fmt::format("  {:<28} {:<28} {:<10} {}\n", p.peer(), p.next_hop(), bfd, path);
      }
    }
    return 0;
  }

  // watch bgp neighbors | watch bgp routes [PREFIX [longer-prefixes]]: one line per event (JSON
  // with `json`) until the daemon goes or rlsh is interrupted.
  template <typename Event, typename Start>
  int watch(bool as_json, Start start, std::ostream& out, std::ostream& err) {
    grpc::ClientContext ctx;  // no deadline: a watch lasts
    auto reader = start(ctx);
    Event e;
    google::protobuf::util::JsonPrintOptions o;
    o.add_whitespace = false;
    while (reader->Read(&e)) {
      if (as_json) {
        std::string line;
        (void)google::protobuf::util::MessageToJsonString(e, &line, o);
        out << line << std::endl;
      } else {
        out << describe(e) << std::endl;
      }
    }
    auto s = reader->Finish();
    return s.ok() ? 0 : failed(s, err);
  }
  static std::string describe(const v1::NeighborEvent& e) {
    return fmt::format("{} neighbor {} {}{}", e.snapshot() ? "=" : "~", e.neighbor().address(),
                       e.previous_state().empty() ? "" : e.previous_state() + " -> ", e.neighbor().state());
  }
  static std::string describe(const v1::RouteEvent& e) {
    if (e.withdrawn()) return fmt::format("{} {} withdrawn", e.snapshot() ? "=" : "-", e.prefix());
    return fmt::format("{} {} via {} from {}", e.snapshot() ? "=" : "+", e.prefix(),
                       e.fib_next_hops_size() ? fmt::format("{}", fmt::join(e.fib_next_hops(), ",")) : "self",
                       e.best().peer());
  }

  // bgp rib add PREFIX [community C]... [large-community L]... [local-preference N] [med N],
  // bgp rib del PREFIX: paths originated through the API (as `gobgp global rib add`).
  int rib_add(const std::vector<std::string>& w, std::ostream& err) {
    v1::AddPathRequest req;
    req.set_prefix(w[3]);
    for (size_t i = 4; i < w.size(); i += 2) {
      if (i + 1 >= w.size()) {
        err << "% " << w[i] << " needs a value\n";
        return 1;
      }
      if (w[i] == "community") {
        req.add_communities(w[i + 1]);
      } else if (w[i] == "large-community") {
        req.add_large_communities(w[i + 1]);
      } else if (w[i] == "local-preference" || w[i] == "med") {
        uint32_t v = 0;
        try {
          v = static_cast<uint32_t>(std::stoul(w[i + 1]));
        } catch (...) {
          err << "% " << w[i] << " takes a number\n";
          return 1;
        }
        w[i] == "med" ? req.set_med(v) : req.set_local_pref(v);
      } else if (w[i] == "origin") {
        req.set_origin(w[i + 1]);
      } else {
        err << "% unknown attribute: " << w[i] << "\n";
        return 1;
      }
    }
    v1::AddPathResponse r;
    auto ctx = context();
    auto s = bgp_stub().AddPath(ctx.get(), req, &r);
    return s.ok() ? 0 : failed(s, err);
  }

  int rib_del(const std::string& prefix, std::ostream& err) {
    v1::DeletePathRequest req;
    req.set_prefix(prefix);
    v1::DeletePathResponse r;
    auto ctx = context();
    auto s = bgp_stub().DeletePath(ctx.get(), req, &r);
    return s.ok() ? 0 : failed(s, err);
  }

  int clear(const std::string& address, v1::ClearNeighborRequest::Kind kind, std::ostream& err) {
    v1::ClearNeighborRequest req;
    req.set_address(address);
    req.set_kind(kind);
    v1::ClearNeighborResponse r;
    auto ctx = context();
    auto s = bgp_stub().ClearNeighbor(ctx.get(), req, &r);
    return s.ok() ? 0 : failed(s, err);
  }
};

Shell::Shell(ApiTarget target) : impl_(std::make_unique<Impl>(std::move(target))) {}
Shell::~Shell() = default;

std::string Shell::mode() const {
  return impl_->config.mode();
}

// The running config of both daemons, parsed (empty if they do not answer).
static config::Config running_config(ConfigMode& mode) {
  std::ostringstream text, ignored;
  int status = 0;
  if (!mode.exec_command({"show", "running-config"}, text, ignored, status) || status != 0) return {};
  return config::parse_config(text.str(), "running").config;
}

std::string Shell::hostname() {
  if (auto name = running_config(impl_->config).hostname) return *name;
  char host[256] = "ridgeline";
  gethostname(host, sizeof(host) - 1);
  return host;
}

Names Shell::names() {
  Names n;
  v1::ListNeighborsResponse r;
  auto ctx = Impl::context();
  if (impl_->bgp_stub().ListNeighbors(ctx.get(), {}, &r).ok()) {
    for (const auto& x : r.neighbors()) n.neighbors.push_back(x.address());
  }
  const config::Config running = running_config(impl_->config);
  if (running.bgp) {
    for (const auto& x : running.bgp->neighbors) {
      (x.is_peer_group ? n.peer_groups : n.neighbors).push_back(x.name);
      if (x.is_peer_group) n.neighbors.push_back(x.name);
    }
  }
  for (const auto& [name, map] : running.route_maps) n.route_maps.push_back(name);
  for (const auto& [name, list] : running.prefix_lists_v4) n.prefix_lists.push_back(name);
  for (const auto& [name, list] : running.prefix_lists_v6) n.prefix_lists.push_back(name);
  if (running.bfd) {
    for (const auto& p : running.bfd->profiles) n.profiles.push_back(p.name);
  }
  std::sort(n.neighbors.begin(), n.neighbors.end());
  n.neighbors.erase(std::unique(n.neighbors.begin(), n.neighbors.end()), n.neighbors.end());
  return n;
}

int Shell::run(const std::string& line, std::ostream& out, std::ostream& err) {
  // COMMAND | include REGEX, COMMAND | exclude REGEX: the output's lines filtered.
  for (const char* op : {" | include ", " | exclude "}) {
    const size_t at = line.find(op);
    if (at == std::string::npos) continue;
    std::regex re;
    try {
      re = std::regex(line.substr(at + std::strlen(op)));
    } catch (const std::regex_error&) {
      err << "% not a regular expression: " << line.substr(at + std::strlen(op)) << "\n";
      return 1;
    }
    std::ostringstream captured;
    const int status = run(line.substr(0, at), captured, err);
    const bool include = std::strcmp(op, " | include ") == 0;
    std::istringstream in(captured.str());
    for (std::string l; std::getline(in, l);) {
      if (std::regex_search(l, re) == include) out << l << "\n";
    }
    return status;
  }
  if (impl_->config.active()) {
    // `do COMMAND` runs an exec command from config mode, as in FRR.
    auto w = words(line);
    if (!w.empty() && w[0] == "do") return run(line.substr(line.find("do") + 2), out, err);
    return impl_->config.line(line, out, err);
  }
  auto w = words(line);
  if (int status = 0; impl_->config.exec_command(w, out, err, status)) return status;
  const bool as_json = !w.empty() && w.back() == "json";
  if (as_json) w.pop_back();
  auto is = [&](size_t i, const char* s) { return i < w.size() && w[i] == s; };
  if (is(0, "show") && is(1, "version")) {
    out << "rlsh (ridgeline) " << kVersion << "\n";
    return 0;
  }
  if (is(0, "show") && is(1, "bgp") && is(2, "summary") && w.size() == 3) return impl_->summary(as_json, out, err);
  if (is(0, "watch") && is(1, "bgp") && is(2, "neighbors") && w.size() == 3) {
    return impl_->watch<v1::NeighborEvent>(
        as_json, [&](grpc::ClientContext& ctx) { return impl_->bgp_stub().WatchNeighbors(&ctx, {}); }, out, err);
  }
  if (is(0, "watch") && is(1, "bgp") && is(2, "routes") && w.size() <= 5) {
    v1::WatchRoutesRequest req;
    if (w.size() >= 4) req.set_prefix(w[3]);
    if (w.size() == 5) req.set_longer_prefixes(is(4, "longer-prefixes"));
    return impl_->watch<v1::RouteEvent>(
        as_json, [&](grpc::ClientContext& ctx) { return impl_->bgp_stub().WatchRoutes(&ctx, req); }, out, err);
  }
  if (is(0, "bgp") && is(1, "rib") && is(2, "add") && w.size() >= 4) return impl_->rib_add(w, err);
  if (is(0, "bgp") && is(1, "rib") && is(2, "del") && w.size() == 4) return impl_->rib_del(w[3], err);
  if (is(0, "show") && is(1, "bgp") && is(2, "services") && w.size() <= 4)
    return impl_->services(w.size() == 4 ? w[3] : "", as_json, out, err);
  if (is(0, "show") && is(1, "fib") && is(2, "status") && w.size() == 3) return impl_->fib_status(as_json, out, err);
  // show ip route bgp [PREFIX], show ipv6 route bgp [PREFIX]: the FIB as Ridgeline programmed it
  if (is(0, "show") && (is(1, "ip") || is(1, "ipv6")) && is(2, "route") && is(3, "bgp") && w.size() <= 5) {
    v1::ListFibRoutesRequest req;
    req.set_afi(is(1, "ip") ? "ipv4-unicast" : "ipv6-unicast");
    if (w.size() == 5) req.set_prefix(w[4]);
    return impl_->fib_routes(req, as_json, out, err);
  }
  if (is(0, "clear") && is(1, "fib") && w.size() == 2) return impl_->fib_reconcile(out, err);
  if (is(0, "show") && is(1, "bfd") && is(2, "peers") && (w.size() == 3 || (w.size() == 4 && is(3, "brief"))))
    return impl_->bfd_peers("", w.size() == 4, as_json, out, err);
  if (is(0, "show") && is(1, "bfd") && is(2, "peer") && w.size() == 4)
    return impl_->bfd_peers(w[3], false, as_json, out, err);
  if (is(0, "show") && is(1, "bgp") && is(2, "neighbors")) {
    if (w.size() <= 4) return impl_->neighbors(w.size() == 4 ? w[3] : "", as_json, out, err);
    if (w.size() == 5 && (is(4, "received-routes") || is(4, "advertised-routes") || is(4, "routes"))) {
      v1::ListRoutesRequest req;
      req.set_neighbor(w[3]);
      req.set_table(is(4, "received-routes")     ? v1::ListRoutesRequest::ADJ_RIB_IN
                    : is(4, "advertised-routes") ? v1::ListRoutesRequest::ADJ_RIB_OUT
                                                 : v1::ListRoutesRequest::LOC_RIB);
      int status = impl_->routes(req, as_json, out, err);
      if (!req.afi().empty() || status) return status;
      req.set_afi("ipv6-unicast");
      return as_json ? status : impl_->routes(req, false, out, err);
    }
  }
  // show ip bgp [...], show bgp ipv6 [...], show bgp ipv4 unicast [...]
  size_t i = 0;
  v1::ListRoutesRequest req;
  if (is(0, "show") && is(1, "ip") && is(2, "bgp")) {
    i = 3;
  } else if (is(0, "show") && is(1, "bgp") && is(2, "ipv6")) {
    req.set_afi("ipv6-unicast");
    i = is(3, "unicast") ? 4 : 3;
  } else if (is(0, "show") && is(1, "bgp") && is(2, "ipv4")) {
    i = is(3, "unicast") ? 4 : 3;
  }
  if (i) {
    if (is(i, "community") && i + 2 == w.size()) {
      req.set_community(w[i + 1]);
    } else if (is(i, "large-community") && i + 2 == w.size()) {
      req.set_large_community(w[i + 1]);
    } else if (i < w.size()) {
      req.set_prefix(w[i]);
      if (is(i + 1, "longer-prefixes")) req.set_longer_prefixes(true);
      if (w.size() > i + 1 + req.longer_prefixes()) {
        err << "% Unknown command: " << line << "\n";
        return 1;
      }
    }
    return impl_->routes(req, as_json, out, err);
  }
  if (is(0, "clear") && (is(1, "bgp") || (is(1, "ip") && is(2, "bgp")))) {
    // clear bgp ADDR|* [soft [in|out]]
    const size_t a = is(1, "ip") ? 3 : 2;
    if (a + 1 == w.size()) return impl_->clear(w[a], v1::ClearNeighborRequest::HARD, err);
    if (a + 2 <= w.size() && w.size() <= a + 3 && is(a + 1, "soft")) {
      auto kind = v1::ClearNeighborRequest::SOFT;
      if (w.size() == a + 3) {
        if (!is(a + 2, "in") && !is(a + 2, "out")) {
          err << "% Unknown command: " << line << "\n";
          return 1;
        }
        kind = is(a + 2, "in") ? v1::ClearNeighborRequest::SOFT_IN : v1::ClearNeighborRequest::SOFT_OUT;
      }
      return impl_->clear(w[a], kind, err);
    }
  }
  err << "% Unknown command: " << line << "\n";
  return 1;
}

}  // namespace ridgeline::cli
