#include "fib/programmer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_set>
#include <utility>

namespace ridgeline::fib {
namespace {

constexpr size_t kChunk = 2048;  // ops handed to the kernel at a time (80 B each: ~1 MB in flight)
// Above this many changed routes, routes are written in bit-reversed address order: the kernel's
// LC-trie then grows evenly instead of inflating the same node again and again, which makes
// large installs about 1.4 times faster (bench/fib_install.sh). Below it, sorting is not worth it.
constexpr size_t kSpreadOrderMin = 4096;
// Dirty routes are found by scanning the table instead of listing them once this share of the
// table (1 / kScanShare) is dirty.
constexpr size_t kScanShare = 16;
// A group's routes moving to one new set wait for the rest of the move (see flush) when at least
// this many move, for at most this many flushes while their number grows.
constexpr size_t kHoldMin = 512;
constexpr uint32_t kMaxHoldFlushes = 40;

uint64_t reverse_bits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
  return __builtin_bswap64(v);
}

}  // namespace

std::pair<uint64_t, uint64_t> spread_key(const Prefix& p) {
  uint64_t hi = 0, lo = 0;
  std::memcpy(&hi, p.address().raw().data(), 8);
  std::memcpy(&lo, p.address().raw().data() + 8, 8);
  hi = __builtin_bswap64(hi);
  lo = __builtin_bswap64(lo);
  const uint64_t family = p.family() == Family::V4 ? 0 : 1ull << 63;
  if (p.family() == Family::V4) return {family | reverse_bits(hi >> 32 << 32), 0};
  return {family | (reverse_bits(lo) >> 1), reverse_bits(hi)};
}

namespace {

// spread_key of an IPv4 prefix held as a PrefixKey (its 32 significant bits), without making
// the Prefix.
uint32_t spread_key_v4(const PrefixKey& k) {
  uint32_t a;
  std::memcpy(&a, k.word, 4);
  return static_cast<uint32_t>(reverse_bits(uint64_t{__builtin_bswap32(a)} << 32));
}

// Puts route numbers in the order of the spread_key of their prefixes, a part at a time, so that
// the first routes go to the kernel before the last are ordered (the sender thread writes while
// this one sorts). IPv4 keys are 32 bits: one pass splits them by their top byte into 256
// buckets, and each bucket is sorted on the other 24 bits (LSD radix, 3 passes, in cache) when
// its turn comes; the order is that of a sort by key. Anything with IPv6 in it takes
// std::sort at once.
template <typename Item, typename Table>
class SpreadOrder {
 public:
  SpreadOrder(std::vector<Item>& items, const Table& table) : items_(items), table_(table) {
    const bool all_v4 = std::all_of(items.begin(), items.end(), [&](Item r) { return !table[r].key.v6; });
    if (!all_v4) {
      std::vector<std::pair<std::pair<uint64_t, uint64_t>, Item>> keyed;
      keyed.reserve(items.size());
      for (Item r : items) keyed.emplace_back(spread_key(table.prefix_of(r)), r);
      std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t i = 0; i < keyed.size(); ++i) items[i] = keyed[i].second;
      ordered_ = items.size();
      return;
    }
    // The key is computed again in each pass, not stored beside each item. The split is in place
    // (each item is swapped straight into its bucket): no second array of every item.
    size_t counts[257] = {};
    for (Item r : items) ++counts[(key(r) >> 24) + 1];
    for (int d = 0; d < 256; ++d) counts[d + 1] += counts[d];
    std::copy(std::begin(counts), std::end(counts), bucket_start_.begin());
    for (size_t b = 0; b < 256; ++b) {
      for (size_t& next = counts[b]; next < bucket_start_[b + 1]; ++next) {
        Item r = items[next];
        for (size_t d; (d = key(r) >> 24) != b;) std::swap(r, items[counts[d]++]);
        items[next] = r;
      }
    }
  }

  // items[0..n] are in their final places.
  void ready(size_t n) {
    while (ordered_ <= n) sort_bucket(next_bucket_++);
  }

 private:
  uint32_t key(Item r) const { return spread_key_v4(table_[r].key); }

