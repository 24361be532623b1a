#ifndef STROBE_COORDINATOR_LR_SCHEDULE_H_
#define STROBE_COORDINATOR_LR_SCHEDULE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

// A learning-rate schedule: the LR for a global step. Only the coordinator (rank 0) asks it; every rank applies
// the value the coordinator broadcasts, so schedules that depend on global statistics stay consistent.
class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double LrAt(int64_t step) const = 0;
  // The SGD momentum for a step, for schedules that cycle it (one-cycle); empty: the optimizer keeps its own.
  virtual std::optional<double> MomentumAt(int64_t step) const { return std::nullopt; }
};

// The linear scaling rule (Goyal et al. 2017): base_lr x global_batch / reference_batch.
double LinearScaledLr(double base_lr, int64_t global_batch, int64_t reference_batch);

// A static schedule: linear warmup to peak_lr over warmup_steps (peak * (step + 1) / warmup_steps), then a decay
// over the remaining total_steps - warmup_steps steps, counted from 0 at the end of warmup (d = that count):
//   constant:   peak
//   cosine:     final + (peak - final) * (1 + cos(pi * d / decay_steps)) / 2, then final
//   step:       peak * gamma^(number of milestones <= d), milestones in steps after warmup
//   poly:       final + (peak - final) * (1 - d / decay_steps)^power, then final
// except onecycle (fastai's fit_one_cycle), which has its own warmup: with anneal(a, b, p) = a + (b - a)(1 - cos(pi p))/2,
//   step < warmup:  LR anneal(peak / div, peak, step / warmup),  momentum anneal(max_m, min_m, step / warmup)
//   after:          LR anneal(peak, peak / final_div, d / decay), momentum anneal(min_m, max_m, d / decay)
struct LrScheduleSpec {
  std::string kind = "cosine";
  double peak_lr = 0.1;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double final_lr = 0.0;                // cosine, poly
  std::vector<int64_t> milestones;      // step
  double gamma = 0.1;                   // step
  double power = 1.0;                   // poly
  double onecycle_div = 25.0;           // onecycle: start LR = peak / div
  double onecycle_final_div = 1e5;      // onecycle: last LR = peak / final_div
  double onecycle_min_momentum = 0.85;  // onecycle: momentum at the peak LR
  double onecycle_max_momentum = 0.95;  // onecycle: momentum at both ends
};

// Validates the spec (names the offending flag) and builds the schedule.
absl::StatusOr<std::unique_ptr<LrSchedule>> MakeLrSchedule(const LrScheduleSpec& spec);

}  // namespace strobe

#endif  // STROBE_COORDINATOR_LR_SCHEDULE_H_
