#include "bfdd/server/bfd_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ridgeline::bfd {

namespace asio = boost::asio;

namespace {

constexpr uint16_t kSingleHopPort = 3784;  // RFC 5881 §4
constexpr uint16_t kMultihopPort = 4784;   // RFC 5883 §5
constexpr uint16_t kFirstSourcePort = 49152;

sockaddr_storage to_sockaddr(const IpAddress& a, uint16_t port, socklen_t& len) {
  sockaddr_storage ss{};
  if (a.is_v4()) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    std::memcpy(&s->sin_addr, a.bytes().data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    std::memcpy(&s->sin6_addr, a.bytes().data(), 16);
    len = sizeof(sockaddr_in6);
  }
  return ss;
}

std::optional<IpAddress> from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
    return IpAddress::from_bytes(Family::V4, {reinterpret_cast<const uint8_t*>(&s->sin_addr), 4});
  }
  if (ss.ss_family == AF_INET6) {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
    return IpAddress::from_bytes(Family::V6, {reinterpret_cast<const uint8_t*>(&s->sin6_addr), 16});
  }
  return std::nullopt;
}

}  // namespace

std::string SessionKey::to_string() const {
  std::string s = peer.to_string();
  if (multihop) s += " multihop";
  if (local) s += " local-address " + local->to_string();
  if (!interface.empty()) s += " interface " + interface;
  return s;
}

struct BfdServer::Entry {
  Entry(asio::io_context& io, SessionKey k) : key(std::move(k)), tx(io), timer(io) {}
  SessionKey key;
  std::unique_ptr<Session> session;
  std::set<std::string> owners;
  asio::ip::udp::socket tx;
  asio::steady_timer timer;
  std::string profile;
  uint8_t minimum_ttl = 254;
  Clock::time_point since = Clock::now();
  bool remote_cpi = false;
};

struct BfdServer::Receiver {
  explicit Receiver(asio::io_context& io) : socket(io) {}
  asio::ip::udp::socket socket;
  bool v6 = false, multihop = false;
};

BfdServer::BfdServer(asio::io_context& io, config::Config config)
    : io_(io), config_(std::move(config)), random_(std::random_device{}()) {}

BfdServer::~BfdServer() = default;

SessionConfig BfdServer::resolve(const std::string& profile, const config::BfdTimers* own, uint8_t& minimum_ttl) const {
  SessionConfig c;  // 300 ms x 3, as FRR
  minimum_ttl = 254;
  auto apply = [&](const config::BfdTimers& t) {
    if (t.receive_interval_ms) c.required_min_rx_us = *t.receive_interval_ms * 1000;
    if (t.transmit_interval_ms) c.desired_min_tx_us = *t.transmit_interval_ms * 1000;
    if (t.detect_multiplier) c.detect_mult = *t.detect_multiplier;
    if (t.passive_mode) c.passive = *t.passive_mode;
    if (t.shutdown) c.admin_down = *t.shutdown;
    if (t.minimum_ttl) minimum_ttl = *t.minimum_ttl;
  };
  if (!profile.empty() && config_.bfd) {
    for (const auto& p : config_.bfd->profiles) {
      if (p.name == profile) apply(p.timers);
    }
  }
  if (own) apply(*own);
  return c;
}

bool BfdServer::open_receiver(bool v6, bool multihop, std::string& error) {
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (v6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
  } else {
    setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
  }
  socklen_t len = 0;
  const auto any =
      to_sockaddr(v6 ? *IpAddress::parse("::") : IpAddress{}, multihop ? kMultihopPort : kSingleHopPort, len);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&any), len) < 0) {
    error = fmt::format("bind UDP {} ({}): {}", multihop ? kMultihopPort : kSingleHopPort, v6 ? "IPv6" : "IPv4",
                        std::strerror(errno));
    ::close(fd);
    return false;
  }
  auto r = std::make_unique<Receiver>(io_);
  r->socket.assign(v6 ? asio::ip::udp::v6() : asio::ip::udp::v4(), fd);
  r->v6 = v6;
  r->multihop = multihop;
  read(*r);
  receivers_.push_back(std::move(r));
  return true;
}

