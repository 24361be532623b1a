#include "augment/mix_rng.h"

#include <cmath>

#include "ops/random_bits.h"

namespace strobe {
namespace {

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& word : s_) word = SplitMix64(seed);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

int64_t Rng::UniformInt(int64_t low, int64_t high) {
  return low + static_cast<int64_t>(UniformBelow([this] { return Next(); }, static_cast<uint64_t>(high - low)));
}

double Rng::Normal() {
  double u1 = Uniform();
  while (u1 <= 0.0) u1 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * Uniform());
}

double Rng::Gamma(double shape) {
  if (shape < 1.0) {
    // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a).
    double u = Uniform();
    while (u <= 0.0) u = Uniform();
    return Gamma(shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x = 0.0;
    double v = 0.0;
    do {
      x = Normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = Uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0.0 && std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

double Rng::Beta(double alpha, double beta) {
  const double x = Gamma(alpha);
  const double y = Gamma(beta);
  return x + y > 0.0 ? x / (x + y) : 0.5;
}

Rng RankStream::ForStep(int64_t step) const {
  uint64_t key = seed ^ (0xA0761D6478BD642FULL * (static_cast<uint64_t>(rank) + 1));
  const uint64_t mixed = SplitMix64(key) ^ (0xE7037ED1A0B428DBULL * (static_cast<uint64_t>(step) + 1));
  return Rng(mixed);
}

}  // namespace strobe
