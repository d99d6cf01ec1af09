// ChunkedStore: values stay put while others come and go at the end, each is destroyed once, and
// chunks are given back.
#include "common/chunked_store.h"

#include <gtest/gtest.h>

#include <vector>

namespace ridgeline {
namespace {

struct Counted {
  static inline int live = 0;
  int value = -1;
  Counted() { ++live; }
  Counted(Counted&&) = delete;
  ~Counted() { --live; }
};

TEST(ChunkedStore, ValuesStayPutAcrossChunks) {
  ChunkedStore<Counted> s;
  const size_t n = 3 * ChunkedStore<Counted>::kChunkSize + 5;
  std::vector<Counted*> places;
  for (size_t i = 0; i < n; ++i) {
    Counted& c = s.emplace_back();
    c.value = static_cast<int>(i);
    places.push_back(&c);
  }
  ASSERT_EQ(s.size(), n);
  EXPECT_EQ(Counted::live, static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(&s[i], places[i]) << i;
    ASSERT_EQ(s[i].value, static_cast<int>(i));
  }
  size_t seen = 0;
  for (const Counted& c : s) ASSERT_EQ(c.value, static_cast<int>(seen++));
  EXPECT_EQ(seen, n);
}

TEST(ChunkedStore, PopAndPushAtAChunkBoundaryKeepValuesRight) {
  ChunkedStore<Counted> s;
  const size_t k = ChunkedStore<Counted>::kChunkSize;
  for (size_t i = 0; i < k; ++i) s.emplace_back().value = static_cast<int>(i);
  for (int round = 0; round < 3; ++round) {
    s.emplace_back().value = 1000 + round;  // opens the second chunk (or takes the spare)
    EXPECT_EQ(s.back().value, 1000 + round);
    s.pop_back();  // empties it again
    EXPECT_EQ(s.size(), k);
    EXPECT_EQ(s.back().value, static_cast<int>(k - 1));
  }
  for (size_t i = 0; i < k / 2; ++i) s.pop_back();
  EXPECT_EQ(s.size(), k / 2);
  EXPECT_EQ(Counted::live, static_cast<int>(k / 2));
  s.clear();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(Counted::live, 0);
  s.emplace_back().value = 9;  // usable after clear
  EXPECT_EQ(s[0].value, 9);
}

TEST(ChunkedStore, DestroysWhatItHolds) {
  {
    ChunkedStore<Counted> s;
    for (int i = 0; i < 5000; ++i) s.emplace_back();
    EXPECT_EQ(Counted::live, 5000);
  }
  EXPECT_EQ(Counted::live, 0);
}

}  // namespace
}  // namespace ridgeline