void BfdServer::read(Receiver& r) {
  r.socket.async_wait(asio::socket_base::wait_read, [this, &r](const boost::system::error_code& ec) {
    if (ec) return;
    for (;;) {
      uint8_t buf[512];
      alignas(cmsghdr) uint8_t control[256];
      sockaddr_storage from{};
      iovec iov{buf, sizeof(buf)};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof(from);
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      const ssize_t n = ::recvmsg(r.socket.native_handle(), &msg, 0);
      if (n < 0) break;  // EAGAIN: all read
      int ttl = -1;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
            (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
          std::memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
        }
      }
      if (auto addr = from_sockaddr(from)) on_packet(buf, static_cast<size_t>(n), *addr, ttl, r.multihop);
    }
    read(r);
  });
}

void BfdServer::on_packet(const uint8_t* data, size_t size, const IpAddress& from, int ttl, bool multihop) {
  auto discard = [&](Discard why) {
    ++discarded_[static_cast<size_t>(why)];
    spdlog::debug("bfd: from {}: discarded: {}", from.to_string(), to_string(why));
  };
  Discard why{};
  auto p = decode({data, size}, why);
  if (!p) return discard(why);
  // §6.8.6: find the session by Your Discriminator, or by the addresses while it is 0.
  Entry* e = nullptr;
  if (p->your_discriminator != 0) {
    auto it = by_discriminator_.find(p->your_discriminator);
    if (it == by_discriminator_.end()) return discard(Discard::UnknownYourDiscriminator);
    e = it->second;
  } else {
    for (auto& [key, entry] : sessions_) {
      if (key.peer == from && key.multihop == multihop) {
        e = entry.get();
        break;
      }
    }
    if (!e) return discard(Discard::NoSession);
  }
  if (e->key.peer != from || e->key.multihop != multihop) return discard(Discard::NoSession);
  // GTSM: RFC 5881 §5 (single-hop: exactly 255), RFC 5883 §5 (multihop: at least minimum-ttl).
  if (multihop ? ttl < e->minimum_ttl : ttl != 255) return discard(Discard::BadTtl);
  Actions actions;
  if (auto rejected = e->session->receive(*p, Clock::now(), actions)) return discard(*rejected);
  e->remote_cpi = p->cpi;
  run(*e, actions);
}

bool BfdServer::open_sender(Entry& e, std::string& error) {
  const bool v6 = !e.key.peer.is_v4();
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  const int ttl = 255;  // RFC 5881 §5 / RFC 5883 §5
  setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_UNICAST_HOPS : IP_TTL, &ttl, sizeof(ttl));
  if (!e.key.interface.empty() && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, e.key.interface.c_str(),
                                             static_cast<socklen_t>(e.key.interface.size())) < 0) {
    error = "cannot bind to interface " + e.key.interface + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  // RFC 5881 §4: a source port in 49152-65535, the same for the whole session.
  std::uniform_int_distribution<int> start(0, 65535 - kFirstSourcePort);
  const int first = start(random_);
  const IpAddress local = e.key.local.value_or(v6 ? *IpAddress::parse("::") : IpAddress{});
  for (int i = 0; i <= 65535 - kFirstSourcePort; ++i) {
    const auto port = static_cast<uint16_t>(kFirstSourcePort + (first + i) % (65536 - kFirstSourcePort));
    socklen_t len = 0;
    const auto addr = to_sockaddr(local, port, len);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) == 0) {
      e.tx.assign(v6 ? asio::ip::udp::v6() : asio::ip::udp::v4(), fd);
      return true;
    }
    if (errno != EADDRINUSE) break;
  }
  error = "no source port free in 49152-65535 for " + local.to_string() + ": " + std::strerror(errno);
  ::close(fd);
  return false;
}

uint32_t BfdServer::new_discriminator() {
  std::uniform_int_distribution<uint32_t> d(1, 0xffffffffu);
  for (;;) {
    const uint32_t v = d(random_);
    if (!by_discriminator_.count(v)) return v;
  }
}

