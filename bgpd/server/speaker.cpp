#include "bgpd/server/speaker.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "bgpd/server/peer.h"

namespace ridgeline::bgp {

namespace asio = boost::asio;
using asio::ip::tcp;

void LoggingRouteSink::apply(std::vector<rib::RouteChange> changes) {
  for (const auto& c : changes) {
    std::string hops;
    for (const auto& h : c.next_hops) hops += (hops.empty() ? "" : ",") + h.to_string();
    spdlog::debug("fib (disabled): {} -> [{}]", c.prefix.to_string(), hops);
  }
}

namespace {

rib::DecisionOptions decision_options(const config::Bgp& b, config::Afi afi) {
  rib::DecisionOptions o;
  o.always_compare_med = b.always_compare_med;
  o.multipath_relax = b.multipath_relax;
  if (auto it = b.af.find(afi); it != b.af.end()) {
    o.maximum_paths_ebgp = it->second.maximum_paths.value_or(1);
    o.maximum_paths_ibgp = it->second.maximum_paths_ibgp.value_or(1);
  }
  return o;
}

IpAddress peer_ip(const tcp::endpoint& e) {
  const auto a = e.address();
  if (a.is_v4()) return IpAddress::v4(a.to_v4().to_uint());
  if (a.to_v6().is_v4_mapped())
    return IpAddress::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_uint());
  auto b = a.to_v6().to_bytes();
  return IpAddress::from_bytes(Family::V6, b);
}

// RFC 2385 keys on the listener, so a SYN from the peer is accepted (TCP_MD5SIG_EXT for ranges).
void set_listener_md5(int fd, const Prefix& prefix, const std::string& password, bool v6_socket) {
  tcp_md5sig sig{};
  if (prefix.family() == Family::V4) {
    if (v6_socket) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&sig.tcpm_addr);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_addr.s6_addr[10] = 0xff, sin6->sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(&sin6->sin6_addr.s6_addr[12], prefix.address().raw().data(), 4);
    } else {
      auto* sin = reinterpret_cast<sockaddr_in*>(&sig.tcpm_addr);
      sin->sin_family = AF_INET;
      std::memcpy(&sin->sin_addr, prefix.address().raw().data(), 4);
    }
  } else {
    if (!v6_socket) return;
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&sig.tcpm_addr);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, prefix.address().raw().data(), 16);
  }
  sig.tcpm_keylen = static_cast<uint16_t>(password.size());
  std::memcpy(sig.tcpm_key, password.data(), password.size());
  const uint8_t max = max_prefix_length(prefix.family());
  if (prefix.length() != max) {
    sig.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
    sig.tcpm_prefixlen = prefix.length();  // v4-mapped keys take the IPv4 length (Linux tcp_v6_parse_md5_keys)
    if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG_EXT, &sig, sizeof(sig)) != 0) {
      spdlog::error("TCP-MD5 key for {} on the listener: {}", prefix.to_string(), std::strerror(errno));
    }
  } else if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig)) != 0) {
    spdlog::error("TCP-MD5 key for {} on the listener: {}", prefix.to_string(), std::strerror(errno));
  }
}

// RFC 5925 keys on the listener: an IPv6 listener also takes IPv4 peers, as v4-mapped addresses.
void set_listener_ao(int fd, const Prefix& prefix, const tcp_ao::Key& key, bool v6_socket) {
  if (prefix.family() == Family::V6 && !v6_socket) return;
  if (int error = tcp_ao::install(fd, prefix, key, v6_socket)) {
    spdlog::error("TCP-AO key for {} on the listener: {}", prefix.to_string(), tcp_ao::describe_error(error));
  }
}

}  // namespace

Speaker::Speaker(asio::io_context& io, config::Config config, SpeakerOptions options, std::unique_ptr<RouteSink> sink)
    : io_(io), config_(std::move(config)), options_(options), sink_(std::move(sink)), policy_(config_) {
  const config::Bgp& b = *config_.bgp;
  router_id_ = b.router_id ? b.router_id->v4_host_order() : 0;
  rib_.set_options(Family::V4, decision_options(b, config::Afi::Ipv4Unicast));
  rib_.set_options(Family::V6, decision_options(b, config::Afi::Ipv6Unicast));
}

