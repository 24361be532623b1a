#include "ops/heap_policy.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace strobe {
namespace {

constexpr size_t kActivationBytes = 16 << 20;

struct HeapUse {
  size_t mapped_blocks;  // bytes in blocks malloc served with their own mmap
  size_t heap;           // bytes the heap holds from the kernel, in use or free
  size_t heap_in_use;    // bytes of the heap allocated
};

HeapUse Now() {
  const struct mallinfo2 info = mallinfo2();
  return HeapUse{info.hblkhd, info.arena, info.uordblks};
}

// What one step-like cycle leaves: allocate a block the size of an activation, write it, free it.
struct Cycle {
  HeapUse while_allocated;
  HeapUse after_free;
};

Cycle OneCycle() {
  char* block = static_cast<char*>(std::malloc(kActivationBytes));
  std::memset(block, 1, kActivationBytes);
  asm volatile("" : : "r"(block) : "memory");  // the block must really exist: no eliding malloc/memset/free
  Cycle cycle{Now(), {}};
  std::free(block);
  cycle.after_free = Now();
  return cycle;
}

TEST(HeapPolicyTest, ABlockFreedByOneStepStaysMappedForTheNext) {
  // glibc's defaults (fixed here, so earlier tests' allocations cannot have moved the dynamic threshold): the
  // block gets its own mmap, unmapped again when freed, so the next step faults in fresh pages.
  ASSERT_EQ(mallopt(M_MMAP_THRESHOLD, 128 * 1024), 1);
  ASSERT_EQ(mallopt(M_TRIM_THRESHOLD, 128 * 1024), 1);
  const HeapUse before_default = Now();
  const Cycle by_default = OneCycle();
  EXPECT_GE(by_default.while_allocated.mapped_blocks, before_default.mapped_blocks + kActivationBytes);
  EXPECT_EQ(by_default.after_free.mapped_blocks, before_default.mapped_blocks);

  ASSERT_TRUE(RetainFreedHeapMemory());
  const HeapUse before = Now();
  for (int step = 0; step < 3; ++step) {
    const Cycle cycle = OneCycle();
    EXPECT_EQ(cycle.while_allocated.mapped_blocks, before.mapped_blocks) << "step " << step;
    // Served from the heap (which may have held a free chunk that large from earlier tests, so need not grow).
    EXPECT_GE(cycle.while_allocated.heap_in_use, before.heap_in_use + kActivationBytes) << "step " << step;
    EXPECT_EQ(cycle.after_free.heap, cycle.while_allocated.heap) << "step " << step << ": the heap was trimmed";
  }
}

TEST(HeapPolicyTest, TheUsersOwnMallocTuningIsKept) {
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=0", 1), 0);
  EXPECT_FALSE(RetainFreedHeapMemory());
  unsetenv("GLIBC_TUNABLES");
  ASSERT_EQ(setenv("MALLOC_TRIM_THRESHOLD_", "0", 1), 0);
  EXPECT_FALSE(RetainFreedHeapMemory());
  unsetenv("MALLOC_TRIM_THRESHOLD_");
  EXPECT_TRUE(RetainFreedHeapMemory());
}

}  // namespace
}  // namespace strobe
