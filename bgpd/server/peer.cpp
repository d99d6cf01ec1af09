#include "bgpd/server/peer.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "bgpd/wire/names.h"

namespace ridgeline::bgp {

namespace asio = boost::asio;
using asio::ip::tcp;

config::Afi afi_of(const Prefix& prefix) {
  return prefix.family() == Family::V4 ? config::Afi::Ipv4Unicast : config::Afi::Ipv6Unicast;
}

namespace {

constexpr size_t kReadChunk = 64 * 1024;

AfiSafi wire_af(config::Afi afi) {
  return afi == config::Afi::Ipv4Unicast ? kIpv4Unicast : kIpv6Unicast;
}

std::optional<config::Afi> config_afi(AfiSafi af) {
  if (af == kIpv4Unicast) return config::Afi::Ipv4Unicast;
  if (af == kIpv6Unicast) return config::Afi::Ipv6Unicast;
  return std::nullopt;
}

IpAddress to_ip(const asio::ip::address& a) {
  if (a.is_v4()) return IpAddress::v4(a.to_v4().to_uint());
  if (a.to_v6().is_v4_mapped())
    return IpAddress::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_uint());
  auto b = a.to_v6().to_bytes();
  return IpAddress::from_bytes(Family::V6, b);
}

asio::ip::address to_asio(const IpAddress& a) {
  if (a.is_v4()) return asio::ip::address_v4(a.v4_host_order());
  asio::ip::address_v6::bytes_type b;
  std::memcpy(b.data(), a.raw().data(), 16);
  return asio::ip::address_v6(b);
}

}  // namespace

Peer::Peer(Speaker& speaker, PeerSettings settings, rib::PeerId id)
    : speaker_(speaker),
      settings_(std::move(settings)),
      id_(id),
      fsm_(settings_.fsm, [] { return 0.75 + 0.25 * (static_cast<double>(std::rand()) / RAND_MAX); }),
      timer_(speaker.io()),
      restart_timer_(speaker.io()),
      send_hold_timer_(speaker.io()) {
  speaker_.rib().set_peer(id_, {settings_.address, 0, true});
}

Peer::~Peer() {
  send_hold_timer_.cancel();
  if (conn_) conn_->owner = nullptr;
  if (pending_) pending_->owner = nullptr;
  close_connection(conn_);
  close_connection(pending_);
}

void Peer::start() {
  if (settings_.shutdown) return;
  event(settings_.fsm.passive ? Event::ManualStartPassive : Event::ManualStart);
}

void Peer::stop(bool keep_routes) {
  event(Event::ManualStop);
  if (!keep_routes) purge_routes();
}

bool Peer::bfd_blocks() const {
  return settings_.bfd && settings_.bfd_strict && !speaker_.bfd_up(settings_.address);
}

void Peer::bfd_up() {
  if (!settings_.bfd_strict) return;
  // Held back until now: try at once rather than at the next connect retry.
  if (fsm_.state() == State::Connect || fsm_.state() == State::Active) event(Event::ConnectRetryTimerExpires);
}

void Peer::bfd_down(bool remote_cpi, const std::string& diag) {
  // check-control-plane-failure: a peer whose BFD shares fate with its control plane (C bit 0)
  // may be restarting; with graceful restart its routes are kept, stale (RFC 5882 §4.3.2).
  bfd_graceful_ = settings_.bfd_check_control_plane_failure && peer_restart_capable_ && !remote_cpi;
  spdlog::warn("{}: BFD down ({}){}", settings_.name, diag,
               bfd_graceful_ ? "; graceful restart keeps its routes" : ": closing the session, Cease/10");
  if (!bfd_graceful_) speaker_.sink().next_hop_down(settings_.address, true);  // the FIB first, at once
  event(Event::BfdDown);
}

void Peer::clear() {
  max_prefix_down_ = false;
  restart_timer_.cancel();
  if (fsm_.state() == State::Idle) {
    start();
  } else {
    event(Event::AdminReset);
  }
}

bool Peer::finished() const {
  // A dynamic peer holding stale routes for graceful restart is kept until they are swept.
  return settings_.dynamic && fsm_.state() == State::Idle && !conn_ && !pending_ && !stale_;
}

void Peer::event(Event e, const EventData& data) {
  const auto now = Clock::now();
  run(fsm_.handle(e, now, data));
}

void Peer::arm_timer() {
  auto deadline = fsm_.next_deadline();
  timer_.cancel();
  if (!deadline) return;
  timer_.expires_at(*deadline);
  timer_.async_wait([this, alive = alive()](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    // Reading is parked (FIB backpressure): what the peer sent waits unread in the socket, so
    // the hold timer cannot tell whether it is alive; it starts again instead of expiring.
    if (reading_parked_) fsm_.restart_hold_timer(Clock::now());
    run(fsm_.expire(Clock::now()));
  });
}

void Peer::run(const Actions& actions) {
  for (const Action& a : actions) {
    switch (a.kind) {
      case Action::Connect: connect(); break;
      case Action::Close: close_connection(conn_); break;
      case Action::SendOpen:
        if (conn_) {
          send(encode_open(local_open()));
          conn_->open_sent = true;
        }
        break;
      case Action::SendKeepalive: send(encode_keepalive()); break;
      case Action::SendNotification:
        spdlog::warn("{}: sent NOTIFICATION {}", settings_.name, describe(a.notification));
        ++counters_.notifications_out;
        if (conn_) {
          send_notification(conn_, encode_notification(a.notification));
          ++counters_.messages_out;
        }
        break;
      case Action::Established: on_established(); break;
      case Action::Down: on_down(); break;
      case Action::StateChanged:
        spdlog::info("{}: {} -> {}", settings_.name, to_string(a.from), to_string(a.to));
        state_since_ = std::chrono::system_clock::now();
        speaker_.peer_state_changed(*this, a.from);
        break;
    }
  }
  arm_timer();
  if (finished()) speaker_.peer_finished(this);
}

