// A peer reconnecting in a loop gets one log line per interval, with the count it suppressed.
#include "common/log_limiter.h"

#include <gtest/gtest.h>

namespace ridgeline {
namespace {

TEST(LogLimiter, FirstThenOncePerIntervalWithTheCount) {
  LogLimiter<int> limiter(std::chrono::seconds(10), 3);
  const auto t0 = LogLimiter<int>::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(limiter.should_log(1, t0), 0u);
  for (int i = 1; i <= 99; ++i) EXPECT_FALSE(limiter.should_log(1, t0 + std::chrono::milliseconds(i)));
  EXPECT_EQ(limiter.should_log(2, t0), 0u) << "another key is not held back";
  EXPECT_EQ(limiter.should_log(1, t0 + std::chrono::seconds(10)), 99u);
  EXPECT_FALSE(limiter.should_log(1, t0 + std::chrono::seconds(11)));
  // Bounded: a fourth key past max_keys starts afresh rather than growing.
  limiter.should_log(3, t0);
  limiter.should_log(4, t0);
  EXPECT_LE(limiter.keys(), 3u);
}

}  // namespace
}  // namespace ridgeline
