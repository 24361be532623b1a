#ifndef STROBE_COORDINATOR_LR_SCHEDULE_H_
#define STROBE_COORDINATOR_LR_SCHEDULE_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"

namespace strobe {

// A learning-rate schedule: the LR for a global step. Only the coordinator (rank 0) asks it; every rank applies
// the value the coordinator broadcasts, so schedules that depend on global statistics stay consistent.
class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double LrAt(int64_t step) const = 0;
};

// The linear scaling rule (Goyal et al. 2017): base_lr x global_batch / reference_batch.
double LinearScaledLr(double base_lr, int64_t global_batch, int64_t reference_batch);

struct WarmupCosineOptions {
  double peak_lr = 0.1;
  int64_t warmup_steps = 0;  // LR rises linearly to peak_lr over these steps: peak * (step + 1) / warmup
  int64_t total_steps = 1;   // cosine decays from peak_lr at the end of warmup to final_lr at total_steps
  double final_lr = 0.0;
};

// Linear warmup, then half a cosine wave down to final_lr.
class WarmupCosineSchedule final : public LrSchedule {
 public:
  static absl::StatusOr<std::unique_ptr<WarmupCosineSchedule>> Create(const WarmupCosineOptions& options);
  double LrAt(int64_t step) const override;

 private:
  explicit WarmupCosineSchedule(const WarmupCosineOptions& options) : options_(options) {}
  WarmupCosineOptions options_;
};

}  // namespace strobe

#endif  // STROBE_COORDINATOR_LR_SCHEDULE_H_
