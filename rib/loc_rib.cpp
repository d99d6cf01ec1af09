#include "rib/loc_rib.h"

#include <algorithm>
#include <memory>
#include <new>

namespace ridgeline::rib {

// --- HopSets ---

HopSets::Ref HopSets::acquire(const Set& set) {
  if (set.empty()) return 0;
  if (last_ && node(last_)->first == set) {
    ++node(last_)->second.refs;
    return last_;
  }
  auto [it, added] = sets_.try_emplace(set);
  Use& use = it->second;
  if (added) {
    use.shared = std::make_shared<const Set>(it->first);
    use.id = numbers_.add(&*it);
  }
  ++use.refs;
  return last_ = use.id;
}

HopSets::Ref HopSets::acquire_one(const IpAddress& hop) {
  if (last_) {
    Node* n = node(last_);
    if (n->first.size() == 1 && n->first[0] == hop) {
      ++n->second.refs;
      return last_;
    }
  }
  return acquire(Set{hop});  // a miss: rare
}

void HopSets::release(Ref ref) {
  if (!ref) return;
  Node* n = node(ref);
  if (--n->second.refs > 0) return;
  if (ref == last_) last_ = 0;
  numbers_.remove(ref);
  sets_.erase(n->first);
}

const HopSets::Set& HopSets::get(Ref ref) const {
  static const Set kNone;
  return ref ? node(ref)->first : kNone;
}

NextHops HopSets::shared(Ref ref) const {
  return ref ? NextHops(node(ref)->second.shared) : NextHops();
}

// --- LocRib ---

LocRib::~LocRib() {
  for (RibEntry& e : entries_) hop_sets_.release(std::exchange(e.hops, 0));
}

void LocRib::set_options(const DecisionOptions& options) {
  set_options(Family::V4, options);
  set_options(Family::V6, options);
}

void LocRib::set_options(Family family, const DecisionOptions& options) {
  options_[index(family)] = options;
  for (Table::Index i = 0; i < entries_.size(); ++i) {
    if (entries_[i].key.family() == family) mark_dirty(i);
  }
}

void LocRib::set_peer(PeerId peer, PeerInfo info) {
  peers_[peer] = info;
  for (Table::Index i = 0; i < entries_.size(); ++i) {
    const auto& paths = entries_[i].paths;
    if (std::any_of(paths.begin(), paths.end(), [&](const Path& p) { return p.peer == peer; })) mark_dirty(i);
  }
}

const PeerInfo* LocRib::peer(PeerId peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? nullptr : &it->second;
}

void LocRib::mark_dirty(Table::Index i) {
  RibEntry& entry = entries_[i];
  if (!entry.dirty) {
    entry.dirty = true;
    dirty_.push_back(i);
  }
}

void LocRib::count(PeerId peer, Family family, int delta) {
  // A run of paths mostly comes from one peer: its counters are looked up once per run (the
  // map's values stay put; none is erased).
  if (!counted_ || counted_peer_ != peer) {
    counted_ = &peer_paths_[peer];
    counted_peer_ = peer;
  }
  (*counted_)[index(family)] += delta;
}

size_t LocRib::path_count(PeerId peer, Family family) const {
  auto it = peer_paths_.find(peer);
  return it == peer_paths_.end() ? 0 : it->second[index(family)];
}

bool LocRib::update(const Prefix& prefix, Path path) {
  const auto [i, added] = entries_.try_emplace(prefix);
  RibEntry& entry = entries_[i];
  auto it = std::find_if(entry.paths.begin(), entry.paths.end(),
                         [&](const Path& p) { return p.peer == path.peer && p.path_id == path.path_id; });
  const bool is_new = it == entry.paths.end();
  if (!is_new) {
    if (static_cast<size_t>(it - entry.paths.begin()) == entry.best_index && !it->same_route(path)) {
      entry.best_touched = true;
    }
    *it = std::move(path);
  } else if (entry.paths.full()) {
    // RFC 7911 sets no bound on a prefix's paths; past the 65535 a PathList holds, a new one is
    // not kept (as if withdrawn) and counted.
    ++paths_refused_;
    return false;
  } else {
    count(path.peer, prefix.family(), +1);
    entry.paths.push_back(std::move(path), path_pool_);
  }
  mark_dirty(i);
  return is_new;
}

void LocRib::erase_path(RibEntry& entry, size_t i) {
  count(entry.paths[i].peer, entry.key.family(), -1);
  entry.paths.erase_at(i, path_pool_);
  if (entry.best_index == RibEntry::kNone) return;
  if (entry.best_index == i) {
    entry.best_index = RibEntry::kNone;
    entry.best_touched = true;
  } else if (entry.best_index > i) {
    --entry.best_index;
  }
}

bool LocRib::withdraw(const Prefix& prefix, PeerId peer, uint32_t path_id) {
  auto e = entries_.index_of(prefix);
  if (!e) return false;
  RibEntry& entry = entries_[*e];
  auto it = std::find_if(entry.paths.begin(), entry.paths.end(),
                         [&](const Path& p) { return p.peer == peer && p.path_id == path_id; });
  if (it == entry.paths.end()) return false;
  erase_path(entry, it - entry.paths.begin());
  mark_dirty(*e);
  return true;
}

size_t LocRib::withdraw_peer(PeerId peer) {
  size_t removed = 0;
  for (Table::Index e = 0; e < entries_.size(); ++e) {
    RibEntry& entry = entries_[e];
    bool touched = false;
    for (size_t i = entry.paths.size(); i-- > 0;) {
      if (entry.paths[i].peer == peer) {
        erase_path(entry, i);
        ++removed;
        touched = true;
      }
    }
    if (touched) mark_dirty(e);
  }
  return removed;
}

size_t LocRib::mark_stale(PeerId peer) {
  size_t marked = 0;
  for (RibEntry& entry : entries_) {
    for (auto& p : entry.paths) {
      if (p.peer == peer && !p.stale) {
        p.stale = true;
        ++marked;
      }
    }
  }
  return marked;  // stale paths stay eligible: forwarding is preserved (RFC 4724 §4.2)
}

size_t LocRib::sweep_stale(PeerId peer) {
  size_t removed = 0;
  for (Table::Index e = 0; e < entries_.size(); ++e) {
    RibEntry& entry = entries_[e];
    bool touched = false;
    for (size_t i = entry.paths.size(); i-- > 0;) {
      if (entry.paths[i].peer == peer && entry.paths[i].stale) {
        erase_path(entry, i);
        ++removed;
        touched = true;
      }
    }
    if (touched) mark_dirty(e);
  }
  return removed;
}

size_t LocRib::set_next_hop_eligible(const IpAddress& next_hop, bool eligible) {
  size_t changed = 0;
  for (Table::Index e = 0; e < entries_.size(); ++e) {
    bool touched = false;
    for (auto& p : entries_[e].paths) {
      if (p.next_hop == next_hop && p.eligible != eligible) {
        p.eligible = eligible;
        touched = true;
        ++changed;
      }
    }
    if (touched) mark_dirty(e);
  }
  return changed;
}

std::vector<Candidate>& LocRib::candidates(const RibEntry& entry) const {
  scratch_.clear();
  for (const Path& p : entry.paths) {
    const PeerInfo* info = peer(p.peer);
    const PeerInfo local{};
    const PeerInfo& pi = info ? *info : local;
    Candidate c = make_candidate(*p.attrs, pi.ebgp && p.peer != kLocalPeer, pi.router_id, pi.address);
    c.eligible = p.eligible;
    scratch_.push_back(c);
  }
  return scratch_;
}

Selection LocRib::selection(const RibEntry& entry) const {
  return select(candidates(entry), options_[index(entry.key.family())]);
}

void LocRib::decide(RibEntry& entry) {
  HopSets::Ref old = entry.hops;
  if (entry.paths.size() == 1) {
    // One path: it is the best if it is usable, and alone in its multipath set.
    const Path& p = entry.paths[0];
    entry.best_index = p.eligible ? 0 : RibEntry::kNone;
    entry.hops = p.eligible && p.peer != kLocalPeer ? hop_sets_.acquire_one(p.next_hop) : 0;
  } else if (entry.paths.empty()) {
    entry.best_index = RibEntry::kNone;
    entry.hops = 0;
  } else {
    select(candidates(entry), options_[index(entry.key.family())], selection_);
    const Selection& s = selection_;
    entry.best_index = s.best ? static_cast<uint16_t>(*s.best) : RibEntry::kNone;
    hops_.clear();
    for (size_t i : s.multipath) {
      if (entry.paths[i].peer != kLocalPeer) hops_.push_back(entry.paths[i].next_hop);
    }
    std::sort(hops_.begin(), hops_.end());
    hops_.erase(std::unique(hops_.begin(), hops_.end()), hops_.end());
    entry.hops = hop_sets_.acquire(hops_);
  }
  hop_sets_.release(old);
}

RibChanges LocRib::drain(uint32_t now) {
  RibChanges changes;
  std::vector<Table::Index> dirty;
  dirty.swap(dirty_);
  std::vector<Table::Index> empty;
  for (Table::Index i : dirty) {
    RibEntry& entry = entries_[i];
    // The previous best, if it is still there unchanged, is at entry.best_index (followed through
    // erasures); entry.best_touched says it changed or went.
    const uint16_t old_best = entry.best_index;
    HopSets::Ref old_hops = entry.hops;
    hop_sets_.hold(old_hops);  // so that a new set cannot take its address before the comparison
    decide(entry);
    entry.dirty = false;
    const bool hops_changed = entry.hops != old_hops;
    hop_sets_.release(old_hops);
    const bool best_changed = entry.best_touched || entry.best_index != old_best;
    entry.best_touched = false;
    if (hops_changed || best_changed) {
      const Prefix prefix = entries_.prefix_of(entry);
      if (hops_changed) changes.fib.push_back({prefix, hop_sets_.shared(entry.hops)});
      if (best_changed) changes.best_changed.push_back(prefix);
      entry.changed_at = now;
    }
    if (entry.paths.empty()) empty.push_back(i);
  }
  // From the highest node number down: erase_at moves the last node, already a survivor.
  std::sort(empty.begin(), empty.end(), std::greater<>());
  for (Table::Index i : empty) entries_.erase_at(i);
  return changes;
}

size_t LocRib::path_count() const {
  size_t n = 0;
  for (const RibEntry& e : entries_) n += e.paths.size();
  return n;
}

}  // namespace ridgeline::rib