void Peer::set_socket_options(tcp::socket& socket) {
  const int fd = socket.native_handle();
  const bool v6 = !settings_.address.is_v4();
  // RFC 5082 GTSM: send with TTL 255 and accept only 255 - hops + 1 and up.
  if (settings_.ttl_security_hops) {
    int ttl = 255;
    int min_ttl = 256 - *settings_.ttl_security_hops;
    if (v6) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
      setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min_ttl, sizeof(min_ttl));
    } else {
      setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
      setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min_ttl, sizeof(min_ttl));
    }
    return;
  }
  // eBGP single hop sends with TTL 1 unless ebgp-multihop says otherwise.
  const bool ebgp =
      settings_.remote_as.kind != config::RemoteAsKind::Internal &&
      !(settings_.remote_as.kind == config::RemoteAsKind::Number && settings_.remote_as.asn == settings_.local_as);
  if (ebgp) {
    int ttl = settings_.ebgp_multihop.value_or(1);
    setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_UNICAST_HOPS : IP_TTL, &ttl, sizeof(ttl));
  }
  int nodelay = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof(nodelay));
}

void Peer::connect() {
  close_connection(conn_);
  if (bfd_blocks()) {
    spdlog::debug("{}: bfd strict: not connecting until BFD is Up", settings_.name);
    return;
  }
  auto conn = std::make_shared<Connection>(speaker_.io());
  conn->outgoing = true;
  conn->owner = this;
  const tcp::endpoint remote(to_asio(settings_.address), 179);
  boost::system::error_code ec;
  conn->socket.open(remote.protocol(), ec);
  if (ec) {
    spdlog::warn("{}: socket: {}", settings_.name, ec.message());
    return;
  }
  if (settings_.update_source) {
    if (auto src = IpAddress::parse(*settings_.update_source)) {
      conn->socket.bind(tcp::endpoint(to_asio(*src), 0), ec);
    } else {
      setsockopt(conn->socket.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, settings_.update_source->c_str(),
                 static_cast<socklen_t>(settings_.update_source->size()));
    }
  }
  if (settings_.tcp_ao) {
    // RFC 5925: the key is on the socket before the SYN; without it, no connection at all.
    const Prefix host(settings_.address, max_prefix_length(settings_.address.family()));
    if (int error =
            tcp_ao::install(conn->socket.native_handle(), host, *settings_.tcp_ao, !settings_.address.is_v4())) {
      spdlog::error("{}: TCP-AO: {}: not connecting", settings_.name, tcp_ao::describe_error(error));
      return;
    }
  } else if (settings_.password) {
    // RFC 2385: the key must be on the socket before the SYN.
    tcp_md5sig sig{};
    const auto addr = to_asio(settings_.address);
    if (addr.is_v4()) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&sig.tcpm_addr);
      sin->sin_family = AF_INET;
      sin->sin_addr.s_addr = htonl(addr.to_v4().to_uint());
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&sig.tcpm_addr);
      sin6->sin6_family = AF_INET6;
      auto b = addr.to_v6().to_bytes();
      std::memcpy(&sin6->sin6_addr, b.data(), 16);
    }
    sig.tcpm_keylen = static_cast<uint16_t>(settings_.password->size());
    std::memcpy(sig.tcpm_key, settings_.password->data(), settings_.password->size());
    setsockopt(conn->socket.native_handle(), IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig));
  }
  set_socket_options(conn->socket);
  conn_ = conn;
  conn->socket.async_connect(remote, [conn](const boost::system::error_code& error) {
    Peer* self = conn->owner;
    if (!self || self->conn_ != conn) return;
    if (error) {
      spdlog::debug("{}: connect: {}", self->settings_.name, error.message());
      self->conn_.reset();
      self->event(Event::TcpConnectionFails);
      return;
    }
    self->attach(conn);
    self->event(Event::TcpConnectionConfirmed);
  });
}

bool Peer::accept(tcp::socket socket) {
  if (bfd_blocks()) {
    spdlog::info("{}: bfd strict: connection refused until BFD is Up", settings_.name);
    return false;
  }
  auto conn = std::make_shared<Connection>(speaker_.io());
  conn->socket = std::move(socket);
  conn->owner = this;
  set_socket_options(conn->socket);
  switch (fsm_.state()) {
    case State::Idle:
      if (settings_.shutdown || max_prefix_down_) return false;
      // A passive or restarting peer: adopt the connection.
      start();
      if (fsm_.state() == State::Idle) return false;
      [[fallthrough]];
    case State::Connect:
    case State::Active:
      close_connection(conn_);
      conn_ = conn;
      attach(conn);
      event(Event::TcpConnectionConfirmed);
      return true;
    case State::OpenSent:
      // RFC 4271 §6.8: keep it aside, send our OPEN, and decide when its OPEN arrives.
      if (pending_) return false;
      pending_ = conn;
      attach(conn);
      send(encode_open(local_open()), conn);
      conn->open_sent = true;
      return true;
    case State::OpenConfirm: {
      const uint32_t remote_id = remote_open_ ? remote_open_->bgp_identifier : 0;
      if (conn_ && conn_->outgoing &&
          resolve_collision(speaker_.router_id(), remote_id) == CollisionWinner::RemotelyInitiated) {
        spdlog::info("{}: connection collision: keeping the peer's connection", settings_.name);
        event(Event::OpenCollisionDump);
        fsm_ = Fsm(settings_.fsm);
        event(Event::ManualStartPassive);
        conn_ = conn;
        attach(conn);
        event(Event::TcpConnectionConfirmed);
        return true;
      }
      return false;
    }
    case State::Established: return false;
  }
  return false;
}

void Peer::attach(std::shared_ptr<Connection> conn) {
  if (conn == conn_) remember_local_address();
  conn->buffer.resize(kReadChunk);
  conn->used = 0;
  read(std::move(conn));
}

