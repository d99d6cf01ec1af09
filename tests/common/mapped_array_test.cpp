#include "common/mapped_array.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

namespace ridgeline {
namespace {

TEST(MappedArray, StartsAsZerosAndKeepsWhatIsWritten) {
  MappedArray<uint32_t> a(100000);
  ASSERT_EQ(a.size(), 100000u);
  for (size_t i = 0; i < a.size(); i += 997) EXPECT_EQ(a[i], 0u);
  a[5] = 7;
  a[99999] = 9;
  EXPECT_EQ(a[5], 7u);
  EXPECT_EQ(a[99999], 9u);
}

TEST(MappedArray, MovingTakesTheMappingAndLeavesAnEmptyArray) {
  MappedArray<uint32_t> a(1000);
  a[3] = 42;
  MappedArray<uint32_t> b(std::move(a));
  EXPECT_TRUE(a.empty());
  ASSERT_EQ(b.size(), 1000u);
  EXPECT_EQ(b[3], 42u);
  MappedArray<uint32_t> c(10);
  c = std::move(b);  // c's own mapping goes
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(c.size(), 1000u);
  EXPECT_EQ(c[3], 42u);
  c = {};
  EXPECT_TRUE(c.empty());
}

TEST(MappedArray, OnlyTouchedPagesAreResident) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t n = 64 * 1024 * 1024 / sizeof(uint32_t);  // 64 MiB
  MappedArray<uint32_t> a(n);
  a[0] = 1;
  a[n - 1] = 1;
  std::vector<unsigned char> resident(n * sizeof(uint32_t) / page);
  ASSERT_EQ(mincore(&a[0], n * sizeof(uint32_t), resident.data()), 0);
  size_t in_memory = 0;
  for (unsigned char r : resident) in_memory += r & 1;
  // The two touched pages, or the two huge pages around them where transparent huge pages are
  // always on: far from all 16384.
  EXPECT_LE(in_memory, resident.size() / 8);
  EXPECT_GE(in_memory, 2u);
}

}  // namespace
}  // namespace ridgeline
