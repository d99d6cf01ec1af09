#include "bgpd/server/api.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <net/if.h>
#include <sys/stat.h>

#include <future>

#include "bgpd/server/peer.h"
#include "bgpd/wire/names.h"
#include "common/config/parser.h"
#include "proto/ridgeline/serve.h"
#include "ridgeline/v1/bgp.grpc.pb.h"
#include "ridgeline/v1/fib.grpc.pb.h"
#include "ridgeline/v1/system.grpc.pb.h"
#include "ridgeline/version.h"

namespace ridgeline::bgp {

namespace v1 = ridgeline::v1;

namespace {

std::string afi_name(config::Afi afi) {
  return afi == config::Afi::Ipv4Unicast ? "ipv4-unicast" : "ipv6-unicast";
}

void fill(const PeerView& p, v1::Neighbor& n) {
  n.set_address(p.name);
  n.set_peer_group(p.peer_group.value_or(""));
  n.set_dynamic(p.dynamic);
  n.set_local_as(p.local_as);
  n.set_remote_as(p.remote_as);
  n.set_state(std::string(to_string(p.state)));
  if (p.remote_router_id) n.set_router_id(IpAddress::v4(*p.remote_router_id).to_string());
  n.set_hold_time(p.hold_time);
  n.set_keepalive(p.keepalive);
  n.set_state_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - p.state_since).count());
  n.set_messages_in(p.counters.messages_in);
  n.set_messages_out(p.counters.messages_out);
  n.set_updates_in(p.counters.updates_in);
  n.set_updates_out(p.counters.updates_out);
  n.set_notifications_in(p.counters.notifications_in);
  n.set_notifications_out(p.counters.notifications_out);
  n.set_established_count(p.counters.established_count);
  n.set_treat_as_withdraw(p.counters.treat_as_withdraw);
  for (config::Afi afi : {config::Afi::Ipv4Unicast, config::Afi::Ipv6Unicast}) {
    auto get = [&](const std::map<config::Afi, uint64_t>& m) {
      auto it = m.find(afi);
      return it == m.end() ? uint64_t{0} : it->second;
    };
    auto* c = n.add_prefixes();
    c->set_afi(afi_name(afi));
    c->set_received(get(p.prefixes_received));
    c->set_accepted(get(p.prefixes_accepted));
    c->set_advertised(get(p.prefixes_advertised));
  }
  if (p.last_error) {
    auto* e = n.mutable_last_error();
    e->set_code(p.last_error->code);
    e->set_subcode(p.last_error->subcode);
    e->set_text(describe(*p.last_error));
    e->set_sent(p.last_error_sent);
  }
  for (const auto& c : p.capabilities) n.add_capabilities(c);
  n.set_policy_missing(p.ebgp_policy_missing);
  n.set_description(p.description);
}

const char* origin_name(std::optional<Origin> o) {
  if (!o) return "";
  switch (*o) {
    case Origin::Igp: return "IGP";
    case Origin::Egp: return "EGP";
    case Origin::Incomplete: return "incomplete";
  }
  return "";
}

void fill_attributes(const PathAttributes& a, v1::Path& p) {
  p.set_origin(origin_name(a.origin));
  p.set_as_path(a.as_path ? a.as_path->to_string() : "");
  if (a.med) p.set_med(*a.med);
  if (a.local_pref) p.set_local_pref(*a.local_pref);
  for (auto c : a.communities) p.add_communities(config::format_community(c));
  for (const auto& c : a.large_communities) p.add_large_communities(config::format_large_community(c));
  for (auto c : a.ext_communities) p.add_ext_communities(fmt::format("0x{:016x}", c));
  if (a.originator_id) p.set_originator_id(IpAddress::v4(*a.originator_id).to_string());
  for (auto c : a.cluster_list) p.add_cluster_list(IpAddress::v4(c).to_string());
  p.set_atomic_aggregate(a.atomic_aggregate);
  if (a.aggregator)
    p.set_aggregator(fmt::format("{} {}", a.aggregator->asn, IpAddress::v4(a.aggregator->address).to_string()));
}

