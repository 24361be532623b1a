#ifndef STROBE_OPS_AVX2_CLONES_H_
#define STROBE_OPS_AVX2_CLONES_H_

// Marks a function to be compiled twice, for baseline x86-64 (the build's target, SSE2) and for AVX2, with the
// version chosen at load time from the CPU. On cache-resident batches the wider loops matter: the blend of
// 128x1x28x28 ran 12 -> 7-8 us at one thread (docs/mixing.md).
#if defined(__x86_64__)
#define STROBE_ALSO_FOR_AVX2 __attribute__((target_clones("avx2", "default")))
#else
#define STROBE_ALSO_FOR_AVX2
#endif

#endif  // STROBE_OPS_AVX2_CLONES_H_
