#include "fib/netlink_kernel.h"

#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "fib/netlink_message.h"

namespace ridgeline::fib {
namespace {

constexpr size_t kBatchBytes = 32 * 1024;
constexpr size_t kMaxQueuedChunks = 4;  // submitted and not yet taken by the sender thread
constexpr int kMaxLoggedErrors = 5;     // per apply(); the rest are counted

int family_of(const IpAddress& a) {
  return a.is_v4() ? AF_INET : AF_INET6;
}

bool is_delete(const Op& op) {
  return op.kind == Op::DeleteNexthop || op.kind == Op::DeleteRoute;
}

IpAddress address_from(int family, const nlattr* attr) {
  const Family f = family == AF_INET ? Family::V4 : Family::V6;
  std::array<uint8_t, 16> raw{};
  if (attr) std::memcpy(raw.data(), nla_data(attr), std::min<size_t>(nla_len(attr), address_bytes(f)));
  return IpAddress::from_bytes(f, {raw.data(), address_bytes(f)});
}

}  // namespace

// Messages queued for one sendmsg; errors matched by sequence number, the last one acked.
class NetlinkKernel::Batch {
 public:
  explicit Batch(NetlinkKernel& kernel) : k_(kernel) { bytes_.reserve(kBatchBytes + 4096); }
  ~Batch() { flush(); }

  // A request for `op` (whose failure it counts as), written in place by encode(NetlinkMessage&).
  template <typename Encode>
  void add(const Op& op, uint16_t type, uint16_t flags, Encode&& encode) {
    const uint32_t seq = k_.seq_++;
    if (ops_.empty()) first_seq_ = seq;
    ops_.push_back(&op);
    last_offset_ = bytes_.size();
    {
      NetlinkMessage message(bytes_, type, flags, seq);
      encode(message);
    }
    if (bytes_.size() >= kBatchBytes) flush();
  }

  void flush() {
    if (ops_.empty()) return;
    auto* last = reinterpret_cast<nlmsghdr*>(bytes_.data() + last_offset_);
    last->nlmsg_flags |= NLM_F_ACK;
    const uint32_t last_seq = last->nlmsg_seq;
    if (send(nl_socket_get_fd(k_.sock_), bytes_.data(), bytes_.size(), 0) < 0) {
      spdlog::error("fib: netlink send: {}", std::strerror(errno));
      failed_ += ops_.size();
    } else {
      read_until(last_seq);
    }
    bytes_.clear();
    ops_.clear();
  }

  size_t failed() const { return failed_; }

 private:
  void read_until(uint32_t last_seq) {
    std::vector<uint8_t> buf(64 * 1024);
    for (;;) {
      const ssize_t n = recv(nl_socket_get_fd(k_.sock_), buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        // ENOBUFS loses answers, a timeout means none is coming: count the batch as unknown so
        // that the caller reconciles.
        spdlog::error("fib: netlink recv: {}", std::strerror(errno));
        ++failed_;
        return;
      }
      int len = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
        if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first_seq_ || h->nlmsg_seq > last_seq) continue;
        const int error = -static_cast<nlmsgerr*>(nlmsg_data(h))->error;
        const Op& op = *ops_[h->nlmsg_seq - first_seq_];
        // Deleting what is gone (ENOENT for objects, ESRCH for routes) is what a delete wants.
        if (error != 0 && !(is_delete(op) && (error == ENOENT || error == ESRCH))) {
          if (++failed_ <= kMaxLoggedErrors) spdlog::warn("fib: {}: {}", to_string(op), std::strerror(error));
        }
        if (h->nlmsg_seq == last_seq) return;
      }
    }
  }

  NetlinkKernel& k_;
  std::vector<uint8_t> bytes_;
  std::vector<const Op*> ops_;  // by seq - first_seq_
  uint32_t first_seq_ = 0;
  size_t last_offset_ = 0;
  size_t failed_ = 0;
};

NetlinkKernel::NetlinkKernel(uint32_t table, uint32_t metric) : table_(table), metric_(metric) {}

NetlinkKernel::~NetlinkKernel() {
  if (sender_.joinable()) {
    {
      std::lock_guard lock(send_mutex_);
      quit_ = true;
    }
    send_cv_.notify_all();
    sender_.join();
  }
  if (sock_) nl_socket_free(sock_);
}

