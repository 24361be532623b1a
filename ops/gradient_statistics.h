#ifndef STROBE_OPS_GRADIENT_STATISTICS_H_
#define STROBE_OPS_GRADIENT_STATISTICS_H_

namespace strobe {

// Gradient statistics of one data-parallel step, already reduced over ranks (every rank holds the same values);
// they feed gradient-noise-driven LR scaling (coordinator/adascale.h).
struct GradientStatistics {
  double mean_local_squared_norm = 0.0;  // (1/S) sum over ranks of |g_i|^2, g_i a rank's gradient before averaging
  double averaged_squared_norm = 0.0;    // |g|^2 of the averaged gradient g = (1/S) sum g_i
};

}  // namespace strobe

#endif  // STROBE_OPS_GRADIENT_STATISTICS_H_