  void sort_bucket(size_t b) {
    const size_t from = bucket_start_[b], to = bucket_start_[b + 1];
    ordered_ = to;
    if (to - from < 2) return;
    scratch_.resize(to - from);
    Item* in = items_.data() + from;
    Item* out = scratch_.data();
    for (int shift = 0; shift < 24; shift += 8) {
      size_t counts[257] = {};
      for (size_t i = 0; i < to - from; ++i) ++counts[((key(in[i]) >> shift) & 0xff) + 1];
      for (int d = 0; d < 256; ++d) counts[d + 1] += counts[d];
      for (size_t i = 0; i < to - from; ++i) out[counts[(key(in[i]) >> shift) & 0xff]++] = in[i];
      std::swap(in, out);
    }
    // 3 passes: the result is in the scratch.
    std::copy(in, in + (to - from), items_.data() + from);
  }

  std::vector<Item>& items_;
  const Table& table_;
  std::array<size_t, 257> bucket_start_{};
  std::vector<Item> scratch_;
  size_t ordered_ = 0;  // items[0..ordered_) are in their final places
  size_t next_bucket_ = 0;
};

}  // namespace

Programmer::Programmer(Kernel& kernel, ProgrammerOptions options)
    : kernel_(kernel), options_(options), next_id_(options.first_id) {
  // A route keeps its group's id as an offset in the owned range (Route::installed).
  if (options.first_id < kOwnedFirstId || options.last_id > kOwnedLastId || options.first_id > options.last_id)
    throw std::invalid_argument("the programmer's nexthop ids must lie in the owned range");
}

void Programmer::mark_dirty(Routes::Index i) {
  Route& route = routes_[i];
  if (route.dirty) return;
  route.dirty = true;
  ++dirty_count_;
  if (dirty_scan_) return;
  dirty_.push_back(i);
  // A large share of the table changed (a bulk load, a peer withdrawing everything): scans of
  // the table find the dirty routes by their flag, for less memory than a list of them (4 bytes
  // a route, 4 MB for a million at the peak of a bulk load).
  if (dirty_.size() >= kSpreadOrderMin && dirty_.size() * kScanShare >= routes_.size()) {
    dirty_scan_ = true;
    dirty_ = {};
  }
}

unsigned Programmer::scan_part(const PrefixKey& key) {
  return key.v6 ? kScanParts : spread_key_v4(key) >> (32 - std::countr_zero(kScanParts));
}

void Programmer::mark_all_dirty() {
  ++resolve_epoch_;
  for (Routes::Index i = 0; i < routes_.size(); ++i) {
    if (routes_[i].desired) mark_dirty(i);
  }
}

void Programmer::set_connected(const Prefix& prefix, int ifindex) {
  connected_[prefix] = ifindex;
  mark_all_dirty();
}

void Programmer::remove_connected(const Prefix& prefix) {
  connected_.erase(prefix);
  mark_all_dirty();
}

void Programmer::link_down(int ifindex) {
  std::erase_if(connected_, [&](const auto& c) { return c.second == ifindex; });
  mark_all_dirty();
}

void Programmer::set_connected_prefixes(const std::map<Prefix, int>& connected) {
  if (connected == connected_) return;
  connected_ = connected;
  mark_all_dirty();
}

void Programmer::withdraw_all() {
  for (Routes::Index i = 0; i < routes_.size(); ++i) {
    Route& r = routes_[i];
    set_desired(r, nullptr);
    if (take_adopted(r)) --adopted_count_;
    mark_dirty(i);
  }
}

std::optional<int> Programmer::resolve(const IpAddress& gateway) const {
  const std::pair<const Prefix, int>* best = nullptr;
  for (const auto& c : connected_) {
    if (c.first.contains(gateway) && (!best || c.first.length() > best->first.length())) best = &c;
  }
  return best ? std::optional<int>(best->second) : std::nullopt;
}

void Programmer::set_desired(Route& e, HopLists::value_type* hops) {
  const uint32_t id = hops ? hops->second.id : 0;
  if (e.desired == id) return;
  const bool was_waiting = e.desired && !e.installed;
  if (HopLists::value_type* old = hops_of(e); old && --old->second.refs == 0) {
    if (last_hops_ == old) last_hops_ = nullptr;
    hop_list_numbers_.remove(old->second.id);
    hop_lists_.erase(old->first);
  }
  e.desired = id;
  if (hops) ++hops->second.refs;
  const bool waiting = e.desired && !e.installed;
  if (waiting != was_waiting) waiting ? ++waiting_count_ : --waiting_count_;
}