struct RouteFilter {
  config::Afi afi = config::Afi::Ipv4Unicast;
  std::optional<Prefix> prefix;
  bool longer = false;
  std::optional<uint32_t> community;
  std::optional<config::LargeCommunity> large;

  bool prefix_ok(const Prefix& p) const {
    if (afi_of(p) != afi) return false;
    if (!prefix) return true;
    return longer ? prefix->contains(p) : *prefix == p;
  }
  bool attrs_ok(const PathAttributes& a) const {
    if (community && std::find(a.communities.begin(), a.communities.end(), *community) == a.communities.end())
      return false;
    if (large) {
      LargeCommunity want{large->global, large->local1, large->local2};
      if (std::find(a.large_communities.begin(), a.large_communities.end(), want) == a.large_communities.end())
        return false;
    }
    return true;
  }
};

// "10.0.1.100/32", or a bare address as its host prefix.
std::optional<Prefix> parse_host(const std::string& text) {
  if (auto p = Prefix::parse(text)) return p;
  auto a = IpAddress::parse(text);
  return a ? std::optional<Prefix>(Prefix(*a, a->is_v4() ? 32 : 128)) : std::nullopt;
}

grpc::Status parse_filter(const v1::ListRoutesRequest& req, RouteFilter& f) {
  if (req.afi() == "ipv6-unicast") {
    f.afi = config::Afi::Ipv6Unicast;
  } else if (!req.afi().empty() && req.afi() != "ipv4-unicast") {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "afi must be ipv4-unicast or ipv6-unicast");
  }
  if (!req.prefix().empty()) {
    f.prefix = Prefix::parse(req.prefix());
    if (!f.prefix) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "'" + req.prefix() + "' is not a prefix");
    f.afi = afi_of(*f.prefix);
  }
  f.longer = req.longer_prefixes();
  if (!req.community().empty()) {
    f.community = config::parse_community(req.community());
    if (!f.community)
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "'" + req.community() + "' is not a community");
  }
  if (!req.large_community().empty()) {
    f.large = config::parse_large_community(req.large_community());
    if (!f.large)
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "'" + req.large_community() + "' is not a large community");
  }
  return grpc::Status::OK;
}

}  // namespace

struct ApiServer::Services {
  Services(boost::asio::io_context& io, Speaker& speaker, const FibView& fib) : bgp(io, speaker, fib), fib(fib) {}

  class Bgp final : public v1::BgpService::Service {
   public:
    Bgp(boost::asio::io_context& io, Speaker& speaker, const FibView& fib) : io_(io), speaker_(speaker), fib_(fib) {}

    grpc::Status WatchNeighbors(grpc::ServerContext* ctx, const v1::WatchNeighborsRequest*,
                                grpc::ServerWriter<v1::NeighborEvent>* writer) override {
      return api::stream_events(
          io_, "bgpd", ctx, writer,
          [this](const std::shared_ptr<api::EventQueue<v1::NeighborEvent>>& queue) {
            for (const auto& p : speaker_.peers()) {
              v1::NeighborEvent ev;
              fill(p, *ev.mutable_neighbor());
              ev.set_snapshot(true);
              queue->push(std::move(ev));
            }
            Speaker::Watcher w;
            w.neighbor = [queue](const PeerView& p, State previous) {
              v1::NeighborEvent ev;
              fill(p, *ev.mutable_neighbor());
              ev.set_previous_state(std::string(to_string(previous)));
              queue->push(std::move(ev));
            };
            return speaker_.watch(std::move(w));
          },
          [this](int id) { speaker_.unwatch(id); });
    }