Speaker::~Speaker() = default;

Peer* Speaker::add_peer(PeerSettings settings) {
  const std::string name = settings.name;
  // Ids go up to rib::kMaxPeerId (a Path holds 30 bits), then start over past those in use.
  while (peers_by_id_.count(next_peer_id_)) next_peer_id_ = next_peer_id_ % rib::kMaxPeerId + 1;
  const rib::PeerId id = next_peer_id_;
  next_peer_id_ = next_peer_id_ % rib::kMaxPeerId + 1;
  auto peer = std::make_unique<Peer>(*this, std::move(settings), id);
  Peer* raw = peer.get();
  peers_by_id_[raw->id()] = raw;
  peers_[name] = std::move(peer);
  want_bfd(*raw, true);
  return raw;
}

void Speaker::want_bfd(const Peer& peer, bool wanted) {
  const PeerSettings& s = peer.settings();
  if (!bfd_ || !s.bfd) return;
  BfdRequest r;
  r.peer = s.address;
  r.profile = s.bfd_profile.value_or("");
  // Multihop for eBGP multihop and iBGP off-link peers needs our address; it is asked for once the
  // session is up and that address is known (see Peer::on_established).
  r.multihop = s.ebgp_multihop.value_or(1) > 1;
  if (r.multihop) {
    if (!peer.local_address()) return;
    r.local = *peer.local_address();
  }
  wanted ? bfd_->want(r) : bfd_->unwant(r);
}

bool Speaker::bfd_up(const IpAddress& peer) const {
  auto it = bfd_states_.find(peer);
  return it != bfd_states_.end() && it->second == "Up";
}

std::string Speaker::bfd_state(const IpAddress& peer) const {
  auto it = bfd_states_.find(peer);
  return it == bfd_states_.end() ? std::string{} : it->second;
}