void Programmer::set_installed(Route& e, NexthopId group) {
  const bool was_waiting = e.desired && !e.installed;
  if (e.installed && !group) --installed_count_;
  if (!e.installed && group) ++installed_count_;
  e.installed = group;
  const bool waiting = e.desired && !e.installed;
  if (waiting != was_waiting) waiting ? ++waiting_count_ : --waiting_count_;
}

size_t Programmer::adopt() {
  struct Adopt : KernelDumpVisitor {
    Programmer& p;
    explicit Adopt(Programmer& programmer) : p(programmer) {}

    void objects(const KernelState& k) override {
      std::map<NexthopId, NexthopKey> keys;
      for (const auto& [id, key] : k.nexthops) {
        if (!p.in_id_range(id)) continue;
        p.next_id_ = std::max(p.next_id_, id + 1);
        // A duplicate (same gateway and interface) is not adopted: nothing will use it.
        if (p.nexthops_.emplace(key, Nexthop{id, 0}).second) keys[id] = key;
      }
      for (const auto& [id, members] : k.groups) {
        if (!p.in_id_range(id)) continue;
        p.next_id_ = std::max(p.next_id_, id + 1);
        Set set;
        for (NexthopId m : members) {
          auto it = keys.find(m);
          if (it == keys.end()) break;
          set.push_back(it->second);
        }
        if (set.size() != members.size()) continue;  // a member that is not ours: leave it to reconcile
        std::sort(set.begin(), set.end());
        set.erase(std::unique(set.begin(), set.end()), set.end());
        if (!p.groups_.emplace(set, Group{id, 0}).second) continue;
        p.group_sets_[id] = set;
        for (const auto& key : set) ++p.nexthops_[key].refs;
      }
    }

    void route(const Prefix& prefix, const KernelState::Route& route) override {
      if (route.protocol != kProtocolBgp) return;
      auto set = p.group_sets_.find(route.nhid);
      if (set == p.group_sets_.end()) return;
      Route& e = p.routes_[p.routes_.try_emplace(prefix).first];
      if (e.installed) return;
      ++p.groups_[set->second].refs;
      p.set_installed(e, route.nhid);
      e.adopted = true;
      ++p.adopted_count_;
    }
  } adopt(*this);
  kernel_.visit_dump(adopt);
  return adopted_count_;
}

size_t Programmer::sweep_adopted() {
  const size_t n = adopted_count_;
  for (Routes::Index i = 0; i < routes_.size(); ++i) {
    if (take_adopted(routes_[i])) mark_dirty(i);
  }
  adopted_count_ = 0;
  return n;
}

std::set<IpAddress> Programmer::adopted_gateways() const {
  std::set<NexthopId> groups;
  for (const Route& r : routes_) {
    if (r.adopted) groups.insert(r.installed);
  }
  std::set<IpAddress> out;
  for (NexthopId g : groups) {
    for (const auto& key : group_sets_.at(g)) out.insert(key.gateway);
  }
  return out;
}

void Programmer::set_group_type(const Set& set, Op& op) const {
  const auto& r = set.empty() || set.front().gateway.is_v4() ? options_.resilient_v4 : options_.resilient_v6;
  if (r) {
    op.buckets = r->buckets;
    op.idle_timer_s = r->idle_timer_s;
  }
}

void Programmer::update(const Prefix& prefix, const std::vector<IpAddress>& next_hops) {
  HopLists::value_type* hops = nullptr;
  if (!next_hops.empty()) {
    if (last_hops_ && last_hops_->first == next_hops) {
      hops = last_hops_;  // the common case: no copy, no lookup
    } else {
      std::vector<IpAddress> list = next_hops;  // as a set: sorted, unique
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
      auto [it, added] = hop_lists_.try_emplace(std::move(list));
      hops = &*it;
      if (added) hops->second.id = hop_list_numbers_.add(hops);
      last_hops_ = hops;
    }
  }
  // One probe of the index: a route is added only when wanted.
  const std::optional<Routes::Index> i = hops ? routes_.try_emplace(prefix).first : routes_.index_of(prefix);
  if (!i) return;
  Route& e = routes_[*i];
  if (take_adopted(e)) --adopted_count_;
  set_desired(e, hops);
  mark_dirty(*i);
}