    grpc::Status WatchRoutes(grpc::ServerContext* ctx, const v1::WatchRoutesRequest* req,
                             grpc::ServerWriter<v1::RouteEvent>* writer) override {
      RouteFilter f;
      v1::ListRoutesRequest as_list;
      as_list.set_afi(req->afi());
      as_list.set_prefix(req->prefix());
      as_list.set_longer_prefixes(req->longer_prefixes());
      if (auto s = parse_filter(as_list, f); !s.ok()) return s;
      const bool any_family = req->afi().empty() && req->prefix().empty();
      auto wanted = [f, any_family](const Prefix& p) {
        if (!any_family) return f.prefix_ok(p);
        return !f.prefix || (f.longer ? f.prefix->contains(p) : *f.prefix == p);
      };
      return api::stream_events(
          io_, "bgpd", ctx, writer,
          [this, wanted](const std::shared_ptr<api::EventQueue<v1::RouteEvent>>& queue) {
            std::vector<Prefix> prefixes;
            speaker_.loc_rib().for_each([&](const Prefix& p, const rib::RibEntry&) {
              if (wanted(p)) prefixes.push_back(p);
            });
            std::sort(prefixes.begin(), prefixes.end());
            for (const Prefix& p : prefixes) queue->push(route_event(p, speaker_.loc_rib().find(p), true));
            Speaker::Watcher w;
            w.route = [this, queue, wanted](const Prefix& p, const rib::RibEntry* e) {
              if (wanted(p)) queue->push(route_event(p, e, false));
            };
            return speaker_.watch(std::move(w));
          },
          [this](int id) { speaker_.unwatch(id); });
    }