uint32_t Speaker::rib_clock_s() {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

void Speaker::on_bfd(const BfdChange& c) {
  bfd_states_[c.peer] = c.state;
  auto it = peers_.find(c.peer.to_string());
  if (it == peers_.end() || !it->second->settings().bfd) return;
  Peer& peer = *it->second;
  if (c.state == "Up") {
    peer.bfd_up();
    return;
  }
  // Only a fall from Up is a failure; a new session starting Down is not, and neither is the
  // peer's AdminDown (RFC 5882 §3.2).
  if (c.previous != "Up" || c.state == "Up") return;
  if (c.remote_admin_down) {
    spdlog::info("{}: BFD peer is administratively down; the BGP session stays", peer.settings().name);
    return;
  }
  peer.bfd_down(c.remote_cpi, c.diag);
}

bool Speaker::start(std::string& error) {
  const config::Bgp& b = *config_.bgp;
  if (router_id_ == 0) {
    error = "bgp router-id is not set";
    return false;
  }
  if (options_.port != 0) {
    std::vector<tcp::endpoint> endpoints;
    if (!options_.listen_address.empty()) {
      endpoints.emplace_back(asio::ip::make_address(options_.listen_address), options_.port);
    } else {
      endpoints.emplace_back(tcp::v6(), options_.port);  // dual-stack: IPv4 arrives v4-mapped
    }
    for (const auto& ep : endpoints) {
      auto acceptor = std::make_unique<tcp::acceptor>(io_);
      boost::system::error_code ec;
      acceptor->open(ep.protocol(), ec);
      if (!ec && ep.protocol() == tcp::v6()) acceptor->set_option(asio::ip::v6_only(false), ec);
      if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) acceptor->bind(ep, ec);
      if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        error = "cannot listen on port " + std::to_string(options_.port) + ": " + ec.message();
        return false;
      }
      const bool v6 = ep.protocol() == tcp::v6();
      // SYN-ACKs leave with TTL 255, so a GTSM peer (RFC 5082) accepts them; each accepted
      // socket then gets its own TTL.
      int ttl = 255;
      setsockopt(acceptor->native_handle(), IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
      if (v6) setsockopt(acceptor->native_handle(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
      accept_loop(*acceptor);
      acceptors_.push_back(std::move(acceptor));
      acceptor_is_v6_.push_back(v6);
    }
  }
  set_listener_keys();
  for (const auto& n : b.neighbors) {
    if (n.is_peer_group) continue;
    auto address = IpAddress::parse(n.name);
    if (!address) continue;
    const config::Neighbor* g = n.peer_group ? b.find_neighbor(*n.peer_group) : nullptr;
    add_peer(resolve_peer_settings(b, &n, g, *address))->start();
  }
  originate_networks();
  check_converged();
  return true;
}

// RFC 2385 keys of the configured neighbors and listen ranges on every listener (a reload sets
// the new ones; a key that was removed stays until the next start).
void Speaker::set_listener_keys() {
  const config::Bgp& b = *config_.bgp;
  for (size_t i = 0; i < acceptors_.size(); ++i) {
    const int fd = acceptors_[i]->native_handle();
    const bool v6 = acceptor_is_v6_[i];
    for (const auto& n : b.neighbors) {
      if (n.is_peer_group) continue;
      const config::Neighbor* g = n.peer_group ? b.find_neighbor(*n.peer_group) : nullptr;
      auto pw = n.password ? n.password : (g ? g->password : std::nullopt);
      auto ao = n.tcp_ao ? n.tcp_ao : (g ? g->tcp_ao : std::nullopt);
      auto a = IpAddress::parse(n.name);
      if (!a) continue;
      const Prefix host(*a, max_prefix_length(a->family()));
      if (ao) {
        set_listener_ao(fd, host, *ao, v6);
      } else if (pw) {
        set_listener_md5(fd, host, *pw, v6);
      }
    }
    for (const auto& r : b.listen_ranges) {
      const config::Neighbor* g = b.find_neighbor(r.peer_group);
      if (g && g->tcp_ao) {
        set_listener_ao(fd, r.prefix, *g->tcp_ao, v6);
      } else if (g && g->password) {
        set_listener_md5(fd, r.prefix, *g->password, v6);
      }
    }
  }
}

std::string Speaker::ReloadSummary::to_string() const {
  return fmt::format("{} neighbors added, {} removed, {} reset, {} refreshed softly", added, removed, reset, refreshed);
}

void Speaker::retire_peer(const std::string& name) {
  auto it = peers_.find(name);
  if (it == peers_.end()) return;
  Peer& peer = *it->second;
  spdlog::info("{}: removed from the configuration", name);
  want_bfd(peer, false);
  peer.stop();  // Cease, and its routes go
  if (peer.settings().dynamic) --dynamic_peers_;
  peers_by_id_.erase(peer.id());
  retired_.push_back(std::move(it->second));
  peers_.erase(it);
  // Destroyed once their NOTIFICATION has had time to leave.
  if (!retire_timer_) retire_timer_ = std::make_unique<asio::steady_timer>(io_);
  retire_timer_->expires_after(std::chrono::seconds(2));
  retire_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) retired_.clear();
  });
}