void BfdServer::run(Entry& e, Actions& actions) {
  socklen_t len = 0;
  const auto to = to_sockaddr(e.key.peer, e.key.multihop ? kMultihopPort : kSingleHopPort, len);
  for (const auto& p : actions.send) {
    const Bytes wire = encode(p);
    // A full socket buffer loses a packet, as the network could; BFD's timers allow for that.
    ::sendto(e.tx.native_handle(), wire.data(), wire.size(), 0, reinterpret_cast<const sockaddr*>(&to), len);
  }
  for (const auto& t : actions.transitions) {
    e.since = Clock::now();
    const auto level = t.to == State::Up || t.from != State::Up ? spdlog::level::info : spdlog::level::warn;
    spdlog::log(level, "bfd {}: {} -> {} ({}{})", e.key.to_string(), to_string(t.from), to_string(t.to),
                to_string(t.diag), t.remote_admin_down ? ", the peer is administratively down" : "");
    SessionEvent ev{view(e), t.from, t.remote_admin_down};
    for (auto& [id, w] : watchers_) w(ev);
  }
  arm(e);
}

void BfdServer::arm(Entry& e) {
  e.timer.expires_at(e.session->next_deadline());
  const uint32_t discriminator = e.session->my_discriminator();
  e.timer.async_wait([this, discriminator](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = by_discriminator_.find(discriminator);
    if (it == by_discriminator_.end()) return;
    Actions actions;
    it->second->session->on_timer(Clock::now(), actions);
    run(*it->second, actions);
  });
}

bool BfdServer::start(std::string& error) {
  for (bool v6 : {false, true}) {
    for (bool multihop : {false, true}) {
      if (!open_receiver(v6, multihop, error)) return false;
    }
  }
  if (config_.bfd) {
    for (const auto& p : config_.bfd->peers) {
      if (!add_configured(p, error)) return false;
    }
  }
  return true;
}

namespace {
SessionKey key_of(const config::BfdPeer& p) {
  return SessionKey{p.address, p.local_address, p.interface.value_or(""), p.multihop};
}
}  // namespace

bool BfdServer::add_configured(const config::BfdPeer& p, std::string& error) {
  const SessionKey key = key_of(p);
  std::string why;
  if (!add(kConfigOwner, key, p.profile.value_or(""), why)) {
    error = "bfd peer " + key.to_string() + ": " + why;
    return false;
  }
  // The peer's own knobs over its profile's.
  Entry& e = *sessions_.at(key);
  Actions actions;
  e.session->configure(resolve(p.profile.value_or(""), &p.timers, e.minimum_ttl), Clock::now(), actions);
  run(e, actions);
  return true;
}

std::string BfdServer::reload(const config::Config& next) {
  std::map<SessionKey, const config::BfdPeer*> wanted;
  config_ = next;
  if (config_.bfd) {
    for (const auto& p : config_.bfd->peers) wanted[key_of(p)] = &p;
  }
  size_t added = 0, removed = 0, retimed = 0;
  std::vector<SessionKey> gone;
  for (const auto& [key, e] : sessions_) {
    if (e->owners.count(kConfigOwner) && !wanted.count(key)) gone.push_back(key);
  }
  for (const auto& key : gone) remove(kConfigOwner, key);
  removed = gone.size();
  for (const auto& [key, peer] : wanted) {
    auto it = sessions_.find(key);
    if (it == sessions_.end() || !it->second->owners.count(kConfigOwner)) {
      std::string error;
      if (add_configured(*peer, error)) {
        ++added;
      } else {
        spdlog::error("reload: {}", error);
      }
    }
  }
  for (auto& [key, e] : sessions_) {
    auto w = wanted.find(key);
    const std::string profile = w != wanted.end() ? w->second->profile.value_or("") : e->profile;
    uint8_t minimum_ttl = e->minimum_ttl;
    const SessionConfig c = resolve(profile, w != wanted.end() ? &w->second->timers : nullptr, minimum_ttl);
    if (c == e->session->config() && minimum_ttl == e->minimum_ttl) continue;
    spdlog::info("bfd {}: new timers {} ms x {} (reload)", key.to_string(), c.desired_min_tx_us / 1000,
                 int(c.detect_mult));
    e->minimum_ttl = minimum_ttl;
    Actions actions;
    e->session->configure(c, Clock::now(), actions);
    run(*e, actions);
    ++retimed;
  }
  return fmt::format("{} configured sessions added, {} removed, {} with new timers", added, removed, retimed);
}

