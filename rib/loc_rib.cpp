#include "rib/loc_rib.h"

#include <algorithm>

namespace ridgeline::rib {

void LocRib::set_options(const DecisionOptions& options) {
  set_options(Family::V4, options);
  set_options(Family::V6, options);
}

void LocRib::set_options(Family family, const DecisionOptions& options) {
  options_[index(family)] = options;
  for (auto& [prefix, entry] : entries_) {
    if (prefix.family() == family) mark_dirty(prefix, entry);
  }
}

void LocRib::set_peer(PeerId peer, PeerInfo info) {
  peers_[peer] = info;
  for (auto& [prefix, entry] : entries_) {
    if (std::any_of(entry.paths.begin(), entry.paths.end(), [&](const Path& p) { return p.peer == peer; })) {
      mark_dirty(prefix, entry);
    }
  }
}

const PeerInfo* LocRib::peer(PeerId peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? nullptr : &it->second;
}

void LocRib::mark_dirty(const Prefix& prefix, RibEntry& entry) {
  if (!entry.dirty) {
    entry.dirty = true;
    dirty_.push_back(prefix);
  }
}

void LocRib::update(const Prefix& prefix, Path path) {
  RibEntry& entry = entries_[prefix];
  auto it = std::find_if(entry.paths.begin(), entry.paths.end(),
                         [&](const Path& p) { return p.peer == path.peer && p.path_id == path.path_id; });
  if (it != entry.paths.end()) {
    *it = std::move(path);
  } else {
    entry.paths.push_back(std::move(path));
  }
  mark_dirty(prefix, entry);
}

bool LocRib::withdraw(const Prefix& prefix, PeerId peer, uint32_t path_id) {
  auto e = entries_.find(prefix);
  if (e == entries_.end()) return false;
  auto& paths = e->second.paths;
  auto it =
      std::find_if(paths.begin(), paths.end(), [&](const Path& p) { return p.peer == peer && p.path_id == path_id; });
  if (it == paths.end()) return false;
  paths.erase(it);
  mark_dirty(prefix, e->second);
  return true;
}

size_t LocRib::withdraw_peer(PeerId peer) {
  size_t removed = 0;
  for (auto& [prefix, entry] : entries_) {
    if (size_t n = std::erase_if(entry.paths, [&](const Path& p) { return p.peer == peer; })) {
      removed += n;
      mark_dirty(prefix, entry);
    }
  }
  return removed;
}

size_t LocRib::mark_stale(PeerId peer) {
  size_t marked = 0;
  for (auto& [prefix, entry] : entries_) {
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
  for (auto& [prefix, entry] : entries_) {
    if (size_t n = std::erase_if(entry.paths, [&](const Path& p) { return p.peer == peer && p.stale; })) {
      removed += n;
      mark_dirty(prefix, entry);
    }
  }
  return removed;
}

size_t LocRib::set_next_hop_eligible(const IpAddress& next_hop, bool eligible) {
  size_t changed = 0;
  for (auto& [prefix, entry] : entries_) {
    bool touched = false;
    for (auto& p : entry.paths) {
      if (p.next_hop == next_hop && p.eligible != eligible) {
        p.eligible = eligible;
        touched = true;
        ++changed;
      }
    }
    if (touched) mark_dirty(prefix, entry);
  }
  return changed;
}

void LocRib::decide(const Prefix& prefix, RibEntry& entry) const {
  std::vector<Candidate> candidates;
  candidates.reserve(entry.paths.size());
  for (const Path& p : entry.paths) {
    const PeerInfo* info = peer(p.peer);
    const PeerInfo local{};
    const PeerInfo& pi = info ? *info : local;
    Candidate c = make_candidate(*p.attrs, pi.ebgp && p.peer != kLocalPeer, pi.router_id, pi.address);
    c.eligible = p.eligible;
    candidates.push_back(c);
  }
  entry.selection = select(candidates, options_[index(prefix.family())]);
  std::vector<IpAddress> hops;
  for (size_t i : entry.selection.multipath) {
    if (entry.paths[i].peer != kLocalPeer) hops.push_back(entry.paths[i].next_hop);
  }
  std::sort(hops.begin(), hops.end());
  hops.erase(std::unique(hops.begin(), hops.end()), hops.end());
  entry.fib_next_hops = std::move(hops);
  entry.best_key.reset();
  if (entry.selection.best) {
    const Path& b = entry.paths[*entry.selection.best];
    entry.best_key = RibEntry::BestKey{b.peer, b.path_id, b.attrs, b.next_hop};
  }
}

RibChanges LocRib::drain(int64_t now) {
  RibChanges changes;
  std::vector<Prefix> dirty;
  dirty.swap(dirty_);
  for (const Prefix& prefix : dirty) {
    auto it = entries_.find(prefix);
    if (it == entries_.end()) continue;
    RibEntry& entry = it->second;
    const std::vector<IpAddress> old_hops = entry.fib_next_hops;
    const std::optional<RibEntry::BestKey> old_best = entry.best_key;
    decide(prefix, entry);
    entry.dirty = false;
    const bool hops_changed = entry.fib_next_hops != old_hops;
    const bool best_changed = entry.best_key != old_best;
    if (hops_changed) changes.fib.push_back({prefix, entry.fib_next_hops});
    if (best_changed) changes.best_changed.push_back(prefix);
    if (hops_changed || best_changed) entry.changed_at = now;
    if (entry.paths.empty()) entries_.erase(it);
  }
  return changes;
}

const RibEntry* LocRib::find(const Prefix& prefix) const {
  auto it = entries_.find(prefix);
  return it == entries_.end() ? nullptr : &it->second;
}

size_t LocRib::path_count() const {
  size_t n = 0;
  for (const auto& [prefix, entry] : entries_) n += entry.paths.size();
  return n;
}

}  // namespace ridgeline::rib