bool Speaker::reload(config::Config next, ReloadSummary& summary, std::string& error) {
  if (!next.bgp) {
    error = "the new config has no `router bgp` section";
    return false;
  }
  if (next.bgp->asn != config_.bgp->asn) {
    error = fmt::format("changing the AS number ({} to {}) needs a restart of bgpd", config_.bgp->asn, next.bgp->asn);
    return false;
  }
  const uint32_t next_router_id = next.bgp->router_id ? next.bgp->router_id->v4_host_order() : 0;
  if (next_router_id == 0) {
    error = "bgp router-id is not set";
    return false;
  }
  const bool policy_changed =
      next.prefix_lists_v4 != config_.prefix_lists_v4 || next.prefix_lists_v6 != config_.prefix_lists_v6 ||
      next.community_lists != config_.community_lists || next.large_community_lists != config_.large_community_lists ||
      next.route_maps != config_.route_maps;
  const bool networks_changed = policy_changed || next.bgp->af != config_.bgp->af;
  const bool router_id_changed = next_router_id != router_id_;
  config_ = std::move(next);  // policy_ reads config_: from here on the new policy applies
  router_id_ = next_router_id;
  const config::Bgp& b = *config_.bgp;
  rib_.set_options(Family::V4, decision_options(b, config::Afi::Ipv4Unicast));
  rib_.set_options(Family::V6, decision_options(b, config::Afi::Ipv6Unicast));
  set_listener_keys();

  // Each running peer against its new settings: configured neighbors by name, dynamic ones by the
  // listen range they now fall in.
  std::vector<std::string> gone;
  for (auto& [name, peer] : peers_) {
    std::optional<PeerSettings> settings;
    if (peer->settings().dynamic) {
      if (const config::ListenRange* range = find_listen_range(b, peer->settings().address)) {
        if (!b.find_neighbor(peer->settings().address.to_string()))
          settings = resolve_peer_settings(b, nullptr, b.find_neighbor(range->peer_group), peer->settings().address);
      }
    } else if (const config::Neighbor* n = b.find_neighbor(name); n && !n->is_peer_group) {
      const config::Neighbor* g = n->peer_group ? b.find_neighbor(*n->peer_group) : nullptr;
      settings = resolve_peer_settings(b, n, g, peer->settings().address);
    }
    if (!settings) {
      gone.push_back(name);
      continue;
    }
    const bool bfd_changed =
        settings->bfd != peer->settings().bfd || settings->bfd_profile != peer->settings().bfd_profile;
    if (bfd_changed) want_bfd(*peer, false);
    const SettingsChange change = peer->reconfigure(std::move(*settings), policy_changed);
    if (bfd_changed) want_bfd(*peer, true);
    if (change == SettingsChange::Session) {
      ++summary.reset;
    } else if (router_id_changed) {
      peer->clear();
      ++summary.reset;
    } else if (change == SettingsChange::Policy) {
      ++summary.refreshed;
    }
  }
  for (const std::string& name : gone) retire_peer(name);
  summary.removed = gone.size();
  for (const auto& n : b.neighbors) {
    if (n.is_peer_group || peers_.count(n.name)) continue;
    auto address = IpAddress::parse(n.name);
    if (!address) continue;
    const config::Neighbor* g = n.peer_group ? b.find_neighbor(*n.peer_group) : nullptr;
    add_peer(resolve_peer_settings(b, &n, g, *address))->start();
    ++summary.added;
  }
  if (networks_changed) {
    // Originated again under the new policy; what did not change makes no change (same
    // attributes, same best path).
    std::vector<Prefix> networks;  // the `network` paths (id 0); API paths (id 1) stay
    rib_.for_each([&](const Prefix& p, const rib::RibEntry& e) {
      for (const auto& path : e.paths) {
        if (path.peer == rib::kLocalPeer && path.path_id == 0) networks.push_back(p);
      }
    });
    for (const Prefix& p : networks) rib_.withdraw(p, rib::kLocalPeer, 0);
    originate_networks();
  }
  routes_changed();
  return true;
}

bool Speaker::soft_clear_peer(const std::string& name, bool in, bool out, std::vector<std::string>& incomplete) {
  bool found = false;
  for (auto& [peer_name, peer] : peers_) {
    if (name != "*" && peer_name != name) continue;
    found = true;
    if (in && !peer->soft_in()) incomplete.push_back(peer_name);
    if (out) peer->soft_out();
  }
  return found;
}