const Programmer::Set& Programmer::target_of(Route& e) {
  static const Set kNone;
  if (!e.desired) return kNone;
  HopLists::value_type* hops = hops_of(e);
  HopList& h = hops->second;
  if (h.resolved_epoch != resolve_epoch_) {
    h.target.clear();
    for (const auto& gw : hops->first) {
      if (down_gateways_.count(gw)) continue;
      if (auto ifindex = resolve(gw)) h.target.push_back({gw, *ifindex});
    }
    std::sort(h.target.begin(), h.target.end());
    h.resolved_epoch = resolve_epoch_;
  }
  return h.target;
}

NexthopId Programmer::allocate() {
  // Ids are not reused within a run; the range is large enough for that (2^24 objects).
  if (next_id_ > options_.last_id) std::abort();  // impossible state: the owned id range is exhausted
  return next_id_++;
}

void Programmer::emit(Op op) {
  ++emitted_;
  if (record_) record_->push_back(op);
  pending_ops_.push_back(std::move(op));
  if (pending_ops_.size() >= kChunk) {
    // The kernel works on this chunk while the next one is prepared.
    kernel_.submit(std::exchange(pending_ops_, {}));
    pending_ops_.reserve(kChunk);
  }
}

NexthopId Programmer::ensure_nexthop(const NexthopKey& key) {
  auto it = nexthops_.find(key);
  if (it == nexthops_.end()) it = nexthops_.emplace(key, Nexthop{0, 0}).first;
  if (it->second.id == 0) {
    it->second.id = allocate();
    emit({Op::AddNexthop, it->second.id, key, {}, {}});
  }
  return it->second.id;
}

NexthopId Programmer::group_for(const Set& set) {
  auto it = groups_.find(set);
  if (it != groups_.end()) return it->second.id;
  std::vector<NexthopId> ids;
  for (const auto& k : set) {
    ids.push_back(ensure_nexthop(k));
    ++nexthops_[k].refs;
  }
  const NexthopId gid = allocate();
  Op op{Op::AddGroup, gid, {}, std::move(ids), {}};
  set_group_type(set, op);
  emit(std::move(op));
  groups_.emplace(set, Group{gid, 0});
  group_sets_[gid] = set;
  return gid;
}

void Programmer::release_nexthop(const NexthopKey& key) {
  auto it = nexthops_.find(key);
  if (it != nexthops_.end() && it->second.refs > 0) --it->second.refs;
}

void Programmer::replace_in_place(NexthopId gid, const Set& target) {
  // One write: the group now holds the new set, and every route using it follows.
  const Set old_set = group_sets_.at(gid);
  std::vector<NexthopId> ids;
  for (const auto& k : target) {
    ids.push_back(ensure_nexthop(k));
    ++nexthops_[k].refs;
  }
  Op op{Op::ReplaceGroup, gid, {}, std::move(ids), {}};
  set_group_type(target, op);
  emit(std::move(op));
  for (const auto& k : old_set) release_nexthop(k);
  Group g = groups_.at(old_set);
  groups_.erase(old_set);
  groups_[target] = g;
  group_sets_[gid] = target;
  ++group_replaces_;
}

void Programmer::set_gateway_down(const IpAddress& gateway, bool down) {
  if (!down) {
    if (down_gateways_.erase(gateway)) mark_all_dirty();  // routes that still want it get it back
    std::erase(newly_down_, gateway);
    return;
  }
  if (!down_gateways_.insert(gateway).second) return;
  ++resolve_epoch_;
  newly_down_.push_back(gateway);
}

void Programmer::shrink_groups_without(const IpAddress& gateway) {
  std::vector<std::pair<NexthopId, Set>> shrink;
  for (const auto& [set, g] : groups_) {
    Set target;
    for (const auto& k : set) {
      if (k.gateway != gateway) target.push_back(k);
    }
    if (target.size() != set.size()) shrink.emplace_back(g.id, std::move(target));
  }
  for (auto& [gid, target] : shrink) {
    // An empty set (the routes must go) or one another group already has is left to the RIB's
    // own changes, which follow within milliseconds.
    if (target.empty() || groups_.count(target)) continue;
    replace_in_place(gid, target);
  }
}

bool Programmer::settle() {
  return count_failures(kernel_.finish());
}

bool Programmer::count_failures(size_t failed) {
  kernel_errors_ += failed;
  if (failed > 0) needs_repair_ = true;
  return failed > 0;
}

