#ifndef STROBE_OPS_HEAP_POLICY_H_
#define STROBE_OPS_HEAP_POLICY_H_

namespace strobe {

// Keeps the memory a training step frees mapped for the next step, as PyTorch's CUDA caching allocator does for
// GPU memory. With glibc's defaults a CPU step pays for its activations twice: glibc hands the top of the heap back
// to the kernel once 128 KiB there are free (every step frees its activations at its end) and serves blocks above a
// moving threshold with fresh mmaps, so the next step page-faults and zeroes the same memory again: measured on
// resnet20, 128 images per rank, 2 ranks, about 2.4x the minor faults and twice the system time
// (docs/benchmarks.md). Blocks up to 32 MiB (glibc's largest heap threshold) now come from the heap, which is
// given back only when more than 1 GiB at its top is free. A user who tuned malloc (GLIBC_TUNABLES glibc.malloc.*,
// MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_, MALLOC_TOP_PAD_) keeps that tuning, and allocators other than
// glibc's (jemalloc or tcmalloc through LD_PRELOAD) ignore it. Returns whether the policy was applied.
bool RetainFreedHeapMemory();

}  // namespace strobe

#endif  // STROBE_OPS_HEAP_POLICY_H_
