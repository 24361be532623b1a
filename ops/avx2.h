#ifndef STROBE_OPS_AVX2_H_
#define STROBE_OPS_AVX2_H_

// AVX2 for the mixing kernels and the image resampler in a build that targets baseline x86-64 (SSE2): code is
// compiled for AVX2 as well and chosen at run time from the CPU.
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cstdint>

// Marks a function to be compiled twice, for baseline x86-64 and for AVX2, with the version chosen at load time. On
// cache-resident batches the wider loops matter: the blend of 128x1x28x28 ran 12 -> 7-8 us at one thread
// (docs/mixing.md).
#if defined(__x86_64__)
#define STROBE_ALSO_FOR_AVX2 __attribute__((target_clones("avx2", "default")))
#else
#define STROBE_ALSO_FOR_AVX2
#endif

// For kernels that must round as LibTorch's vectorised kernels do (fused multiply-adds where they use them): compiled
// for AVX2 + FMA, run only where CpuRunsAvx2FmaKernels(). On another architecture they are compiled for its baseline,
// and the self-checks of their callers decide whether they match LibTorch there.
#if defined(__x86_64__)
#define STROBE_FOR_AVX2_FMA __attribute__((target("avx2,fma")))
#else
#define STROBE_FOR_AVX2_FMA
#endif

namespace strobe {

#if defined(__x86_64__)
inline bool CpuRunsAvx2FmaKernels() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
#else
inline bool CpuRunsAvx2FmaKernels() { return true; }
#endif

#if defined(__x86_64__)
inline bool CpuHasAvx2() {
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  return has_avx2;
}

// A blend mask over the 8 pixels from column `first`: the lanes whose columns lie in [begin, end).
__attribute__((target("avx2"))) inline __m256 LanesIn(int64_t first, int64_t begin, int64_t end) {
  const __m256i columns = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(first)),
                                           _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256i before = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(begin)), columns);
  const __m256i inside_end = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(end)), columns);
  return _mm256_castsi256_ps(_mm256_andnot_si256(before, inside_end));
}
#endif

}  // namespace strobe

#endif  // STROBE_OPS_AVX2_H_