    grpc::Status AddPath(grpc::ServerContext*, const v1::AddPathRequest* req, v1::AddPathResponse*) override {
      auto prefix = Prefix::parse(req->prefix());
      if (!prefix) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "'" + req->prefix() + "' is not a prefix");
      PathAttributes a;
      if (req->origin().empty() || req->origin() == "igp") {
        a.origin = Origin::Igp;
      } else if (req->origin() == "egp") {
        a.origin = Origin::Egp;
      } else if (req->origin() == "incomplete") {
        a.origin = Origin::Incomplete;
      } else {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "origin must be igp, egp or incomplete");
      }
      for (const auto& c : req->communities()) {
        auto v = config::parse_community(c);
        if (!v) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "'" + c + "' is not a community");
        a.communities.push_back(*v);
      }
      for (const auto& c : req->large_communities()) {
        auto v = config::parse_large_community(c);
        if (!v) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "'" + c + "' is not a large community");
        a.large_communities.push_back(LargeCommunity{v->global, v->local1, v->local2});
      }
      if (req->has_local_pref()) a.local_pref = req->local_pref();
      if (req->has_med()) a.med = req->med();
      return api::on_core(io_, "bgpd", [&] {
        speaker_.add_api_path(*prefix, std::move(a));
        return grpc::Status::OK;
      });
    }

    grpc::Status DeletePath(grpc::ServerContext*, const v1::DeletePathRequest* req, v1::DeletePathResponse*) override {
      auto prefix = Prefix::parse(req->prefix());
      if (!prefix) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "'" + req->prefix() + "' is not a prefix");
      return api::on_core(io_, "bgpd", [&] {
        if (!speaker_.delete_api_path(*prefix))
          return grpc::Status(grpc::StatusCode::NOT_FOUND, "no path added through the API for " + req->prefix());
        return grpc::Status::OK;
      });
    }

    grpc::Status ListServices(grpc::ServerContext*, const v1::ListServicesRequest* req,
                              grpc::ServerWriter<v1::Service>* writer) override {
      std::optional<Family> family;
      if (req->afi() == "ipv4-unicast") {
        family = Family::V4;
      } else if (req->afi() == "ipv6-unicast") {
        family = Family::V6;
      } else if (!req->afi().empty()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "afi must be ipv4-unicast or ipv6-unicast");
      }
      std::optional<Prefix> only;
      if (!req->prefix().empty()) {
        only = parse_host(req->prefix());
        if (!only || !only->is_host())
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "'" + req->prefix() + "' is not a service address");
      }
      std::vector<Prefix> prefixes;
      std::vector<v1::Service> out;
      api::on_core(io_, "bgpd", [&] {
        speaker_.loc_rib().for_each([&](const Prefix& p, const rib::RibEntry&) {
          if (p.is_host() && (!family || p.family() == *family) && (!only || p == *only)) prefixes.push_back(p);
        });
        std::sort(prefixes.begin(), prefixes.end());
        const uint32_t now = Speaker::rib_clock_s();
        for (const Prefix& prefix : prefixes) out.push_back(service(prefix, *speaker_.loc_rib().find(prefix), now));
        return grpc::Status::OK;
      });
      if (fib_.writer && !out.empty()) {
        const bool answered = fib_.writer->call(
            [&](const fib::Programmer& p) {
              for (size_t i = 0; i < prefixes.size(); ++i) {
                auto group = p.installed(prefixes[i]);
                if (!group) continue;
                out[i].set_installed(true);
                out[i].set_group_id(*group);
                for (const auto& k : p.group_members(*group)) out[i].add_kernel_next_hops(k.gateway.to_string());
              }
            },
            std::chrono::seconds(10));
        if (!answered) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the FIB writer did not answer");
      }
      for (const auto& s : out) {
        if (!writer->Write(s)) break;
      }
      return grpc::Status::OK;
    }

    grpc::Status GetSummary(grpc::ServerContext*, const v1::GetSummaryRequest*, v1::GetSummaryResponse* out) override {
      return api::on_core(io_, "bgpd", [&] {
        const auto& b = *speaker_.config().bgp;
        out->set_local_as(b.asn);
        out->set_router_id(IpAddress::v4(speaker_.router_id()).to_string());
        out->set_prefixes(speaker_.loc_rib().prefix_count());
        out->set_paths(speaker_.loc_rib().path_count());
        out->set_attribute_sets(const_cast<Speaker&>(speaker_).attributes().size());
        for (const auto& p : speaker_.peers()) fill(p, *out->add_neighbors());
        out->set_update_encodings(speaker_.update_encodings());
        out->set_shared_update_sends(speaker_.shared_update_sends());
        return grpc::Status::OK;
      });
    }

    grpc::Status ListNeighbors(grpc::ServerContext*, const v1::ListNeighborsRequest* req,
                               v1::ListNeighborsResponse* out) override {
      return api::on_core(io_, "bgpd", [&] {
        bool found = req->address().empty();
        for (const auto& p : speaker_.peers()) {
          if (!req->address().empty() && p.name != req->address()) continue;
          fill(p, *out->add_neighbors());
          found = true;
        }
        return found ? grpc::Status::OK : grpc::Status(grpc::StatusCode::NOT_FOUND, "no neighbor " + req->address());
      });
    }

    grpc::Status ListRoutes(grpc::ServerContext*, const v1::ListRoutesRequest* req,
                            grpc::ServerWriter<v1::Route>* writer) override {
      RouteFilter f;
      if (auto s = parse_filter(*req, f); !s.ok()) return s;
      std::vector<v1::Route> routes;
      grpc::Status s = api::on_core(io_, "bgpd", [&] { return collect(*req, f, routes); });
      if (!s.ok()) return s;
      for (const auto& r : routes) {
        if (!writer->Write(r)) break;
      }
      return grpc::Status::OK;
    }

    grpc::Status ClearNeighbor(grpc::ServerContext*, const v1::ClearNeighborRequest* req,
                               v1::ClearNeighborResponse* out) override {
      if (req->kind() != v1::ClearNeighborRequest::HARD) {
        const auto kind = req->kind();
        const bool in = kind == v1::ClearNeighborRequest::SOFT_IN || kind == v1::ClearNeighborRequest::SOFT;
        const bool outbound = kind == v1::ClearNeighborRequest::SOFT_OUT || kind == v1::ClearNeighborRequest::SOFT;
        return api::on_core(io_, "bgpd", [&] {
          std::vector<std::string> incomplete;
          if (!speaker_.soft_clear_peer(req->address(), in, outbound, incomplete))
            return grpc::Status(grpc::StatusCode::NOT_FOUND, "no neighbor " + req->address());
          if (!incomplete.empty())
            return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                fmt::format("soft in needs soft-reconfiguration inbound or the peer's route-refresh "
                                            "capability: {}",
                                            fmt::join(incomplete, ", ")));
          out->set_cleared(1);
          return grpc::Status::OK;
        });
      }
      return api::on_core(io_, "bgpd", [&] {
        if (!speaker_.clear_peer(req->address()))
          return grpc::Status(grpc::StatusCode::NOT_FOUND, "no neighbor " + req->address());
        out->set_cleared(1);
        return grpc::Status::OK;
      });
    }

   private:
    std::string peer_name(rib::PeerId id) const {
      if (id == rib::kLocalPeer) return "local";
      const Peer* peer = speaker_.peer_by_id(id);
      return peer ? peer->settings().name : "?";
    }

    // Path i of a Loc-RIB entry, with every attribute and why it ranks where it does.
    // Best, multipath and why it lost, for path i (a v1::Path or a v1::ServicePeer).
    template <typename P>
    static void set_rank(const rib::Selection& sel, size_t i, P& p) {
      const bool is_best = sel.best && *sel.best == i;
      p.set_best(is_best);
      p.set_multipath(std::find(sel.multipath.begin(), sel.multipath.end(), i) != sel.multipath.end());
      p.set_reason(is_best ? "best" : std::string(rib::to_string(sel.lost_at.at(i))));
    }

    void fill_path(const Prefix& prefix, const rib::RibEntry& e, const rib::Selection& sel, size_t i,
                   v1::Path& p) const {
      const rib::Path& path = e.paths[i];
      p.set_peer(peer_name(path.peer));
      if (path.peer != rib::kLocalPeer) p.set_next_hop(path.next_hop.to_string());
      if (const Peer* peer = speaker_.peer_by_id(path.peer); peer && prefix.family() == Family::V6) {
        if (const auto& ll = peer->link_local_next_hop()) p.set_link_local_next_hop(ll->to_string());
      }
      set_rank(sel, i, p);
      p.set_stale(path.stale);
      p.set_eligible(path.eligible);
      p.set_accepted(true);
      fill_attributes(*path.attrs, p);
    }

    v1::RouteEvent route_event(const Prefix& prefix, const rib::RibEntry* e, bool snapshot) const {
      v1::RouteEvent ev;
      ev.set_prefix(prefix.to_string());
      ev.set_snapshot(snapshot);
      if (!e || !e->best()) {
        ev.set_withdrawn(true);
        return ev;
      }
      const rib::Selection sel = speaker_.loc_rib().selection(*e);
      fill_path(prefix, *e, sel, e->best_index, *ev.mutable_best());
      for (const auto& h : speaker_.loc_rib().fib_next_hops(*e)) ev.add_fib_next_hops(h.to_string());
      return ev;
    }

    v1::Service service(const Prefix& prefix, const rib::RibEntry& e, uint32_t now) const {
      v1::Service s;
      s.set_prefix(prefix.to_string());
      if (const rib::Path* best = e.best()) {
        for (auto c : best->attrs->communities) s.add_communities(config::format_community(c));
        for (const auto& c : best->attrs->large_communities) s.add_large_communities(config::format_large_community(c));
        if (best->attrs->local_pref) s.set_local_pref(*best->attrs->local_pref);
      }
      for (const auto& h : speaker_.loc_rib().fib_next_hops(e)) s.add_rib_next_hops(h.to_string());
      const rib::Selection sel = speaker_.loc_rib().selection(e);
      for (size_t i = 0; i < e.paths.size(); ++i) {
        const rib::Path& path = e.paths[i];
        auto* p = s.add_peers();
        p->set_peer(peer_name(path.peer));
        if (path.peer != rib::kLocalPeer) {
          p->set_next_hop(path.next_hop.to_string());
          if (const auto* info = speaker_.loc_rib().peer(path.peer)) p->set_bfd(speaker_.bfd_state(info->address));
        }
        set_rank(sel, i, *p);
        p->set_stale(path.stale);
        p->set_eligible(path.eligible);
        if (path.attrs->local_pref) p->set_local_pref(*path.attrs->local_pref);
      }
      s.set_changed_seconds_ago(now >= e.changed_at ? now - e.changed_at : 0);
      return s;
    }

    grpc::Status collect(const v1::ListRoutesRequest& req, const RouteFilter& f, std::vector<v1::Route>& out) {
      if (req.table() != v1::ListRoutesRequest::LOC_RIB) {
        if (!speaker_.find_peer(req.neighbor()))
          return grpc::Status(grpc::StatusCode::NOT_FOUND, "no neighbor " + req.neighbor());
        if (req.table() == v1::ListRoutesRequest::ADJ_RIB_IN) {
          for (const auto& r : speaker_.received_routes(req.neighbor())) {
            if (!f.prefix_ok(r.prefix) || !f.attrs_ok(*r.attrs)) continue;
            v1::Route route;
            route.set_prefix(r.prefix.to_string());
            auto* p = route.add_paths();
            p->set_peer(req.neighbor());
            p->set_next_hop(r.next_hop.to_string());
            p->set_accepted(r.accepted);
            fill_attributes(*r.attrs, *p);
            out.push_back(std::move(route));
          }
        } else {
          for (const auto& [prefix, attrs] : speaker_.advertised_routes(req.neighbor())) {
            if (!f.prefix_ok(prefix) || !f.attrs_ok(*attrs)) continue;
            v1::Route route;
            route.set_prefix(prefix.to_string());
            auto* p = route.add_paths();
            p->set_peer(req.neighbor());
            if (attrs->next_hop) p->set_next_hop(attrs->next_hop->to_string());
            fill_attributes(*attrs, *p);
            out.push_back(std::move(route));
          }
        }
        return grpc::Status::OK;
      }
      std::vector<Prefix> prefixes;
      speaker_.loc_rib().for_each([&](const Prefix& p, const rib::RibEntry&) {
        if (f.prefix_ok(p)) prefixes.push_back(p);
      });
      std::sort(prefixes.begin(), prefixes.end());
      for (const Prefix& prefix : prefixes) {
        const rib::RibEntry& e = *speaker_.loc_rib().find(prefix);
        const rib::Path* best = e.best();
        if (best && !f.attrs_ok(*best->attrs)) continue;
        v1::Route route;
        route.set_prefix(prefix.to_string());
        for (const auto& h : speaker_.loc_rib().fib_next_hops(e)) route.add_fib_next_hops(h.to_string());
        const rib::Selection sel = speaker_.loc_rib().selection(e);
        for (size_t i = 0; i < e.paths.size(); ++i) {
          if (!req.neighbor().empty() && peer_name(e.paths[i].peer) != req.neighbor()) continue;
          fill_path(prefix, e, sel, i, *route.add_paths());
        }
        if (route.paths_size() > 0) out.push_back(std::move(route));
      }
      return grpc::Status::OK;
    }

    boost::asio::io_context& io_;
    Speaker& speaker_;
    const FibView& fib_;
  };

  class System final : public v1::SystemService::Service {
   public:
    grpc::Status GetVersion(grpc::ServerContext*, const v1::GetVersionRequest*, v1::GetVersionResponse* out) override {
      out->set_daemon("bgpd");
      out->set_version(kVersion);
      return grpc::Status::OK;
    }
  };

  class Fib final : public v1::FibService::Service {
   public:
    explicit Fib(const FibView& view) : view_(view) {}

    grpc::Status GetStatus(grpc::ServerContext*, const v1::GetFibStatusRequest*, v1::FibStatus* out) override {
      out->set_enabled(view_.writer != nullptr);
      out->set_table(view_.table);
      out->set_metric(view_.metric);
      if (!view_.writer) return grpc::Status::OK;
      const fib::FibStatus s = view_.writer->status();
      out->set_mode(s.mode);
      out->set_converged(s.converged);
      out->set_routes(s.stats.routes);
      out->set_groups(s.stats.groups);
      out->set_nexthops(s.stats.nexthops);
      out->set_waiting(s.stats.waiting);
      out->set_adopted(s.stats.adopted);
      out->set_changes(s.changes);
      out->set_flushes(s.flushes);
      out->set_group_replaces(s.stats.group_replaces);
      out->set_reconciles(s.reconciles);
      out->set_drift(s.stats.drift);
      out->set_last_reconcile_drift(s.last_reconcile_drift);
      out->set_kernel_errors(s.stats.kernel_errors);
      out->set_needs_repair(s.stats.needs_repair);
      out->set_resyncs(s.resyncs);
      out->set_queued(s.queued);
      return grpc::Status::OK;
    }

    grpc::Status ListRoutes(grpc::ServerContext*, const v1::ListFibRoutesRequest* req,
                            grpc::ServerWriter<v1::FibRoute>* writer) override {
      if (!view_.writer) return grpc::Status::OK;
      std::optional<Prefix> only;
      if (!req->prefix().empty()) {
        only = parse_host(req->prefix());
        if (!only) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "'" + req->prefix() + "' is not a prefix");
      }
      std::optional<Family> family;
      if (req->afi() == "ipv4-unicast") family = Family::V4;
      if (req->afi() == "ipv6-unicast") family = Family::V6;
      std::vector<v1::FibRoute> out;
      const bool answered = view_.writer->call(
          [&](const fib::Programmer& p) {
            std::map<fib::NexthopId, std::vector<v1::FibNexthop>> groups;
            p.for_each_group([&](fib::NexthopId id, const std::vector<fib::NexthopKey>& members, size_t) {
              groups[id] = nexthops(p, members);
            });
            std::vector<std::tuple<Prefix, fib::NexthopId, bool>> routes;
            p.for_each_route([&](const Prefix& prefix, fib::NexthopId group, bool adopted) {
              if (only && prefix != *only) return;
              if (family && prefix.family() != *family) return;
              routes.emplace_back(prefix, group, adopted);
            });
            std::sort(routes.begin(), routes.end());
            for (const auto& [prefix, group, adopted] : routes) {
              v1::FibRoute r;
              r.set_prefix(prefix.to_string());
              r.set_group_id(group);
              for (const auto& nh : groups[group]) *r.add_nexthops() = nh;
              r.set_adopted(adopted);
              out.push_back(std::move(r));
            }
          },
          std::chrono::seconds(10));
      if (!answered) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the FIB writer did not answer");
      for (const auto& r : out) writer->Write(r);
      return grpc::Status::OK;
    }

    grpc::Status ListGroups(grpc::ServerContext*, const v1::ListFibGroupsRequest*,
                            grpc::ServerWriter<v1::FibGroup>* writer) override {
      if (!view_.writer) return grpc::Status::OK;
      std::vector<v1::FibGroup> out;
      const bool answered = view_.writer->call(
          [&](const fib::Programmer& p) {
            p.for_each_group([&](fib::NexthopId id, const std::vector<fib::NexthopKey>& members, size_t routes) {
              v1::FibGroup g;
              g.set_id(id);
              for (const auto& nh : nexthops(p, members)) *g.add_members() = nh;
              g.set_routes(routes);
              out.push_back(std::move(g));
            });
          },
          std::chrono::seconds(10));
      if (!answered) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the FIB writer did not answer");
      for (const auto& g : out) writer->Write(g);
      return grpc::Status::OK;
    }

    grpc::Status Reconcile(grpc::ServerContext*, const v1::ReconcileFibRequest*, v1::ReconcileFibResponse*) override {
      if (!view_.writer) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "the FIB is off (--no-fib)");
      view_.writer->request_reconcile();
      return grpc::Status::OK;
    }

   private:
    static std::vector<v1::FibNexthop> nexthops(const fib::Programmer& p, const std::vector<fib::NexthopKey>& keys) {
      std::vector<v1::FibNexthop> out;
      for (const auto& k : keys) {
        v1::FibNexthop nh;
        nh.set_id(p.nexthop_id(k).value_or(0));
        nh.set_gateway(k.gateway.to_string());
        char name[IF_NAMESIZE] = {};
        nh.set_interface(if_indextoname(static_cast<unsigned>(k.ifindex), name) ? name : std::to_string(k.ifindex));
        out.push_back(std::move(nh));
      }
      return out;
    }
    const FibView& view_;
  };

  Bgp bgp;
  System system;
  Fib fib;
};

ApiServer::ApiServer(boost::asio::io_context& io, Speaker& speaker, FibView fib)
    : fib_(fib), services_(std::make_unique<Services>(io, speaker, fib_)) {}

ApiServer::~ApiServer() {
  stop();
}

bool ApiServer::start(const std::string& run_dir, const GrpcTcpOptions& tcp, grpc::Service* config,
                      std::string& error) {
  server_ =
      api::serve(run_dir + "/bgpd.sock", tcp, {&services_->bgp, &services_->system, &services_->fib, config}, error);
  return server_ != nullptr;
}

void ApiServer::stop() {
  api::shut_down(server_);
}

}  // namespace ridgeline::bgp
