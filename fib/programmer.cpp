#include "fib/programmer.h"

#include <algorithm>

namespace ridgeline::fib {

Programmer::Programmer(Kernel& kernel, ProgrammerOptions options)
    : kernel_(kernel), options_(options), next_id_(options.first_id) {}

void Programmer::mark_all_dirty() {
  for (const auto& [p, hops] : desired_) dirty_.insert(p);
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
  desired_.clear();
  adopted_.clear();
  for (const auto& [p, gid] : installed_) dirty_.insert(p);
}

std::optional<int> Programmer::resolve(const IpAddress& gateway) const {
  const std::pair<const Prefix, int>* best = nullptr;
  for (const auto& c : connected_) {
    if (c.first.contains(gateway) && (!best || c.first.length() > best->first.length())) best = &c;
  }
  return best ? std::optional<int>(best->second) : std::nullopt;
}

size_t Programmer::adopt(const KernelState& k) {
  auto in_range = [&](NexthopId id) { return id >= options_.first_id && id <= options_.last_id; };
  std::map<NexthopId, NexthopKey> keys;
  for (const auto& [id, key] : k.nexthops) {
    if (!in_range(id)) continue;
    next_id_ = std::max(next_id_, id + 1);
    // A duplicate (same gateway and interface) is not adopted: nothing will use it.
    if (nexthops_.emplace(key, Nexthop{id, 0}).second) keys[id] = key;
  }
  for (const auto& [id, members] : k.groups) {
    if (!in_range(id)) continue;
    next_id_ = std::max(next_id_, id + 1);
    Set set;
    for (NexthopId m : members) {
      auto it = keys.find(m);
      if (it == keys.end()) break;
      set.push_back(it->second);
    }
    if (set.size() != members.size()) continue;  // a member that is not ours: leave it to reconcile
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    if (!groups_.emplace(set, Group{id, 0}).second) continue;
    group_sets_[id] = set;
    for (const auto& key : set) ++nexthops_[key].refs;
  }
  for (const auto& [prefix, route] : k.routes) {
    if (route.protocol != kProtocolBgp) continue;
    auto set = group_sets_.find(route.nhid);
    if (set == group_sets_.end()) continue;
    ++groups_[set->second].refs;
    installed_[prefix] = route.nhid;
    adopted_.insert(prefix);
  }
  return adopted_.size();
}

size_t Programmer::sweep_adopted() {
  const size_t n = adopted_.size();
  for (const Prefix& p : adopted_) dirty_.insert(p);
  adopted_.clear();
  return n;
}

std::set<IpAddress> Programmer::adopted_gateways() const {
  std::set<NexthopId> groups;
  for (const Prefix& p : adopted_) groups.insert(installed_.at(p));
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

void Programmer::update(const Prefix& prefix, std::vector<IpAddress> next_hops) {
  adopted_.erase(prefix);
  if (next_hops.empty()) {
    desired_.erase(prefix);
  } else {
    desired_[prefix] = std::move(next_hops);
  }
  dirty_.insert(prefix);
}

Programmer::Set Programmer::target_set(const Prefix& prefix) const {
  Set set;
  auto it = desired_.find(prefix);
  if (it == desired_.end()) return set;
  for (const auto& gw : it->second) {
    if (auto ifindex = resolve(gw)) set.push_back({gw, *ifindex});
  }
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  return set;
}

NexthopId Programmer::allocate() {
  // Ids are not reused within a run; the range is large enough for that (2^24 objects).
  if (next_id_ > options_.last_id) std::abort();  // impossible state: the owned id range is exhausted
  return next_id_++;
}

NexthopId Programmer::ensure_nexthop(const NexthopKey& key, std::vector<Op>& ops) {
  auto it = nexthops_.find(key);
  if (it == nexthops_.end()) {
    it = nexthops_.emplace(key, Nexthop{allocate(), 0}).first;
    ops.push_back({Op::AddNexthop, it->second.id, key, {}, {}});
  }
  return it->second.id;
}

std::vector<NexthopId> Programmer::member_ids(const Set& set, std::vector<Op>& ops) {
  std::vector<NexthopId> ids;
  for (const auto& k : set) ids.push_back(ensure_nexthop(k, ops));
  return ids;
}

void Programmer::release_nexthop(const NexthopKey& key) {
  auto it = nexthops_.find(key);
  if (it != nexthops_.end() && it->second.refs > 0) --it->second.refs;
}

std::vector<Op> Programmer::flush() {
  std::vector<Op> adds, routes, deletes;
  // Where each changed prefix goes.
  std::map<Prefix, Set> targets;
  for (const Prefix& p : dirty_) targets[p] = target_set(p);
  dirty_.clear();

  // Groups whose every route moves to one same new set are replaced in place.
  std::map<NexthopId, std::pair<size_t, std::optional<Set>>> moving;  // group -> (routes moving, common target)
  std::set<NexthopId> mixed;
  for (const auto& [p, target] : targets) {
    auto inst = installed_.find(p);
    if (inst == installed_.end() || group_sets_[inst->second] == target) continue;
    auto& m = moving[inst->second];
    if (m.first == 0) m.second = target;
    if (m.second != target) mixed.insert(inst->second);
    ++m.first;
  }
  std::set<NexthopId> replaced;
  for (const auto& [gid, m] : moving) {
    const Set& old_set = group_sets_[gid];
    const Set& target = *m.second;
    if (mixed.count(gid) || target.empty() || m.first != groups_[old_set].refs || groups_.count(target)) continue;
    if (old_set.front().gateway.family() != target.front().gateway.family()) continue;  // the group type could differ
    // One write: the group now holds the new set, and every route using it follows.
    for (const auto& k : target) ++nexthops_[k].refs;
    std::vector<NexthopId> ids;
    for (const auto& k : target) {
      auto it = nexthops_.find(k);
      if (it->second.id == 0) {
        it->second.id = allocate();
        adds.push_back({Op::AddNexthop, it->second.id, k, {}, {}});
      }
      ids.push_back(it->second.id);
    }
    adds.push_back({Op::ReplaceGroup, gid, {}, ids, {}});
    set_group_type(target, adds.back());
    for (const auto& k : old_set) release_nexthop(k);
    Group g = groups_[old_set];
    groups_.erase(old_set);
    groups_[target] = g;
    group_sets_[gid] = target;
    replaced.insert(gid);
    ++group_replaces_;
  }

  for (const auto& [p, target] : targets) {
    auto inst = installed_.find(p);
    if (inst != installed_.end() && (replaced.count(inst->second) || group_sets_[inst->second] == target)) continue;
    if (inst != installed_.end()) {
      --groups_[group_sets_[inst->second]].refs;
      installed_.erase(inst);
      if (target.empty()) routes.push_back({Op::DeleteRoute, 0, {}, {}, p});
    }
    if (target.empty()) continue;
    auto git = groups_.find(target);
    if (git == groups_.end()) {
      std::vector<NexthopId> ids = member_ids(target, adds);
      for (const auto& k : target) ++nexthops_[k].refs;
      const NexthopId gid = allocate();
      adds.push_back({Op::AddGroup, gid, {}, ids, {}});
      set_group_type(target, adds.back());
      git = groups_.emplace(target, Group{gid, 0}).first;
      group_sets_[gid] = target;
    }
    ++git->second.refs;
    installed_[p] = git->second.id;
    routes.push_back({Op::ReplaceRoute, git->second.id, {}, {}, p});
  }

  // Garbage: groups no route uses, then nexthops no group uses.
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (it->second.refs == 0) {
      deletes.push_back({Op::DeleteNexthop, it->second.id, {}, {}, {}});
      for (const auto& k : it->first) release_nexthop(k);
      group_sets_.erase(it->second.id);
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = nexthops_.begin(); it != nexthops_.end();) {
    if (it->second.refs == 0) {
      deletes.push_back({Op::DeleteNexthop, it->second.id, {}, {}, {}});
      it = nexthops_.erase(it);
    } else {
      ++it;
    }
  }

  std::vector<Op> ops = std::move(adds);
  ops.insert(ops.end(), routes.begin(), routes.end());
  ops.insert(ops.end(), deletes.begin(), deletes.end());
  write(ops, false);
  return ops;
}

void Programmer::write(const std::vector<Op>& ops, bool repairing) {
  const size_t failed = ops.empty() ? 0 : kernel_.apply(ops);
  kernel_errors_ += failed;
  if (failed > 0)
    needs_repair_ = true;
  else if (repairing)
    needs_repair_ = false;
}

size_t Programmer::reconcile(bool retrying) {
  const KernelState k = kernel_.dump();
  size_t drift = 0;
  std::vector<Op> ops;
  auto owned = [&](NexthopId id) { return owned_id(id) || (id >= options_.first_id && id <= options_.last_id); };
  std::unordered_set<NexthopId> our_nexthops;
  for (const auto& [key, nh] : nexthops_) our_nexthops.insert(nh.id);
  // Our objects as they should be.
  for (const auto& [key, nh] : nexthops_) {
    auto it = k.nexthops.find(nh.id);
    if (it == k.nexthops.end() || !(it->second == key)) {
      ++drift;
      if (it != k.nexthops.end()) ops.push_back({Op::DeleteNexthop, nh.id, {}, {}, {}});
      ops.push_back({Op::AddNexthop, nh.id, key, {}, {}});
    }
  }
  for (const auto& [set, g] : groups_) {
    std::vector<NexthopId> ids;
    for (const auto& key : set) ids.push_back(nexthops_.at(key).id);
    auto it = k.groups.find(g.id);
    if (it == k.groups.end() || it->second != ids) {
      ++drift;
      ops.push_back({it == k.groups.end() ? Op::AddGroup : Op::ReplaceGroup, g.id, {}, ids, {}});
      set_group_type(set, ops.back());
    }
  }
  for (const auto& [p, gid] : installed_) {
    auto it = k.routes.find(p);
    if (it == k.routes.end() || it->second.nhid != gid) {
      ++drift;
      ops.push_back({Op::ReplaceRoute, gid, {}, {}, p});
    }
  }
  // What is ours in the kernel but not wanted: our protocol, our id range. Others' are never touched.
  for (const auto& [p, r] : k.routes) {
    if (r.protocol == kProtocolBgp && owned(r.nhid) && !installed_.count(p)) {
      ++drift;
      ops.push_back({Op::DeleteRoute, 0, {}, {}, p});
    }
  }
  for (const auto& [id, members] : k.groups) {
    if (owned(id) && !group_sets_.count(id)) {
      ++drift;
      ops.push_back({Op::DeleteNexthop, id, {}, {}, {}});
    }
  }
  for (const auto& [id, key] : k.nexthops) {
    if (owned(id) && !our_nexthops.count(id)) {
      ++drift;
      ops.push_back({Op::DeleteNexthop, id, {}, {}, {}});
    }
  }
  write(ops, true);
  if (!retrying) drift_ += drift;
  return drift;
}

FibStats Programmer::stats() const {
  FibStats s;
  s.routes = installed_.size();
  s.groups = groups_.size();
  s.nexthops = nexthops_.size();
  s.waiting = desired_.size() - std::count_if(desired_.begin(), desired_.end(),
                                              [&](const auto& d) { return installed_.count(d.first) > 0; });
  s.adopted = adopted_.size();
  s.group_replaces = group_replaces_;
  s.drift = drift_;
  s.kernel_errors = kernel_errors_;
  s.needs_repair = needs_repair_;
  return s;
}

std::optional<NexthopId> Programmer::installed(const Prefix& prefix) const {
  auto it = installed_.find(prefix);
  return it == installed_.end() ? std::nullopt : std::optional<NexthopId>(it->second);
}

std::vector<NexthopKey> Programmer::group_members(NexthopId group) const {
  auto it = group_sets_.find(group);
  return it == group_sets_.end() ? std::vector<NexthopKey>{} : it->second;
}

}  // namespace ridgeline::fib