void Peer::remember_local_address() {
  boost::system::error_code ec;
  const auto local = conn_->socket.local_endpoint(ec);
  if (!ec) local_address_ = to_ip(local.address());
}

void Peer::send_notification(const std::shared_ptr<Connection>& conn, Bytes message) {
  if (!conn->writing && conn->queue.empty()) {
    // The usual case: the socket has room; whatever does not fit now is lost with the close.
    (void)::send(conn->socket.native_handle(), message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    return;
  }
  // Behind the write in flight (never in the middle of it), instead of everything else queued.
  while (conn->queue.size() > 1) {
    conn->queued_bytes -= conn->queue.back()->size();
    conn->queue.pop_back();
  }
  conn->queued_bytes += message.size();
  conn->queue.push_back(std::make_shared<const Bytes>(std::move(message)));
  conn->closing = true;
}

void Peer::close_connection(std::shared_ptr<Connection>& conn) {
  if (!conn) return;
  if (conn->closing && conn->writing) {
    // Let the NOTIFICATION out: the write chain closes the socket when the queue is empty.
    conn->owner = nullptr;
    conn->linger = std::make_unique<asio::steady_timer>(speaker_.io(), std::chrono::seconds(2));
    conn->linger->async_wait([c = conn](const boost::system::error_code&) {
      boost::system::error_code ignored;
      c->socket.close(ignored);
    });
    conn.reset();
    return;
  }
  boost::system::error_code ec;
  conn->socket.shutdown(tcp::socket::shutdown_both, ec);
  conn->socket.close(ec);
  conn->owner = nullptr;
  conn.reset();
}

void Peer::read(std::shared_ptr<Connection> conn) {
  if (conn->buffer.size() - conn->used < kReadChunk / 4) conn->buffer.resize(conn->buffer.size() * 2);
  auto buf = asio::buffer(conn->buffer.data() + conn->used, conn->buffer.size() - conn->used);
  conn->socket.async_read_some(buf, [conn](const boost::system::error_code& ec, size_t n) {
    Peer* self = conn->owner;
    if (!self) return;
    if (ec) {
      if (conn == self->pending_) {
        self->close_connection(self->pending_);
      } else if (conn == self->conn_) {
        spdlog::info("{}: connection closed: {}", self->settings_.name,
                     ec == asio::error::eof ? "by peer" : ec.message());
        self->conn_.reset();
        self->event(Event::TcpConnectionFails);
      }
      return;
    }
    conn->used += n;
    self->on_data(conn);
  });
}

void Peer::on_data(const std::shared_ptr<Connection>& conn) {
  size_t offset = 0;
  while (conn->owner == this) {
    auto frame = next_frame(ByteSpan(conn->buffer.data() + offset, conn->used - offset), dctx_);
    if (!frame) {
      ++counters_.messages_in;
      if (conn == conn_)
        event(Event::BgpHeaderErr, {.error = &frame.error()});
      else
        close_connection(pending_);
      return;
    }
    if (!frame->has_value()) break;
    const Frame f = **frame;
    offset += f.size;
    ++counters_.messages_in;
    if (!on_message(conn, f)) return;  // the connection is gone
  }
  if (conn->owner != this) return;
  std::memmove(conn->buffer.data(), conn->buffer.data() + offset, conn->used - offset);
  conn->used -= offset;
  speaker_.routes_changed();
  if (speaker_.fib_backlogged()) {
    reading_parked_ = true;
    speaker_.park_reading(conn);
    return;
  }
  read(conn);
}

void Peer::resume_reading(const std::shared_ptr<Connection>& conn) {
  reading_parked_ = false;
  if (conn->owner == this) on_data(conn);  // what was read before parking, then the socket again
}

bool Peer::on_message(const std::shared_ptr<Connection>& conn, const Frame& f) {
  if (conn == pending_) {
    auto open = f.type == MessageType::Open ? decode_open(f.body) : Result<Open, WireError>(unexpected(WireError{}));
    if (!open) {
      close_connection(pending_);
      return false;
    }
    on_pending_open(*open);
    return conn->owner == this && conn == conn_;
  }
  switch (f.type) {
    case MessageType::Open: {
      auto open = decode_open(f.body);
      if (!open) {
        event(Event::BgpOpenMsgErr, {.error = &open.error()});
        break;
      }
      on_open(*open);
      break;
    }
    case MessageType::Update: {
      ++counters_.updates_in;
      if (fsm_.state() != State::Established) {
        event(Event::UpdateMsg);
        break;
      }
      auto update = decode_update(f.body, dctx_);
      if (!update) {
        spdlog::warn("{}: malformed UPDATE: {}", settings_.name, update.error().reason);
        event(Event::UpdateMsgErr, {.error = &update.error()});
        break;
      }
      event(Event::UpdateMsg);
      on_update(*update);
      break;
    }
    case MessageType::Notification: {
      ++counters_.notifications_in;
      auto n = decode_notification(f.body);
      Notification received = n ? *n : Notification{};
      spdlog::warn("{}: received NOTIFICATION {}", settings_.name, describe(received));
      event(Event::NotifMsg, {.notification = &received});
      break;
    }
    case MessageType::Keepalive: event(Event::KeepAliveMsg); break;
    case MessageType::RouteRefresh: {
      auto rr = decode_route_refresh(f.body);
      if (!rr) {
        event(Event::UpdateMsgErr, {.error = &rr.error()});
        break;
      }
      event(Event::RouteRefreshMsg);
      // RFC 2918 §4: resend the Adj-RIB-Out of that family. BoRR/EoRR (RFC 7313) need nothing here.
      if (rr->subtype == RefreshSubtype::Normal && established()) {
        if (auto afi = config_afi(rr->af)) {
          adj_out_[*afi].clear();
          std::vector<Prefix> all;
          speaker_.loc_rib().for_each([&](const Prefix& p, const rib::RibEntry&) {
            if (afi_of(p) == *afi) all.push_back(p);
          });
          advertise(all);
        }
      }
      break;
    }
  }
  return conn->owner == this && conn == conn_;
}

void Peer::on_pending_open(const Open& open) {
  // The existing connection's FSM is in OpenSent or OpenConfirm: pick one (RFC 4271 §6.8).
  const bool keep_new =
      resolve_collision(speaker_.router_id(), open.bgp_identifier) == CollisionWinner::RemotelyInitiated;
  if (!keep_new) {
    spdlog::info("{}: connection collision: keeping our connection", settings_.name);
    const Bytes cease = encode_notification({error_code::kCease, cease_subcode::kConnectionCollisionResolution, {}});
    boost::system::error_code ec;
    asio::write(pending_->socket, asio::buffer(cease), ec);
    close_connection(pending_);
    return;
  }
  spdlog::info("{}: connection collision: keeping the peer's connection", settings_.name);
  event(Event::OpenCollisionDump);  // Cease/7 on the old one, FSM to Idle
  fsm_ = Fsm(settings_.fsm);
  event(Event::ManualStartPassive);
  conn_ = pending_;
  pending_.reset();
  conn_->outgoing = false;
  remember_local_address();
  run(fsm_.handle(Event::TcpConnectionConfirmed, Clock::now()));  // would SendOpen: already sent
  on_open(open);
}

Open Peer::local_open() const {
  Open o;
  const uint32_t asn = settings_.local_as;
  o.my_as = asn > 0xffff ? kAsTrans : static_cast<uint16_t>(asn);
  o.hold_time = settings_.fsm.hold_time;
  o.bgp_identifier = speaker_.router_id();
  auto& c = o.capabilities;
  for (const auto& [afi, af] : settings_.af) {
    if (af.active) c.multiprotocol.push_back(wire_af(afi));
  }
  c.route_refresh = true;
  c.enhanced_route_refresh = true;
  c.four_octet_as = asn;
  // RFC 4724: always at least a helper (no address family listed, so a peer keeps none of our
  // routes when we go), which also has peers send End-of-RIB: FRR, for one, answers no
  // ROUTE-REFRESH before it has sent End-of-RIB. R bit clear, no forwarding state preserved.
  GracefulRestartCapability gr;
  if (settings_.graceful_restart) gr.restart_time = speaker_.config().bgp->graceful_restart_time;
  c.graceful_restart = gr;
  if (speaker_.config().hostname) c.fqdn = FqdnCapability{*speaker_.config().hostname, ""};
  c.extended_message = speaker_.config().bgp->limits.message_size > kMaxMessageSize;  // RFC 8654
  return o;
}

bool Peer::af_negotiated(config::Afi afi) const {
  return std::find(families_.begin(), families_.end(), afi) != families_.end();
}

void Peer::on_open(const Open& open) {
  const bool ibgp = open.peer_as() == settings_.local_as;
  OpenExpectations expect{settings_.expected_as(), speaker_.router_id(), ibgp};
  if (auto bad = check_open(open, expect)) {
    WireError e;
    e.code = bad->code, e.subcode = bad->subcode;
    event(Event::BgpOpenMsgErr, {.error = &e});
    return;
  }
  if (settings_.remote_as.kind == config::RemoteAsKind::External && ibgp) {
    WireError e;
    e.code = error_code::kOpenMessage, e.subcode = open_subcode::kBadPeerAs;
    event(Event::BgpOpenMsgErr, {.error = &e});
    return;
  }
  remote_open_ = open;
  const Open mine = local_open();
  const auto& theirs = open.capabilities;
  dctx_ = DecodeContext{};
  dctx_.four_octet_as = theirs.four_octet_as.has_value();
  dctx_.extended_message = mine.capabilities.extended_message && theirs.extended_message;
  dctx_.ebgp = !ibgp;
  apply_limits();
  ectx_ = EncodeContext{};
  ectx_.four_octet_as = dctx_.four_octet_as;
  ectx_.extended_message = dctx_.extended_message;
  families_.clear();
  end_of_rib_.clear();
  for (const auto& [afi, af] : settings_.af) {
    if (!af.active) continue;
    const AfiSafi w = wire_af(afi);
    // RFC 4760 §8: a peer without any multiprotocol capability speaks IPv4 unicast only.
    const bool peer_has =
        theirs.multiprotocol.empty()
            ? w == kIpv4Unicast
            : std::find(theirs.multiprotocol.begin(), theirs.multiprotocol.end(), w) != theirs.multiprotocol.end();
    if (peer_has) families_.push_back(afi);
  }
  // RFC 4724 §4.2: routes are kept only for the families the peer's capability lists with it
  // (a helper-only speaker, such as FRR by default, lists none). All or nothing for now.
  peer_restart_capable_ =
      theirs.graceful_restart && settings_.graceful_restart &&
      std::any_of(theirs.graceful_restart->families.begin(), theirs.graceful_restart->families.end(),
                  [&](const auto& f) {
                    auto afi = config_afi(f.af);
                    return afi && std::find(families_.begin(), families_.end(), *afi) != families_.end();
                  });
  peer_restart_time_ = theirs.graceful_restart ? theirs.graceful_restart->restart_time : 0;
  speaker_.rib().set_peer(id_, {settings_.address, open.bgp_identifier, !ibgp});
  (void)mine;
  event(Event::BgpOpen, {.open = &open});
}

// RFC 9687: a peer that takes none of our data for the send hold time (twice the negotiated hold
// time, as FRR; the RFC suggests at least 8 minutes) is dropped, and so is one whose queue passes
// 256 MiB: a stuck reader costs bounded memory.
void Peer::check_send_hold() {
  send_hold_timer_.expires_after(std::chrono::seconds(1));
  send_hold_timer_.async_wait([this, alive = alive()](const boost::system::error_code& ec) {
    if (ec || alive.expired() || !established() || !conn_) return;
    const auto hold = std::chrono::seconds(2 * fsm_.negotiated_hold_time());
    const bool stuck =
        conn_->writing && hold.count() > 0 && std::chrono::steady_clock::now() - conn_->last_progress > hold;
    const bool too_much = conn_->queued_bytes > (size_t{256} << 20);
    if (stuck || too_much) {
      spdlog::warn("{}: send hold timer expired ({} bytes queued, nothing taken for {} s): closing", settings_.name,
                   conn_->queued_bytes, hold.count());
      event(Event::SendHoldTimerExpires);
      return;
    }
    check_send_hold();
  });
}

void Peer::on_established() {
  ++counters_.established_count;
  check_send_hold();
  spdlog::info("{}: established, AS {}, router-id {}", settings_.name, remote_open_->peer_as(),
               IpAddress::v4(remote_open_->bgp_identifier).to_string());
  if (stale_ && !peer_restart_capable_) {
    speaker_.rib().sweep_stale(id_);  // it came back without graceful restart: nothing to wait for
    stale_ = false;
  }
  speaker_.peer_established(this);
}

void Peer::on_down() {
  const bool bfd_graceful = std::exchange(bfd_graceful_, false);
  const bool graceful = bfd_graceful || (peer_restart_capable_ && !fsm_.last_error_sent() && !fsm_.last_error());
  adj_out_.clear();
  if (graceful || (peer_restart_capable_ && fsm_.last_error() && !fsm_.last_error_sent() &&
                   fsm_.last_error()->code != error_code::kCease)) {
    // RFC 4724 §4.2: keep its routes, stale, for the restart time.
    stale_ = true;
    speaker_.rib().mark_stale(id_);
    restart_timer_.expires_after(std::chrono::seconds(peer_restart_time_ ? peer_restart_time_ : 120));
    restart_timer_.async_wait([this, alive = alive()](const boost::system::error_code& ec) {
      if (ec || alive.expired() || !stale_) return;
      spdlog::info("{}: graceful restart time is over; removing stale routes", settings_.name);
      speaker_.rib().sweep_stale(id_);
      for (auto& [afi, in] : adj_in_) in.clear();
      stale_ = false;
      speaker_.routes_changed();
      if (finished()) speaker_.peer_finished(this);
    });
    spdlog::info("{}: graceful restart: keeping its routes as stale", settings_.name);
  } else {
    purge_routes();
  }
  speaker_.routes_changed();
}

void Peer::purge_routes() {
  speaker_.rib().withdraw_peer(id_);
  adj_in_.clear();
  adj_out_.clear();
  stale_ = false;
  speaker_.routes_changed();
}

void Peer::on_update(const Update& u) {
  if (!u.errors.empty()) {
    for (const auto& e : u.errors) {
      spdlog::warn("{}: UPDATE {} ({}): {}", settings_.name, to_string(e.action), attribute_name(e.attribute),
                   e.reason);
    }
    if (u.treat_as_withdraw) ++counters_.treat_as_withdraw;
  }
  if (auto eor = u.end_of_rib()) {
    spdlog::info("{}: End-of-RIB for {}", settings_.name, to_string(*eor));
    if (stale_) {
      speaker_.rib().sweep_stale(id_);
      stale_ = false;
    }
    if (auto afi = config_afi(*eor)) {
      end_of_rib_.insert(*afi);
      if (std::all_of(families_.begin(), families_.end(), [&](config::Afi a) { return end_of_rib_.count(a) > 0; }))
        speaker_.peer_end_of_rib(this);
    }
    return;
  }
  for (const auto& n : u.withdrawn) unlearn(config::Afi::Ipv4Unicast, n);
  if (u.mp_unreach && u.mp_unreach->nlri_parsed) {
    if (auto afi = config_afi(u.mp_unreach->af)) {
      for (const auto& n : u.mp_unreach->withdrawn) unlearn(*afi, n);
    }
  }
  PathAttributes attrs = u.attributes;
  reconcile_as4(attrs, dctx_.four_octet_as);
  if (!u.nlri.empty()) {
    if (u.treat_as_withdraw || !attrs.next_hop) {
      for (const auto& n : u.nlri) unlearn(config::Afi::Ipv4Unicast, n);
    } else {
      Received received{attrs, *attrs.next_hop};
      for (const auto& n : u.nlri) learn(config::Afi::Ipv4Unicast, n, received);
    }
  }
  if (u.mp_reach && u.mp_reach->nlri_parsed) {
    if (u.mp_reach->link_local_next_hop) link_local_next_hop_ = u.mp_reach->link_local_next_hop;
    if (auto afi = config_afi(u.mp_reach->af)) {
      Received received{attrs, u.mp_reach->next_hop};
      for (const auto& n : u.mp_reach->nlri) {
        if (u.treat_as_withdraw) {
          unlearn(*afi, n);
        } else {
          learn(*afi, n, received);
        }
      }
    }
  }
}

void Peer::unlearn(config::Afi afi, const Nlri& n) {
  auto& in = adj_in_[afi];
  in.erase(n.prefix);
  speaker_.rib().withdraw(n.prefix, id_, n.path_id);
}

bool Peer::Received::acceptable(const Peer& peer) {
  if (acceptable_) return *acceptable_;
  // Loop detection (RFC 4271 §9.1.2): our own AS in a path from outside.
  const bool ebgp = peer.remote_open_->peer_as() != peer.settings_.local_as;
  bool ok = !(ebgp && attrs.as_path && attrs.as_path->contains(peer.settings_.local_as));
  // `bgp maxas-limit`: a path longer than the operator allows is not accepted (as FRR).
  if (const auto& limit = peer.speaker_.config().bgp->maxas_limit; ok && limit && attrs.as_path)
    ok = attrs.as_path->path_length() <= *limit;
  acceptable_ = ok;
  return ok;
}

const rib::AttrRef& Peer::Received::interned(Peer& peer) {
  if (!interned_) interned_ = peer.speaker_.attributes().intern(attrs);
  return interned_;
}

void Peer::learn(config::Afi afi, const Nlri& n, Received& received) {
  if (!af_negotiated(afi) || afi_of(n.prefix) != afi) return;
  const PeerAfSettings& af = settings_.af.at(afi);
  const bool ebgp = remote_open_->peer_as() != settings_.local_as;
  auto& in = adj_in_[afi];
  bool accept = received.acceptable(*this);
  // Without a route-map the attributes pass unchanged: every NLRI of the UPDATE shares one
  // interned copy, and only the prefix is filtered.
  std::optional<PathAttributes> changed;
  if (accept) {
    const policy::Filters& f = af.in;
    const bool requires_policy = speaker_.config().bgp->ebgp_requires_policy;
    if (f.route_map) {
      changed = received.attrs;
      accept = policy::apply_filters(speaker_.policy(), f, ebgp, requires_policy, n.prefix, *changed) ==
               policy::Verdict::Permit;
    } else {
      accept = policy::filter_prefix(speaker_.policy(), f, ebgp, requires_policy, n.prefix) == policy::Verdict::Permit;
    }
  }
  if (af.soft_reconfiguration_inbound) {
    in[n.prefix] = AdjInEntry{received.interned(*this), received.next_hop, accept};
  } else if (!in.empty()) {
    in.erase(n.prefix);  // left from before soft-reconfiguration was turned off
  }
  if (!accept) {
    speaker_.rib().withdraw(n.prefix, id_, n.path_id);
    return;
  }
  rib::Path path{id_, n.path_id, changed ? speaker_.attributes().intern(std::move(*changed)) : received.interned(*this),
                 received.next_hop};
  // A next hop that is the gateway's own address cannot forward (issue: martian next hops).
  if (received.next_hop == local_address_) path.eligible = false;
  speaker_.rib().update(n.prefix, std::move(path));
  check_maximum_prefix(afi);
}

bool Peer::check_maximum_prefix(config::Afi afi) {
  const auto& mp = settings_.af.at(afi).maximum_prefix;
  if (!mp) return true;
  const size_t accepted = this->accepted(afi);
  if (accepted <= mp->limit) return true;
  if (mp->warning_only) {
    if (!max_prefix_warned_[afi])
      spdlog::warn("{}: {} prefixes exceed maximum-prefix {}", settings_.name, accepted, mp->limit);
    max_prefix_warned_[afi] = true;
    return true;
  }
  // RFC 4486 §4: Cease/1 with AFI (2), SAFI (1) and the limit (4).
  const AfiSafi w = wire_af(afi);
  Notification cease{error_code::kCease, cease_subcode::kMaxPrefixesReached, {}};
  ByteWriter bw(cease.data);
  bw.u16(static_cast<uint16_t>(w.afi));
  bw.u8(static_cast<uint8_t>(w.safi));
  bw.u32(mp->limit);
  spdlog::warn("{}: {} prefixes exceed maximum-prefix {}: session closed", settings_.name, accepted, mp->limit);
  max_prefix_down_ = true;
  event(Event::MaxPrefixExceeded, {.cease = cease});
  purge_routes();
  if (mp->restart_minutes) {
    restart_timer_.expires_after(std::chrono::minutes(*mp->restart_minutes));
    restart_timer_.async_wait([this, alive = alive()](const boost::system::error_code& ec) {
      if (ec || alive.expired()) return;
      max_prefix_down_ = false;
      start();
    });
  }
  return false;
}

std::optional<PathAttributes> Peer::export_attributes(const Prefix& prefix, const rib::Path& best) const {
  const bool to_ebgp = remote_open_->peer_as() != settings_.local_as;
  const rib::PeerInfo* src = speaker_.loc_rib().peer(best.peer);
  const bool from_ibgp = best.peer != rib::kLocalPeer && src && !src->ebgp;
  const PeerAfSettings& af = settings_.af.at(afi_of(prefix));
  PathAttributes a = *best.attrs;
  // RFC 1997: well-known communities that stop advertisement.
  auto has = [&](uint32_t c) {
    return std::find(a.communities.begin(), a.communities.end(), c) != a.communities.end();
  };
  if (has(0xFFFFFF02)) return std::nullopt;                                  // NO_ADVERTISE
  if (to_ebgp && (has(0xFFFFFF01) || has(0xFFFFFF03))) return std::nullopt;  // NO_EXPORT, NO_EXPORT_SUBCONFED
  if (!to_ebgp && from_ibgp) {
    // RFC 4456: iBGP to iBGP only through a route reflector.
    const Peer* origin = speaker_.peer_by_id(best.peer);
    const bool from_client = origin && origin->settings().af_settings(afi_of(prefix)) &&
                             origin->settings().af_settings(afi_of(prefix))->route_reflector_client;
    if (!from_client && !af.route_reflector_client) return std::nullopt;
    if (!a.originator_id) a.originator_id = src ? src->router_id : 0;
    a.cluster_list.insert(a.cluster_list.begin(), speaker_.router_id());
  }
  const IpAddress& local = local_address_;
  if (to_ebgp) {
    if (!a.as_path) a.as_path = AsPath{};
    auto& segs = a.as_path->segments;
    if (segs.empty() || segs.front().type != SegmentType::Sequence || segs.front().asns.size() >= 255) {
      segs.insert(segs.begin(), AsPathSegment{SegmentType::Sequence, {}});
    }
    segs.front().asns.insert(segs.front().asns.begin(), settings_.local_as);
    a.local_pref.reset();
    if (best.peer != rib::kLocalPeer) a.med.reset();  // RFC 4271 §5.1.4: MEDs stay in their AS
    a.cluster_list.clear();
    a.originator_id.reset();
  } else if (!a.local_pref) {
    a.local_pref = 100;
  }
  if (!a.origin) a.origin = Origin::Igp;
  if (!a.as_path) a.as_path = AsPath{};
  // Next hop: ours toward eBGP, with next-hop-self, and for routes we originate.
  const bool self = to_ebgp || af.next_hop_self || best.peer == rib::kLocalPeer;
  const IpAddress nh = self ? local : best.next_hop.address();
  if (prefix.family() == Family::V4) {
    if (!nh.is_v4()) return std::nullopt;  // no IPv4 next hop on this session
    a.next_hop = nh;
  } else {
    a.next_hop.reset();
    if (nh.is_v4()) return std::nullopt;
  }
  policy::Filters out = af.out;
  if (policy::apply_filters(speaker_.policy(), out, to_ebgp, speaker_.config().bgp->ebgp_requires_policy, prefix, a) !=
      policy::Verdict::Permit) {
    return std::nullopt;
  }
  // The next hop for IPv6 rides in MP_REACH; keep it in next_hop for the encoder's caller.
  if (prefix.family() == Family::V6) a.next_hop = nh;
  return a;
}

void Peer::advertise(const std::vector<Prefix>& prefixes) {
  if (!established()) return;
  std::map<config::Afi, std::vector<std::pair<Prefix, rib::AttrRef>>> announce;
  std::map<config::Afi, std::vector<Prefix>> withdraw;
  // RFC 8212: toward eBGP with no outbound policy nothing is exported; with nothing exported
  // before either, there is no work per prefix.
  const bool to_ebgp = remote_open_->peer_as() != settings_.local_as;
  const bool requires_policy = speaker_.config().bgp->ebgp_requires_policy;
  auto idle = [&](config::Afi afi) {
    const PeerAfSettings* af = settings_.af_settings(afi);
    return !af_negotiated(afi) ||
           (af && policy::denies_everything(af->out, to_ebgp, requires_policy) && adj_out_[afi].empty());
  };
  const bool idle_v4 = idle(config::Afi::Ipv4Unicast), idle_v6 = idle(config::Afi::Ipv6Unicast);
  if (idle_v4 && idle_v6) return;
  for (const Prefix& p : prefixes) {
    const config::Afi afi = afi_of(p);
    if (afi == config::Afi::Ipv4Unicast ? idle_v4 : idle_v6) continue;
    auto& out = adj_out_[afi];
    const rib::RibEntry* e = speaker_.loc_rib().find(p);
    const rib::Path* best = e ? e->best() : nullptr;
    std::optional<PathAttributes> attrs;
    if (best && best->peer != id_) attrs = export_attributes(p, *best);
    if (attrs) {
      rib::AttrRef ref = speaker_.attributes().intern(std::move(*attrs));
      auto it = out.find(p);
      if (it != out.end() && it->second == ref) continue;
      out[p] = ref;
      announce[afi].push_back({p, ref});
    } else if (out.erase(p)) {
      withdraw[afi].push_back(p);
    }
  }
  for (config::Afi afi : {config::Afi::Ipv4Unicast, config::Afi::Ipv6Unicast}) {
    if (announce.count(afi) || withdraw.count(afi)) flush_advertisements(afi, announce[afi], withdraw[afi]);
  }
}

void Peer::flush_advertisements(config::Afi afi, std::vector<std::pair<Prefix, rib::AttrRef>>& announce,
                                std::vector<Prefix>& withdraw) {
  const AfiSafi w = wire_af(afi);
  if (!withdraw.empty()) {
    for (const auto& m : speaker_.encoded_update(w, ectx_, rib::AttrRef{}, withdraw)) send(m, conn_);
  }
  // Group by attribute set so one UPDATE carries every prefix that shares it; peers that export
  // the same thing share the encoding (update groups).
  std::map<const PathAttributes*, std::pair<rib::AttrRef, std::vector<Prefix>>> groups;
  for (const auto& [p, ref] : announce) {
    auto& g = groups[ref.get()];
    g.first = ref;
    g.second.push_back(p);
  }
  for (auto& [key, group] : groups) {
    const auto& messages = speaker_.encoded_update(w, ectx_, group.first, group.second);
    if (messages.empty())
      spdlog::warn("{}: attributes too large to advertise {} prefixes", settings_.name, group.second.size());
    for (const auto& m : messages) {
      ++counters_.updates_out;
      send(m, conn_);
    }
  }
}

bool Peer::soft_in() {
  if (!established()) return true;
  bool all = true;
  for (config::Afi afi : families_) {
    const PeerAfSettings* af = settings_.af_settings(afi);
    if (af && af->soft_reconfiguration_inbound) {
      // The copy holds what the peer sent, before policy: run it through the policy again.
      std::vector<std::pair<Prefix, AdjInEntry>> sent(adj_in_[afi].begin(), adj_in_[afi].end());
      for (const auto& [prefix, entry] : sent) {
        Received received{*entry.attrs, entry.next_hop};
        learn(afi, Nlri{prefix, 0}, received);
      }
    } else if (remote_open_ && remote_open_->capabilities.route_refresh) {
      spdlog::debug("{}: ROUTE-REFRESH for {}", settings_.name, to_string(wire_af(afi)));
      send(encode_route_refresh(RouteRefresh{wire_af(afi)}));
    } else {
      spdlog::warn("{}: soft in for {} needs soft-reconfiguration inbound or the peer's route-refresh", settings_.name,
                   to_string(wire_af(afi)));
      all = false;
    }
  }
  speaker_.routes_changed();
  return all;
}

void Peer::soft_out() {
  std::vector<Prefix> all;
  speaker_.loc_rib().for_each([&](const Prefix& p, const rib::RibEntry&) { all.push_back(p); });
  advertise(all);
}

void Peer::apply_limits() {
  const config::BgpLimits& limits = speaker_.config().bgp->limits;
  dctx_.message_size_limit = limits.message_size;
  dctx_.max_attributes = limits.attributes;
  dctx_.max_communities = limits.communities;
}

SettingsChange Peer::reconfigure(PeerSettings settings, bool policy_changed) {
  apply_limits();  // `bgp limit` applies from the next message (message-size: the OPEN's part, next session)
  SettingsChange change = compare_settings(settings_, settings);
  if (change == SettingsChange::None && policy_changed) change = SettingsChange::Policy;
  const bool was_shutdown = settings_.shutdown;
  settings_ = std::move(settings);
  fsm_.set_config(settings_.fsm);
  if (change == SettingsChange::Session) {
    spdlog::info("{}: configuration changed: resetting the session", settings_.name);
    if (settings_.shutdown) {
      stop();
    } else if (fsm_.state() == State::Idle || was_shutdown) {
      start();
    } else {
      event(Event::ConfigChanged);
    }
  } else if (change == SettingsChange::Policy && established()) {
    spdlog::info("{}: policy changed: soft refresh in and out", settings_.name);
    soft_in();
    soft_out();
  }
  return change;
}

void Peer::send_table() {
  soft_out();  // the whole Loc-RIB, evaluated for this peer
  for (config::Afi afi : families_) send(encode_end_of_rib(wire_af(afi)));  // RFC 4724 §2
}

void Peer::send(std::shared_ptr<const Bytes> message, const std::shared_ptr<Connection>& conn) {
  if (!conn) return;
  ++counters_.messages_out;
  conn->queued_bytes += message->size();
  conn->queue.push_back(std::move(message));
  if (conn == conn_) fsm_.message_sent(Clock::now());
  if (conn->writing) return;
  // Writes drain the queue in order, one async_write at a time.
  struct Writer {
    static void next(std::shared_ptr<Connection> c) {
      if (c->queue.empty() && c->closing) {
        boost::system::error_code ignored;
        c->socket.shutdown(tcp::socket::shutdown_both, ignored);
        c->socket.close(ignored);
        if (c->linger) c->linger->cancel();
      }
      if (c->queue.empty() || (!c->owner && !c->closing)) {
        c->writing = false;
        return;
      }
      if (!c->writing) c->last_progress = std::chrono::steady_clock::now();
      c->writing = true;
      asio::async_write(c->socket, asio::buffer(*c->queue.front()), [c](const boost::system::error_code& ec, size_t) {
        if (ec) {
          c->writing = false;
          return;  // the read side sees the failure and tells the FSM
        }
        c->last_progress = std::chrono::steady_clock::now();
        c->queued_bytes -= c->queue.front()->size();
        c->queue.pop_front();
        next(c);
      });
    }
  };
  Writer::next(conn);
}

PeerView Peer::view() const {
  PeerView v;
  v.name = settings_.name;
  v.address = settings_.address;
  v.peer_group = settings_.peer_group;
  v.dynamic = settings_.dynamic;
  v.local_as = settings_.local_as;
  v.remote_as = remote_open_ ? remote_open_->peer_as() : settings_.expected_as().value_or(0);
  v.state = fsm_.state();
  if (remote_open_) v.remote_router_id = remote_open_->bgp_identifier;
  v.hold_time = fsm_.negotiated_hold_time();
  v.keepalive = fsm_.negotiated_keepalive();
  v.state_since = state_since_;
  v.counters = counters_;
  for (config::Afi afi : families_) {
    const PeerAfSettings* af = settings_.af_settings(afi);
    auto in = adj_in_.find(afi);
    v.prefixes_accepted[afi] = accepted(afi);
    v.prefixes_received[afi] =
        af && af->soft_reconfiguration_inbound && in != adj_in_.end() ? in->second.size() : accepted(afi);
  }
  for (const auto& [afi, out] : adj_out_) v.prefixes_advertised[afi] = out.size();
  v.last_error = fsm_.last_error();
  v.last_error_sent = fsm_.last_error_sent();
  if (remote_open_) {
    const auto& c = remote_open_->capabilities;
    for (config::Afi afi : families_) v.capabilities.push_back(to_string(wire_af(afi)));
    if (c.route_refresh) v.capabilities.push_back("route-refresh");
    if (c.enhanced_route_refresh) v.capabilities.push_back("enhanced-route-refresh");
    if (c.four_octet_as) v.capabilities.push_back("4-octet-as");
    if (peer_restart_capable_) v.capabilities.push_back("graceful-restart");
  }
  const bool ebgp = v.remote_as != settings_.local_as;
  if (ebgp && speaker_.config().bgp->ebgp_requires_policy) {
    for (const auto& [afi, af] : settings_.af) {
      if (af.active && !af.in.prefix_list && !af.in.route_map) v.ebgp_policy_missing = true;
    }
  }
  v.description = settings_.description.value_or("");
  return v;
}

std::vector<Speaker::ReceivedRoute> Peer::received_routes() const {
  std::vector<Speaker::ReceivedRoute> out;
  for (config::Afi afi : families_) {
    const PeerAfSettings* af = settings_.af_settings(afi);
    if (af && af->soft_reconfiguration_inbound) {
      if (auto in = adj_in_.find(afi); in != adj_in_.end()) {
        for (const auto& [p, e] : in->second) out.push_back({p, e.attrs, e.next_hop, e.accepted});
      }
      continue;
    }
    // Without the pre-policy copy: what was accepted, as the Loc-RIB holds it.
    speaker_.loc_rib().for_each([&](const Prefix& p, const rib::RibEntry& e) {
      if (afi_of(p) != afi) return;
      for (const rib::Path& path : e.paths) {
        if (path.peer == id_) out.push_back({p, path.attrs, path.next_hop, true});
      }
    });
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.prefix < b.prefix; });
  return out;
}

std::vector<std::pair<Prefix, rib::AttrRef>> Peer::advertised_routes() const {
  std::vector<std::pair<Prefix, rib::AttrRef>> out;
  for (const auto& [afi, o] : adj_out_) out.insert(out.end(), o.begin(), o.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace ridgeline::bgp