void Speaker::originate_networks() {
  const config::Bgp& b = *config_.bgp;
  for (const auto& [afi, af] : b.af) {
    for (const auto& net : af.networks) {
      PathAttributes a;
      a.origin = Origin::Igp;
      a.as_path = AsPath{};
      if (net.route_map && policy_.route_map(*net.route_map, net.prefix, a) != policy::Verdict::Permit) continue;
      rib_.update(net.prefix, rib::Path{rib::kLocalPeer, 0, store_.intern(std::move(a)), IpAddress{}});
    }
  }
  routes_changed();
}

void Speaker::expect_end_of_rib_from(const std::set<IpAddress>& gateways) {
  const config::Bgp& b = *config_.bgp;
  for (const IpAddress& g : gateways) {
    const bool in_range = std::any_of(b.listen_ranges.begin(), b.listen_ranges.end(),
                                      [&](const config::ListenRange& r) { return r.prefix.contains(g); });
    const bool configured = std::any_of(b.neighbors.begin(), b.neighbors.end(), [&](const config::Neighbor& n) {
      return !n.is_peer_group && IpAddress::parse(n.name) == g;
    });
    if (in_range || configured) waiting_for_.insert(g);
  }
}

void Speaker::table_sent(const Peer* peer) {
  if (sending_tables_.erase(peer) == 0 || !sending_tables_.empty()) return;
  // After the drain of what was read so far (the End-of-RIB may share a read with the table's last
  // UPDATEs, whose drain would otherwise be posted after this): the FIB gets the table's last
  // changes before it hears that the table is complete, and writes them in the same batch.
  routes_changed();
  asio::post(io_, [this] {
    if (!sending_tables_.empty()) return;
    spdlog::debug("initial tables: every table is in; {} route changes handed to the FIB so far", fib_changes_);
    sink_->initial_tables(false);
  });
}

void Speaker::peer_end_of_rib(Peer* peer) {
  table_sent(peer);
  if (waiting_for_.erase(peer->settings().address) > 0) check_converged();
}

void Speaker::check_converged() {
  if (converged_ || !waiting_for_.empty()) return;
  converged_ = true;
  spdlog::info("End-of-RIB from every expected peer: the RIB has converged");
  // After the drain, so that the FIB has what those peers sent before it sweeps.
  converged_pending_ = true;
  routes_changed();
}

void Speaker::stop() {
  stopping_ = true;
  for (auto& a : acceptors_) {
    boost::system::error_code ec;
    a->close(ec);
  }
  // With graceful restart configured the kernel keeps our routes: stop without purging them, and
  // let nothing the shutdown itself withdraws (dynamic peers going away) reach the FIB.
  const bool keep = config_.bgp->graceful_restart;
  fib_frozen_ = keep;
  for (auto& [name, peer] : peers_) peer->stop(keep);
  if (!keep) routes_changed();
}

void Speaker::accept_loop(tcp::acceptor& acceptor) {
  acceptor.async_accept([this, &acceptor](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) return;
      spdlog::warn("accept: {}", ec.message());
    } else {
      on_accept(std::move(socket));
    }
    accept_loop(acceptor);
  });
}

void Speaker::on_accept(tcp::socket socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return;
  const IpAddress address = peer_ip(remote);
  const config::Bgp& b = *config_.bgp;
  auto it = peers_.find(address.to_string());
  if (it == peers_.end()) {
    const config::ListenRange* range = find_listen_range(b, address);
    if (!range) {
      if (auto quiet = refusals_.should_log(address, std::chrono::steady_clock::now()))
        spdlog::info("refused a connection from {}: not a neighbor and in no listen range{}", address.to_string(),
                     *quiet ? fmt::format(" ({} more refused since the last line)", *quiet) : "");
      return;
    }
    if (dynamic_peers_ >= b.listen_limit) {
      if (auto quiet = refusals_.should_log(address, std::chrono::steady_clock::now()))
        spdlog::warn("refused a connection from {}: bgp listen limit {} reached{}", address.to_string(), b.listen_limit,
                     *quiet ? fmt::format(" ({} more refused since the last line)", *quiet) : "");
      return;
    }
    const config::Neighbor* group = b.find_neighbor(range->peer_group);
    Peer* peer = add_peer(resolve_peer_settings(b, nullptr, group, address));
    ++dynamic_peers_;
    spdlog::info("{}: dynamic neighbor from listen range {} (peer-group {})", address.to_string(),
                 range->prefix.to_string(), range->peer_group);
    if (!peer->accept(std::move(socket))) peer_finished(peer);
    return;
  }
  if (!it->second->accept(std::move(socket))) {
    spdlog::info("{}: refused a second connection in state {}", address.to_string(), to_string(it->second->state()));
  }
}