void NetlinkKernel::submit(std::vector<Op> ops) {
  {
    std::unique_lock lock(send_mutex_);
    if (!sender_.joinable())
      sender_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "fib-netlink");  // for top -H and perf
        sender_loop();
      });
    // A few chunks ahead of the kernel keep it busy; more would only hold memory.
    room_cv_.wait(lock, [&] { return send_queue_.size() < kMaxQueuedChunks; });
    send_queue_.push_back(std::move(ops));
  }
  send_cv_.notify_one();
}

size_t NetlinkKernel::take_failures() {
  std::lock_guard lock(send_mutex_);
  return std::exchange(send_failures_, 0);
}

bool NetlinkKernel::busy() {
  std::lock_guard lock(send_mutex_);
  return sending_ || !send_queue_.empty();
}

void NetlinkKernel::sender_loop() {
  std::unique_lock lock(send_mutex_);
  for (;;) {
    send_cv_.wait(lock, [&] { return quit_ || !send_queue_.empty(); });
    if (send_queue_.empty()) return;  // quit
    std::vector<Op> ops = std::move(send_queue_.front());
    send_queue_.pop_front();
    room_cv_.notify_all();
    sending_ = true;
    lock.unlock();
    const size_t failed = send_now(ops);
    lock.lock();
    send_failures_ += failed;
    sending_ = false;
    if (send_queue_.empty()) idle_cv_.notify_all();
  }
}

void NetlinkKernel::wait_idle(std::unique_lock<std::mutex>& lock) {
  idle_cv_.wait(lock, [&] { return send_queue_.empty() && !sending_; });
}

size_t NetlinkKernel::finish() {
  std::unique_lock lock(send_mutex_);
  wait_idle(lock);
  return std::exchange(send_failures_, 0);
}

