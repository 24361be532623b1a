#ifndef STROBE_WORKER_MODEL_EMA_H_
#define STROBE_WORKER_MODEL_EMA_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "worker/models/classifier.h"

namespace strobe {

// An exponential moving average of the model's parameters, as timm's ModelEmaV3 with exclude_buffers: after each
// optimizer step, ema = decay x ema + (1 - decay) x parameter. BatchNorm statistics are not averaged: the EMA
// weights are evaluated with the model's own (rank-averaged) statistics, so the average is computed from the
// parameters alone, which every rank holds bitwise alike, and is itself bitwise alike on every rank.
class ModelEma {
 public:
  // `decay` in (0, 1); `warmup`: timm's use_warmup (gamma 1, power 2/3).
  ModelEma(Classifier& model, double decay, bool warmup);

  // timm's get_decay(step) for the update after `steps_done` optimizer steps (1 after the first): 0 for the first
  // (the average starts as the weights), then `decay`, or with warmup 1 - (1 + (steps_done - 1))^(-2/3) up to
  // `decay`.
  static double Decay(double decay, bool warmup, int64_t steps_done);

  // After an optimizer step: folds the model's parameters into the average.
  void Update(int64_t steps_done);
  // Starts the average over from the model's parameters (a run that turns EMA on when it resumes).
  void Reset();

  // The averages under the parameters' names (CPU copies, for a checkpoint).
  std::vector<std::pair<std::string, at::Tensor>> Averages() const;
  // Replaces the averages by saved ones, which must match the parameters one to one by name, shape and dtype.
  absl::Status Restore(const std::vector<std::pair<std::string, at::Tensor>>& saved);

  // While alive, the model's parameters hold the averages (for an evaluation); its destructor puts the trained
  // parameters back, bitwise.
  class Swapped {
   public:
    explicit Swapped(ModelEma& ema);
    ~Swapped();
    Swapped(const Swapped&) = delete;
    Swapped& operator=(const Swapped&) = delete;

   private:
    ModelEma& ema_;
    std::vector<at::Tensor> trained_;
  };

 private:
  std::vector<std::string> names_;
  std::vector<at::Tensor> parameters_;  // the model's own tensors
  std::vector<at::Tensor> averages_;
  double decay_;
  bool warmup_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_MODEL_EMA_H_