void Speaker::peer_finished(Peer* peer) {
  if (!peer->settings().dynamic) return;
  const std::string name = peer->settings().name;
  // Deferred: the peer is usually on the call stack.
  asio::post(io_, [this, name] {
    auto it = peers_.find(name);
    if (it == peers_.end() || !it->second->finished()) return;
    spdlog::info("{}: dynamic neighbor removed", name);
    want_bfd(*it->second, false);
    table_sent(it->second.get());
    rib_.withdraw_peer(it->second->id());
    peers_by_id_.erase(it->second->id());
    peers_.erase(it);
    --dynamic_peers_;
    routes_changed();
  });
}

void Speaker::peer_established(Peer* peer) {
  if (sending_tables_.insert(peer).second && sending_tables_.size() == 1) sink_->initial_tables(true);
  sink_->next_hop_down(peer->settings().address, false);
  if (peer->settings().ebgp_multihop.value_or(1) > 1) want_bfd(*peer, true);
  // After the current input is processed, so the table it gets is settled.
  const std::string name = peer->settings().name;
  asio::post(io_, [this, name] {
    auto it = peers_.find(name);
    if (it != peers_.end() && it->second->established()) it->second->send_table();
    update_cache_.clear();
  });
}

std::vector<Peer*> Speaker::established_peers() {
  std::vector<Peer*> out;
  for (auto& [name, p] : peers_) {
    if (p->established()) out.push_back(p.get());
  }
  return out;
}

uint64_t Speaker::fib_pending_limit() const {
  return config_.fib ? config_.fib->pending_limit : config::Fib{}.pending_limit;
}

bool Speaker::fib_backlogged() const {
  return sink_->queued() >= fib_pending_limit();
}

void Speaker::park_reading(std::shared_ptr<Connection> conn) {
  ++reads_parked_;
  parked_.push_back(std::move(conn));
  if (parked_.size() > 1) return;  // the timer is running
  if (!park_timer_) park_timer_ = std::make_unique<asio::steady_timer>(io_);
  arm_park_timer();
}

// Polled: the writer is another thread, and 2 ms is little next to the writes it waits for.
void Speaker::arm_park_timer() {
  park_timer_->expires_after(std::chrono::milliseconds(2));
  park_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (sink_->queued() > fib_pending_limit() / 2) return arm_park_timer();
    for (auto& conn : std::exchange(parked_, {})) {
      if (conn->owner) conn->owner->resume_reading(conn);
    }
  });
}

void Speaker::routes_changed() {
  // Coalesce: every message read in this turn of the loop is decided once.
  if (drain_scheduled_) return;
  drain_scheduled_ = true;
  asio::post(io_, [this] {
    drain_scheduled_ = false;
    rib::RibChanges changes = rib_.drain(rib_clock_s());
    if (!watchers_.empty()) {
      for (const Prefix& p : changes.best_changed) {
        const rib::RibEntry* e = rib_.find(p);
        for (const auto& [id, w] : watchers_) {
          if (w.route) w.route(p, e);
        }
      }
    }
    if (!changes.fib.empty() && !fib_frozen_) {
      fib_changes_ += changes.fib.size();
      sink_->apply(std::move(changes.fib));
    }
    if (std::exchange(converged_pending_, false)) sink_->rib_converged();
    if (!changes.best_changed.empty()) {
      for (Peer* p : established_peers()) p->advertise(changes.best_changed);
    }
    update_cache_.clear();
    store_.collect();
  });
}