bool NetlinkKernel::open(std::string& error, bool force_multipath) {
  sock_ = nl_socket_alloc();
  if (!sock_ || nl_connect(sock_, NETLINK_ROUTE) < 0) {
    error = "cannot open a rtnetlink socket";
    return false;
  }
  nl_socket_set_buffer_size(sock_, 4 << 20, 4 << 20);
  nl_socket_disable_auto_ack(sock_);
  timeval timeout{10, 0};  // an answer that never comes must not hang the writer
  setsockopt(nl_socket_get_fd(sock_), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  const int probe = dump_each(RTM_GETNEXTHOP, AF_UNSPEC, sizeof(nhmsg), [](nlmsghdr*) {});
  if (force_multipath) {
    mode_ = Mode::MultipathRoutes;
    spdlog::info("fib: RTA_MULTIPATH routes (multipath-routes configured)");
  } else if (probe != 0) {
    mode_ = Mode::MultipathRoutes;
    spdlog::warn("fib: the kernel refuses nexthop objects ({}); falling back to RTA_MULTIPATH routes",
                 std::strerror(-probe));
  } else {
    spdlog::info("fib: nexthop objects and groups, table {}, metric {}", table_, metric_);
  }
  return true;
}

void NetlinkKernel::add_nexthop(Batch& batch, const Op& op) const {
  nhmsg nh{};
  if (op.kind == Op::DeleteNexthop) {  // the kernel wants a bare header here (no protocol)
    batch.add(op, RTM_DELNEXTHOP, 0, [&](NetlinkMessage& m) {
      m.fixed(nh);
      m.put_u32(NHA_ID, op.id);
    });
    return;
  }
  nh.nh_protocol = kProtocolBgp;
  batch.add(op, RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_REPLACE, [&](NetlinkMessage& m) {
    if (op.kind == Op::AddNexthop) {
      nh.nh_family = static_cast<unsigned char>(family_of(op.key.gateway));
      m.fixed(nh);
      m.put_u32(NHA_ID, op.id);
      m.put(NHA_GATEWAY, op.key.gateway.bytes().data(), op.key.gateway.bytes().size());
      m.put_u32(NHA_OIF, static_cast<uint32_t>(op.key.ifindex));
      return;
    }
    nh.nh_family = AF_UNSPEC;
    m.fixed(nh);
    m.put_u32(NHA_ID, op.id);
    std::vector<nexthop_grp> members(op.members.size());
    for (size_t i = 0; i < op.members.size(); ++i) members[i].id = op.members[i];
    m.put(NHA_GROUP, members.data(), members.size() * sizeof(nexthop_grp));
    if (op.buckets > 0) {
      m.put_u16(NHA_GROUP_TYPE, NEXTHOP_GRP_TYPE_RES);
      const size_t res = m.begin_nest(NHA_RES_GROUP);
      m.put_u16(NHA_RES_GROUP_BUCKETS, op.buckets);
      // In clock_t, as iproute2 sends it.
      m.put_u32(NHA_RES_GROUP_IDLE_TIMER, op.idle_timer_s * static_cast<uint32_t>(sysconf(_SC_CLK_TCK)));
      m.end_nest(res);
    }
  });
}

void NetlinkKernel::add_route(Batch& batch, const Op& cause, const Prefix& prefix, NexthopId id, bool add) const {
  const uint16_t flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
  batch.add(cause, add ? RTM_NEWROUTE : RTM_DELROUTE, flags, [&](NetlinkMessage& m) {
    rtmsg rt{};
    rt.rtm_family = static_cast<unsigned char>(family_of(prefix.address()));
    rt.rtm_dst_len = prefix.length();
    rt.rtm_table = static_cast<unsigned char>(table_ < 256 ? table_ : static_cast<uint32_t>(RT_TABLE_UNSPEC));
    rt.rtm_protocol = kProtocolBgp;
    rt.rtm_scope = RT_SCOPE_UNIVERSE;
    rt.rtm_type = RTN_UNICAST;
    m.fixed(rt);
    m.put(RTA_DST, prefix.address().bytes().data(), prefix.address().bytes().size());
    m.put_u32(RTA_TABLE, table_);
    m.put_u32(RTA_PRIORITY, metric_);
    if (!add) return;
    if (mode_ == Mode::NexthopObjects) {
      m.put_u32(RTA_NH_ID, id);
      return;
    }
    // RTA_MULTIPATH: the group's members, each an rtnexthop followed by its gateway
    // (rtnetlink(7)); one member is a plain gateway route.
    std::vector<NexthopId> members;
    if (auto g = mp_groups_.find(id); g != mp_groups_.end()) {
      members = g->second;
    } else {
      members = {id};
    }
    std::vector<const NexthopKey*> keys;
    for (NexthopId member : members) {
      if (auto it = mp_nexthops_.find(member); it != mp_nexthops_.end()) keys.push_back(&it->second);
    }
    if (keys.size() == 1) {
      m.put(RTA_GATEWAY, keys[0]->gateway.bytes().data(), keys[0]->gateway.bytes().size());
      m.put_u32(RTA_OIF, static_cast<uint32_t>(keys[0]->ifindex));
      return;
    }
    const size_t mp = m.begin_nest(RTA_MULTIPATH);
    for (const NexthopKey* key : keys) {
      const size_t at = m.reserve(sizeof(rtnexthop));
      m.put(RTA_GATEWAY, key->gateway.bytes().data(), key->gateway.bytes().size());
      rtnexthop nh{};
      nh.rtnh_ifindex = key->ifindex;
      nh.rtnh_len = static_cast<unsigned short>(m.end() - at);
      std::memcpy(m.at(at), &nh, sizeof nh);
    }
    m.end_nest(mp);
  });
}

void NetlinkKernel::apply_multipath(const Op& op, Batch& batch) {
  auto rewrite_routes_of = [&](NexthopId group) {
    auto users = mp_group_routes_.find(group);
    if (users == mp_group_routes_.end()) return;
    const bool alive = mp_groups_.count(group) > 0;
    for (const Prefix& p : users->second) {
      add_route(batch, op, p, group, alive);
      if (!alive) mp_routes_.erase(p);
    }
    if (!alive) mp_group_routes_.erase(users);
  };
  switch (op.kind) {
    case Op::AddNexthop: mp_nexthops_[op.id] = op.key; break;
    case Op::AddGroup: mp_groups_[op.id] = op.members; break;
    case Op::ReplaceGroup:
      mp_groups_[op.id] = op.members;
      rewrite_routes_of(op.id);
      break;
    case Op::DeleteNexthop:
      if (mp_groups_.erase(op.id)) {
        rewrite_routes_of(op.id);  // as the kernel does: a deleted group takes its routes with it
      } else if (mp_nexthops_.erase(op.id)) {
        for (auto it = mp_groups_.begin(); it != mp_groups_.end();) {
          if (std::erase(it->second, op.id) == 0) {
            ++it;
            continue;
          }
          const NexthopId g = it->first;
          if (it->second.empty())
            it = mp_groups_.erase(it);
          else
            ++it;
          rewrite_routes_of(g);
        }
      }
      break;
    case Op::ReplaceRoute: {
      if (auto old = mp_routes_.find(op.prefix); old != mp_routes_.end())
        mp_group_routes_[old->second].erase(op.prefix);
      mp_routes_[op.prefix] = op.id;
      mp_group_routes_[op.id].insert(op.prefix);
      add_route(batch, op, op.prefix, op.id, true);
      break;
    }
    case Op::DeleteRoute:
      if (auto old = mp_routes_.find(op.prefix); old != mp_routes_.end()) {
        mp_group_routes_[old->second].erase(op.prefix);
        mp_routes_.erase(old);
      }
      add_route(batch, op, op.prefix, 0, false);
      break;
  }
}

size_t NetlinkKernel::apply(const std::vector<Op>& ops) {
  std::unique_lock lock(send_mutex_);
  wait_idle(lock);  // in order after what was submitted
  return send_now(ops);
}

size_t NetlinkKernel::send_now(const std::vector<Op>& ops) {
  Batch batch(*this);
  for (const Op& op : ops) {
    if (mode_ == Mode::MultipathRoutes) {
      apply_multipath(op, batch);
    } else if (op.kind == Op::ReplaceRoute || op.kind == Op::DeleteRoute) {
      add_route(batch, op, op.prefix, op.id, op.kind == Op::ReplaceRoute);
    } else {
      add_nexthop(batch, op);
    }
  }
  batch.flush();
  if (batch.failed() > static_cast<size_t>(kMaxLoggedErrors))
    spdlog::warn("fib: {} kernel operations failed in all", batch.failed());
  return batch.failed();
}

template <typename Each>
int NetlinkKernel::dump_each(int type, int family, size_t header_size, Each&& each) {
  std::vector<uint8_t> request;
  const uint32_t seq = seq_++;
  {
    NetlinkMessage m(request, static_cast<uint16_t>(type), NLM_F_DUMP, seq);
    std::vector<uint8_t> header(header_size, 0);  // the family header: its first byte is the family
    header[0] = static_cast<uint8_t>(family);
    m.fixed(header.data(), header.size());
  }
  if (send(nl_socket_get_fd(sock_), request.data(), request.size(), 0) < 0) return -errno;
  std::vector<uint8_t> buf(1 << 20);
  for (;;) {
    const ssize_t n = recv(nl_socket_get_fd(sock_), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) return -EIO;
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) return static_cast<nlmsgerr*>(nlmsg_data(h))->error;
      each(h);
    }
  }
}

