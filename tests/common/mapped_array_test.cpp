#include "common/mapped_array.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
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

// Populated when made (every page resident, as an index about to be filled wants it) and handed
// back when it goes: the range is no longer mapped.
TEST(MappedArray, IsResidentWhenMadeAndUnmappedWhenGone) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t n = 16 * 1024 * 1024 / sizeof(uint32_t);  // 16 MiB
  std::vector<unsigned char> resident(n * sizeof(uint32_t) / page);
  void* base = nullptr;
  {
    MappedArray<uint32_t> a(n);
    base = &a[0];
    ASSERT_EQ(mincore(base, n * sizeof(uint32_t), resident.data()), 0);
    size_t in_memory = 0;
    for (unsigned char r : resident) in_memory += r & 1;
    EXPECT_EQ(in_memory, resident.size());
  }
  errno = 0;
  EXPECT_EQ(mincore(base, n * sizeof(uint32_t), resident.data()), -1);
  EXPECT_EQ(errno, ENOMEM);  // not mapped any more
}

}  // namespace
}  // namespace ridgeline
