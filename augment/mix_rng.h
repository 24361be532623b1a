#ifndef STROBE_AUGMENT_MIX_RNG_H_
#define STROBE_AUGMENT_MIX_RNG_H_

#include <cstdint>

namespace strobe {

// xoshiro256** (Blackman & Vigna): small, fast, and fully specified, so draws are identical on every platform and
// standard library (std::*_distribution are not).
class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t Next();
  double Uniform();                        // [0, 1)
  int64_t UniformInt(int64_t low, int64_t high);  // [low, high)
  double Normal();                         // standard normal (Box-Muller)
  double Gamma(double shape);              // Marsaglia & Tsang 2000, scale 1
  double Beta(double alpha, double beta);  // via two gammas

 private:
  uint64_t s_[4];
};

// A rank's augmentation stream: the generator for step s is a pure function of (seed, rank, s), so ranks draw
// differently, runs repeat from the seed, and the whole state to checkpoint is these three numbers.
struct RankStream {
  uint64_t seed = 0;
  int rank = 0;

  Rng ForStep(int64_t step) const;
};

}  // namespace strobe

#endif  // STROBE_AUGMENT_MIX_RNG_H_
