#ifndef STROBE_OPS_RANDOM_BITS_H_
#define STROBE_OPS_RANDOM_BITS_H_

// Fully specified integer randomness shared by the sample order and the augmentation streams, so both are the
// same on every platform and standard library.
#include <cstdint>

namespace strobe {

// SplitMix64 (Steele, Lea & Flood 2014): advances `state` and returns the next 64 random bits.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Uniform in [0, bound) from a source of 64 random bits, without modulo bias (Lemire 2019's rejection method).
template <typename NextBits>
uint64_t UniformBelow(NextBits&& next, uint64_t bound) {
  const uint64_t threshold = -bound % bound;
  while (true) {
    const unsigned __int128 product = static_cast<unsigned __int128>(next()) * bound;
    if (static_cast<uint64_t>(product) >= threshold) return static_cast<uint64_t>(product >> 64);
  }
}

}  // namespace strobe

#endif  // STROBE_OPS_RANDOM_BITS_H_