const Speaker::SharedMessages& Speaker::encoded_update(AfiSafi af, const EncodeContext& ctx, const rib::AttrRef& attrs,
                                                       const std::vector<Prefix>& prefixes) {
  UpdateKey key{af, ctx.four_octet_as, ctx.extended_message, ctx.add_path(af), attrs.get(), prefixes};
  auto it = update_cache_.find(key);
  if (it != update_cache_.end()) {
    shared_update_sends_ += it->second.second.size();
    return it->second.second;
  }
  std::vector<Nlri> nlri;
  nlri.reserve(prefixes.size());
  for (const auto& p : prefixes) nlri.push_back({p, 0});
  std::vector<Bytes> messages;
  if (!attrs) {
    messages = encode_withdrawals(af, nlri, ctx);
  } else {
    PathAttributes a = *attrs;
    std::vector<IpAddress> mp_hops;
    if (af != kIpv4Unicast) {
      if (a.next_hop) mp_hops.push_back(*a.next_hop);
      a.next_hop.reset();
    }
    messages = encode_announcements(a, af, mp_hops, nlri, ctx);
  }
  ++update_encodings_;
  SharedMessages shared;
  for (auto& m : messages) shared.push_back(std::make_shared<const Bytes>(std::move(m)));
  auto& slot = update_cache_[std::move(key)];
  slot = {attrs, std::move(shared)};
  return slot.second;
}

std::vector<PeerView> Speaker::peers() const {
  std::vector<PeerView> out;
  for (const auto& [name, p] : peers_) out.push_back(p->view());
  return out;
}

const Peer* Speaker::peer_by_id(rib::PeerId id) const {
  auto it = peers_by_id_.find(id);
  return it == peers_by_id_.end() ? nullptr : it->second;
}

const Peer* Speaker::find_peer(const std::string& name) const {
  auto it = peers_.find(name);
  return it == peers_.end() ? nullptr : it->second.get();
}

std::vector<Speaker::ReceivedRoute> Speaker::received_routes(const std::string& peer) const {
  const Peer* p = find_peer(peer);
  return p ? p->received_routes() : std::vector<ReceivedRoute>{};
}

std::vector<std::pair<Prefix, rib::AttrRef>> Speaker::advertised_routes(const std::string& peer) const {
  const Peer* p = find_peer(peer);
  return p ? p->advertised_routes() : std::vector<std::pair<Prefix, rib::AttrRef>>{};
}

int Speaker::watch(Watcher watcher) {
  const int id = next_watcher_++;
  watchers_[id] = std::move(watcher);
  return id;
}

void Speaker::unwatch(int id) {
  watchers_.erase(id);
}

void Speaker::peer_state_changed(const Peer& peer, State previous) {
  if (previous == State::Established) table_sent(&peer);
  if (watchers_.empty()) return;
  const PeerView v = peer.view();
  for (const auto& [id, w] : watchers_) {
    if (w.neighbor) w.neighbor(v, previous);
  }
}

void Speaker::add_api_path(const Prefix& prefix, PathAttributes attrs) {
  if (!attrs.as_path) attrs.as_path = AsPath{};
  if (!attrs.origin) attrs.origin = Origin::Igp;
  rib_.update(prefix, rib::Path{rib::kLocalPeer, 1, store_.intern(std::move(attrs)), IpAddress{}});
  routes_changed();
}

bool Speaker::delete_api_path(const Prefix& prefix) {
  if (!rib_.withdraw(prefix, rib::kLocalPeer, 1)) return false;
  routes_changed();
  return true;
}

bool Speaker::clear_peer(const std::string& name) {
  bool any = false;
  for (auto& [n, p] : peers_) {
    if (name == "*" || n == name) {
      p->clear();
      any = true;
    }
  }
  return any;
}

}  // namespace ridgeline::bgp
