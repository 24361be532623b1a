#include "ops/heap_policy.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace strobe {
namespace {

constexpr int kLargestHeapBlock = 32 << 20;  // glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
constexpr int kFreeTopKeptMapped = 1 << 30;

bool UserTunedMalloc() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return true;
  for (const char* variable : {"MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"}) {
    if (std::getenv(variable) != nullptr) return true;
  }
  return false;
}

}  // namespace

bool RetainFreedHeapMemory() {
  if (UserTunedMalloc()) return false;
  // Setting either value also turns off glibc's dynamic threshold, which otherwise moves with each freed block.
  return mallopt(M_MMAP_THRESHOLD, kLargestHeapBlock) == 1 && mallopt(M_TRIM_THRESHOLD, kFreeTopKeptMapped) == 1;
}

}  // namespace strobe
