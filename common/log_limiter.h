#pragma once
// Says when a repeated event (a refused connection from one address, say) is worth a log line:
// the first time, then at most once per interval with a count of those not logged, so a peer that
// reconnects in a loop cannot flood the log. Bounded: past `max_keys` keys it starts afresh.
#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_map>

namespace ridgeline {

template <typename Key, typename Hash = std::hash<Key>>
class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogLimiter(Clock::duration interval = std::chrono::seconds(10), size_t max_keys = 4096)
      : interval_(interval), max_keys_(max_keys) {}

  // Empty: do not log. Otherwise log, mentioning the count of events not logged since last time.
  std::optional<uint64_t> should_log(const Key& key, Clock::time_point now) {
    if (seen_.size() >= max_keys_ && !seen_.count(key)) seen_.clear();
    auto [it, fresh] = seen_.try_emplace(key, Entry{now, 0});
    if (fresh) return 0;
    if (now - it->second.last < interval_) {
      ++it->second.suppressed;
      return std::nullopt;
    }
    const uint64_t suppressed = it->second.suppressed;
    it->second = Entry{now, 0};
    return suppressed;
  }
  size_t keys() const { return seen_.size(); }

 private:
  struct Entry {
    Clock::time_point last;
    uint64_t suppressed;
  };
  Clock::duration interval_;
  size_t max_keys_;
  std::unordered_map<Key, Entry, Hash> seen_;
};

}  // namespace ridgeline