void NetlinkKernel::visit_dump(KernelDumpVisitor& visitor) {
  std::unique_lock lock(send_mutex_);
  wait_idle(lock);
  KernelState state;
  if (mode_ == Mode::NexthopObjects) {
    dump_each(RTM_GETNEXTHOP, AF_UNSPEC, sizeof(nhmsg), [&](nlmsghdr* h) {
      nlattr* tb[NHA_MAX + 1] = {};
      if (nlmsg_parse(h, sizeof(nhmsg), tb, NHA_MAX, nullptr) < 0 || !tb[NHA_ID]) return;
      const uint32_t id = nla_get_u32(tb[NHA_ID]);
      if (tb[NHA_GROUP]) {
        const auto* g = static_cast<const nexthop_grp*>(nla_data(tb[NHA_GROUP]));
        std::vector<NexthopId> members;
        for (int i = 0; i < nla_len(tb[NHA_GROUP]) / static_cast<int>(sizeof(nexthop_grp)); ++i)
          members.push_back(g[i].id);
        state.groups[id] = members;
      } else if (tb[NHA_GATEWAY]) {
        const auto* nh = static_cast<const nhmsg*>(nlmsg_data(h));
        state.nexthops[id] = {address_from(nh->nh_family, tb[NHA_GATEWAY]),
                              tb[NHA_OIF] ? static_cast<int>(nla_get_u32(tb[NHA_OIF])) : 0};
      }
    });
  } else {
    state.nexthops.insert(mp_nexthops_.begin(), mp_nexthops_.end());
    state.groups.insert(mp_groups_.begin(), mp_groups_.end());
  }
  // RTA_MULTIPATH mode: a route of ours reads back as the group with the same members. Before
  // the first write (a start after a previous run), groups are made up from the routes found,
  // so that they can be adopted.
  const bool synthesize = mode_ == Mode::MultipathRoutes && mp_nexthops_.empty() && mp_groups_.empty();
  std::map<std::vector<NexthopKey>, NexthopId> by_members;
  for (const auto& [gid, members] : mp_groups_) {
    std::vector<NexthopKey> keys;
    for (NexthopId m : members) keys.push_back(mp_nexthops_.at(m));
    std::sort(keys.begin(), keys.end());
    by_members[keys] = gid;
  }
  NexthopId next_synthetic = kOwnedFirstId;
  std::map<NexthopKey, NexthopId> synthetic_nexthops;
  // Routes stream to the visitor, but for synthesizing: its groups come with the routes.
  if (!synthesize) visitor.objects(state);
  for (int family : {AF_INET, AF_INET6}) {
    dump_each(RTM_GETROUTE, family, sizeof(rtmsg), [&](nlmsghdr* h) {
      const auto* rt = static_cast<const rtmsg*>(nlmsg_data(h));
      nlattr* tb[RTA_MAX + 1] = {};
      if (nlmsg_parse(h, sizeof(rtmsg), tb, RTA_MAX, nullptr) < 0) return;
      const uint32_t table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rt->rtm_table;
      if (table != table_ || rt->rtm_type != RTN_UNICAST) return;
      const Prefix p(address_from(rt->rtm_family, tb[RTA_DST]), rt->rtm_dst_len);
      KernelState::Route route{tb[RTA_NH_ID] ? nla_get_u32(tb[RTA_NH_ID]) : 0, rt->rtm_protocol};
      if (mode_ == Mode::MultipathRoutes && rt->rtm_protocol == kProtocolBgp && !tb[RTA_NH_ID]) {
        std::vector<NexthopKey> keys;
        if (tb[RTA_MULTIPATH]) {
          auto* nh = static_cast<rtnexthop*>(nla_data(tb[RTA_MULTIPATH]));
          int left = nla_len(tb[RTA_MULTIPATH]);
          while (RTNH_OK(nh, left)) {
            nlattr* sub[RTA_MAX + 1] = {};
            nla_parse(sub, RTA_MAX, reinterpret_cast<nlattr*>(RTNH_DATA(nh)),
                      static_cast<int>(nh->rtnh_len - RTNH_LENGTH(0)), nullptr);
            if (sub[RTA_GATEWAY]) keys.push_back({address_from(rt->rtm_family, sub[RTA_GATEWAY]), nh->rtnh_ifindex});
            left -= NLMSG_ALIGN(nh->rtnh_len);
            nh = RTNH_NEXT(nh);
          }
        } else if (tb[RTA_GATEWAY]) {
          keys.push_back({address_from(rt->rtm_family, tb[RTA_GATEWAY]),
                          tb[RTA_OIF] ? static_cast<int>(nla_get_u32(tb[RTA_OIF])) : 0});
        }
        std::sort(keys.begin(), keys.end());
        auto match = by_members.find(keys);
        if (match == by_members.end() && synthesize && !keys.empty()) {
          std::vector<NexthopId> members;
          for (const auto& key : keys) {
            auto [it, added] = synthetic_nexthops.emplace(key, next_synthetic);
            if (added) state.nexthops[next_synthetic++] = key;
            members.push_back(it->second);
          }
          state.groups[next_synthetic] = members;
          match = by_members.emplace(keys, next_synthetic++).first;
        }
        route.nhid = match != by_members.end() ? match->second : kUnmatchedRouteId;
      }
      if (synthesize) {
        state.routes[p] = route;
      } else {
        visitor.route(p, route);
      }
    });
  }
  if (synthesize) {
    mp_nexthops_.insert(state.nexthops.begin(), state.nexthops.end());
    mp_groups_.insert(state.groups.begin(), state.groups.end());
    for (const auto& [p, r] : state.routes) {
      if (mp_groups_.count(r.nhid)) {
        mp_routes_[p] = r.nhid;
        mp_group_routes_[r.nhid].insert(p);
      }
    }
    visitor.objects(state);
    for (const auto& [p, r] : state.routes) visitor.route(p, r);
  }
}

}  // namespace ridgeline::fib