size_t Programmer::flush(std::vector<Op>* record, bool wait, bool hold) {
  record_ = record;
  ++flush_epoch_;
  const uint64_t emitted_before = emitted_;
  for (const IpAddress& gateway : std::exchange(newly_down_, {})) shrink_groups_without(gateway);

  // Groups whose every route moves to one same new set are replaced in place.
  struct Move {
    size_t routes = 0;
    const Set* target = nullptr;
    bool mixed = false;
  };
  // Consecutive routes mostly share a group: its set is looked up once per run of them (std::map
  // nodes stay put while groups are added).
  struct SetOf {
    std::map<NexthopId, Set>& sets;
    NexthopId last = 0;
    const Set* set = nullptr;
    const Set& operator()(NexthopId gid) {
      if (gid != last || !set) set = &sets[last = gid];
      return *set;
    }
  };
  std::unordered_map<NexthopId, Move> moving;
  {
    SetOf set_of{group_sets_};
    NexthopId last = 0;
    Move* m = nullptr;
    for_each_dirty([&](Routes::Index r) {
      Route& e = routes_[r];
      if (!e.installed) return;
      const Set& target = target_of(e);
      if (set_of(e.installed) == target) return;
      if (e.installed != last || !m) m = &moving[last = e.installed];
      if (m->routes == 0) m->target = &target;
      if (*m->target != target) m->mixed = true;
      ++m->routes;
    });
  }
  std::unordered_set<NexthopId> replaced;
  std::unordered_set<NexthopId> held;
  std::unordered_map<NexthopId, Hold> holding;
  for (const auto& [gid, m] : moving) {
    const Set old_set = group_sets_[gid];
    const Set& target = *m.target;
    if (m.mixed || target.empty() || groups_.count(target)) continue;
    if (old_set.front().gateway.family() != target.front().gateway.family()) continue;  // the group type could differ
    if (m.routes == groups_[old_set].refs) {
      replace_in_place(gid, target);
      replaced.insert(gid);
      continue;
    }
    // A large share of the group moves to one new set, but not all of it yet: a peer
    // withdrawing its routes over many UPDATEs. While the share grows, its routes wait, so
    // that the move can end as one group replace instead of a write per route.
    auto was = holding_.find(gid);
    const Hold before = was == holding_.end() ? Hold{} : was->second;
    if (hold && m.routes >= kHoldMin && m.routes > before.routes && before.flushes < kMaxHoldFlushes) {
      holding[gid] = {m.routes, before.flushes + 1};
      held.insert(gid);
    }
  }
  holding_ = std::move(holding);  // a move that stopped growing (or finished) is written now

  // Each dirty route is done (its group was just replaced with its target), waits (its group's
  // move is held: it stays dirty for the next flush), or is written now.
  enum class Fate { Done, Wait, Now };
  const bool sorting = !held.empty() || !replaced.empty();
  SetOf fate_set_of{group_sets_};
  auto fate = [&](Route& e) {
    if (!sorting || !e.installed) return Fate::Now;
    if (replaced.count(e.installed) && fate_set_of(e.installed) == target_of(e)) return Fate::Done;
    if (held.count(e.installed) && fate_set_of(e.installed) != target_of(e)) return Fate::Wait;
    return Fate::Now;
  };
  // Each changed prefix to its set's group (made when new), or out of the kernel.
  std::map<NexthopId, Group*> group_of_id;
  SetOf set_of{group_sets_};
  auto write = [&](Routes::Index r) {
    Route& e = routes_[r];
    const Set& target = target_of(e);
    e.dirty = false;
    const bool unchanged = e.installed && (replaced.count(e.installed) || set_of(e.installed) == target);
    if (!unchanged) {
      if (e.installed) {
        --groups_[set_of(e.installed)].refs;
        set_installed(e, 0);
        if (target.empty()) emit({Op::DeleteRoute, 0, {}, {}, routes_.prefix_of(e)});
      }
      if (!target.empty()) {
        HopList& h = hops_of(e)->second;
        if (h.group_epoch != flush_epoch_) {
          h.group = group_for(target);
          h.group_epoch = flush_epoch_;
        }
        // std::map nodes stay put: the group can be found once per id in this flush.
        auto [g, added] = group_of_id.try_emplace(h.group, nullptr);
        if (added) g->second = &groups_.at(target);
        ++g->second->refs;
        set_installed(e, h.group);
        emit({Op::ReplaceRoute, h.group, {}, {}, routes_.prefix_of(e)});
      }
    }
    if (!e.desired && !e.installed && !e.adopted) unused_.push_back(routes_.prefix_of(e));
  };
  // Writes `items`, in the kernel's best order when asked (see spread_key).
  auto write_all = [&](std::vector<Routes::Index>& items, bool spread) {
    std::optional<SpreadOrder<Routes::Index, Routes>> order;
    if (spread) order.emplace(items, routes_);
    for (size_t n = 0; n < items.size(); ++n) {
      if (order) order->ready(n);
      write(items[n]);
    }
  };
  size_t waiting = 0;
  if (!dirty_scan_) {
    std::vector<Routes::Index> later;
    std::erase_if(dirty_, [&](Routes::Index r) {  // keeps the order of the others
      Route& e = routes_[r];
      switch (fate(e)) {
        case Fate::Done: e.dirty = false; return true;
        case Fate::Wait: later.push_back(r); return true;
        case Fate::Now: return false;
      }
      return false;
    });
    write_all(dirty_, dirty_.size() >= kSpreadOrderMin);
    dirty_ = std::move(later);
    waiting = dirty_.size();
  } else {
    // No list (see mark_dirty): the routes of each part of the spread order are found by a scan
    // of the table and ordered when their turn comes. When none is to be written now (a held
    // move), one scan settles the done ones.
    size_t settled = 0;
    for (NexthopId g : held) settled += moving[g].routes;
    for (NexthopId g : replaced) settled += moving[g].routes;
    const bool none_now = settled == dirty_count_;
    std::vector<Routes::Index> part;
    for (unsigned p = 0; p <= kScanParts; ++p) {
      part.clear();
      for_each_dirty([&](Routes::Index r) {
        Route& e = routes_[r];
        if (!none_now && scan_part(e.key) != p) return;
        switch (fate(e)) {
          case Fate::Done: e.dirty = false; break;
          case Fate::Wait: ++waiting; break;
          case Fate::Now: part.push_back(r); break;
        }
      });
      write_all(part, true);
      if (none_now) break;
    }
    dirty_scan_ = waiting > 0;
  }
  dirty_count_ = waiting;
  // Erasing moves a node (the last takes the hole): only while no route is listed by number.
  if (dirty_.empty()) {
    for (const Prefix& p : std::exchange(unused_, {})) {
      auto i = routes_.index_of(p);
      if (!i) continue;
      const Route& e = routes_[*i];
      if (!e.desired && !e.installed && !e.adopted && !e.dirty) routes_.erase_at(*i);
    }
  }

  // Garbage: groups no route uses, then nexthops no group uses.
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (it->second.refs == 0) {
      emit({Op::DeleteNexthop, it->second.id, {}, {}, {}});
      for (const auto& k : it->first) release_nexthop(k);
      group_sets_.erase(it->second.id);
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = nexthops_.begin(); it != nexthops_.end();) {
    if (it->second.refs == 0) {
      if (it->second.id != 0) emit({Op::DeleteNexthop, it->second.id, {}, {}, {}});
      it = nexthops_.erase(it);
    } else {
      ++it;
    }
  }
  if (!pending_ops_.empty()) kernel_.submit(std::exchange(pending_ops_, {}));
  count_failures(wait ? kernel_.finish() : kernel_.take_failures());
  record_ = nullptr;
  return emitted_ - emitted_before;
}