std::optional<SessionView> BfdServer::add(const std::string& owner, const SessionKey& key, const std::string& profile,
                                          std::string& error) {
  if (key.multihop && !key.local) {
    error = "a multihop session needs a local address";
    return std::nullopt;
  }
  auto it = sessions_.find(key);
  if (it != sessions_.end()) {
    it->second->owners.insert(owner);
    return view(*it->second);
  }
  auto e = std::make_unique<Entry>(io_, key);
  e->profile = profile;
  const SessionConfig config = resolve(profile, nullptr, e->minimum_ttl);
  if (!open_sender(*e, error)) return std::nullopt;
  const uint32_t discriminator = new_discriminator();
  e->session = std::make_unique<Session>(discriminator, config, Clock::now(), random_());
  e->owners.insert(owner);
  Entry& ref = *e;
  by_discriminator_[discriminator] = e.get();
  sessions_[key] = std::move(e);
  spdlog::info("bfd {}: session added for {} (discriminator {:#x}, {} ms x {})", key.to_string(), owner, discriminator,
               config.desired_min_tx_us / 1000, int(config.detect_mult));
  SessionEvent ev{view(ref), std::nullopt, false};
  for (auto& [id, w] : watchers_) w(ev);
  Actions none;
  run(ref, none);
  return view(ref);
}

void BfdServer::remove(const std::string& owner, const SessionKey& key) {
  auto it = sessions_.find(key);
  if (it == sessions_.end() || !it->second->owners.erase(owner) || !it->second->owners.empty()) return;
  Entry& e = *it->second;
  // Tell the peer it is administrative, not a failure (RFC 5882 §3.2), then go.
  SessionConfig down = e.session->config();
  down.admin_down = true;
  Actions actions;
  e.session->configure(down, Clock::now(), actions);
  actions.transitions.clear();
  run(e, actions);
  spdlog::info("bfd {}: session removed (no owner left)", key.to_string());
  e.timer.cancel();
  by_discriminator_.erase(e.session->my_discriminator());
  sessions_.erase(it);
}

void BfdServer::remove_owner(const std::string& owner) {
  std::vector<SessionKey> keys;
  for (const auto& [key, e] : sessions_) {
    if (e->owners.count(owner)) keys.push_back(key);
  }
  for (const auto& k : keys) remove(owner, k);
}

std::vector<SessionView> BfdServer::sessions() const {
  std::vector<SessionView> out;
  for (const auto& [key, e] : sessions_) out.push_back(view(*e));
  return out;
}

SessionView BfdServer::view(const Entry& e) const {
  const Session& s = *e.session;
  return {e.key,
          s.state(),
          s.remote_state(),
          s.local_diag(),
          s.remote_diag(),
          s.my_discriminator(),
          s.remote_discriminator(),
          s.config(),
          s.remote_desired_min_tx_us(),
          s.remote_required_min_rx_us(),
          s.remote_detect_mult(),
          s.detection_time(),
          s.transmit_interval(),
          e.since,
          s.counters(),
          e.profile,
          {e.owners.begin(), e.owners.end()},
          e.remote_cpi};
}

int BfdServer::watch(Watcher watcher) {
  const int id = next_watcher_++;
  watchers_[id] = std::move(watcher);
  return id;
}

void BfdServer::unwatch(int id) {
  watchers_.erase(id);
}

void BfdServer::stop() {
  for (auto& [key, e] : sessions_) {
    SessionConfig down = e->session->config();
    down.admin_down = true;
    Actions actions;
    e->session->configure(down, Clock::now(), actions);
    actions.transitions.clear();
    run(*e, actions);
    e->timer.cancel();
  }
  for (auto& r : receivers_) {
    boost::system::error_code ec;
    r->socket.close(ec);
  }
}

}  // namespace ridgeline::bfd