void Programmer::write(const std::vector<Op>& ops) {
  const size_t failed = ops.empty() ? 0 : kernel_.apply(ops);
  kernel_errors_ += failed;
  needs_repair_ = failed > 0;
}

size_t Programmer::reconcile(bool retrying) {
  // Nexthops and groups first (routes use them), then the routes, then what nothing uses.
  struct Compare : KernelDumpVisitor {
    Programmer& p;
    size_t drift = 0;
    std::vector<Op> objects_ops, route_ops, garbage_ops;
    std::vector<bool> seen;  // by route number: the kernel holds it as ours
    explicit Compare(Programmer& programmer) : p(programmer), seen(programmer.routes_.size()) {}
    bool owned(NexthopId id) const { return owned_id(id) || p.in_id_range(id); }

    void objects(const KernelState& k) override {
      std::unordered_set<NexthopId> our_nexthops;
      for (const auto& [key, nh] : p.nexthops_) our_nexthops.insert(nh.id);
      // Our objects as they should be.
      for (const auto& [key, nh] : p.nexthops_) {
        auto it = k.nexthops.find(nh.id);
        if (it == k.nexthops.end() || !(it->second == key)) {
          ++drift;
          if (it != k.nexthops.end()) objects_ops.push_back({Op::DeleteNexthop, nh.id, {}, {}, {}});
          objects_ops.push_back({Op::AddNexthop, nh.id, key, {}, {}});
        }
      }
      for (const auto& [set, g] : p.groups_) {
        std::vector<NexthopId> ids;
        for (const auto& key : set) ids.push_back(p.nexthops_.at(key).id);
        auto it = k.groups.find(g.id);
        if (it == k.groups.end() || it->second != ids) {
          ++drift;
          objects_ops.push_back({it == k.groups.end() ? Op::AddGroup : Op::ReplaceGroup, g.id, {}, ids, {}});
          p.set_group_type(set, objects_ops.back());
        }
      }
      // What is ours in the kernel but not wanted: our id range. Others' are never touched.
      for (const auto& [id, members] : k.groups) {
        if (owned(id) && !p.group_sets_.count(id)) {
          ++drift;
          garbage_ops.push_back({Op::DeleteNexthop, id, {}, {}, {}});
        }
      }
      for (const auto& [id, key] : k.nexthops) {
        if (owned(id) && !our_nexthops.count(id)) {
          ++drift;
          garbage_ops.push_back({Op::DeleteNexthop, id, {}, {}, {}});
        }
      }
    }

    // Only routes of our protocol are compared: another's route to the same prefix (another
    // metric) is its own.
    void route(const Prefix& prefix, const KernelState::Route& r) override {
      if (r.protocol != kProtocolBgp) return;
      const auto i = p.routes_.index_of(prefix);
      const Route* ours = i ? &p.routes_[*i] : nullptr;
      if (ours && ours->installed) {
        seen[*i] = true;
        if (r.nhid != ours->installed) {
          ++drift;
          route_ops.push_back({Op::ReplaceRoute, ours->installed, {}, {}, prefix});
        }
      } else if (owned(r.nhid)) {
        ++drift;
        route_ops.push_back({Op::DeleteRoute, 0, {}, {}, prefix});
      }
    }
  } compare(*this);
  kernel_.visit_dump(compare);
  // Ours that the kernel lost.
  for (Routes::Index i = 0; i < routes_.size(); ++i) {
    const Route& r = routes_[i];
    if (r.installed && !compare.seen[i]) {
      ++compare.drift;
      compare.route_ops.push_back({Op::ReplaceRoute, r.installed, {}, {}, routes_.prefix_of(r)});
    }
  }
  std::vector<Op> ops = std::move(compare.objects_ops);
  ops.insert(ops.end(), compare.route_ops.begin(), compare.route_ops.end());
  ops.insert(ops.end(), compare.garbage_ops.begin(), compare.garbage_ops.end());
  write(ops);
  if (!retrying) drift_ += compare.drift;
  return compare.drift;
}

FibStats Programmer::stats() const {
  FibStats s;
  s.routes = installed_count_;
  s.groups = groups_.size();
  s.nexthops = nexthops_.size();
  s.waiting = waiting_count_;
  s.adopted = adopted_count_;
  s.group_replaces = group_replaces_;
  s.drift = drift_;
  s.kernel_errors = kernel_errors_;
  s.needs_repair = needs_repair_;
  return s;
}

std::optional<NexthopId> Programmer::installed(const Prefix& prefix) const {
  const Route* r = routes_.find(prefix);
  if (!r || !r->installed) return std::nullopt;
  return r->installed;
}

std::optional<NexthopId> Programmer::nexthop_id(const NexthopKey& key) const {
  auto it = nexthops_.find(key);
  return it == nexthops_.end() || it->second.id == 0 ? std::nullopt : std::optional<NexthopId>(it->second.id);
}

std::vector<NexthopKey> Programmer::group_members(NexthopId group) const {
  auto it = group_sets_.find(group);
  return it == group_sets_.end() ? std::vector<NexthopKey>{} : it->second;
}

}  // namespace ridgeline::fib
