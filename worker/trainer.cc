#include "worker/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <utility>

#include "absl/strings/str_format.h"
#include "augment/mixer.h"
#include "augment/soft_targets.h"
#include "coordinator/shard_plan.h"
#include "ops/gradient_bucketer.h"
#include "worker/optimizer.h"
#include "worker/training_step.h"

namespace strobe {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

torch::Tensor PermutationTensor(int64_t num_samples, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order = EpochPermutation(num_samples, seed, epoch);
  return torch::from_blob(order.data(), {num_samples}, torch::kLong).clone();
}

// No mixer (nullptr) unless a mixing method is enabled.
absl::StatusOr<std::unique_ptr<Mixer>> MakeMixer(const TrainConfig& config, int64_t num_classes,
                                                 Communicator& communicator) {
  if (!config.mix.enabled()) return std::unique_ptr<Mixer>();
  MixOptions mix = config.mix;
  mix.label_smoothing = config.label_smoothing;
  mix.num_classes = num_classes;
  return Mixer::Create(mix, RankStream{config.seed, communicator.rank()}, communicator);
}

// This rank's images and targets for one step: gathered, normalised, then mixed (collective under ring
// partners) or label-smoothed.
std::pair<torch::Tensor, torch::Tensor> PrepareBatch(const TrainConfig& config, const TrainData& data,
                                                     const torch::Tensor& indices, Mixer* mixer, int64_t step,
                                                     int64_t epoch) {
  torch::Tensor images = GatherImages(data.train, indices, data.norm);
  torch::Tensor labels = data.train.labels.index_select(0, indices);
  if (mixer != nullptr) {
    MixResult mixed = mixer->Mix(images, labels, step, epoch);
    return {std::move(mixed.images), std::move(mixed.targets)};
  }
  if (config.label_smoothing > 0) {
    return {images, SmoothedOneHot(labels, data.train.num_classes, config.label_smoothing)};
  }
  return {images, labels};
}

}  // namespace

absl::StatusOr<TrainSummary> RunTraining(const TrainConfig& config, const TrainData& data, Classifier& model,
                                         StepCoordinator& coordinator, Communicator& communicator,
                                         ProgressReporter* reporter) {
  absl::StatusOr<TrainShardPlan> plan =
      TrainShardPlan::Create(data.train.size(), config.global_batch, communicator.world_size());
  if (!plan.ok()) return plan.status();

  std::vector<torch::Tensor> state = model.parameters();
  for (const torch::Tensor& buffer : model.buffers()) state.push_back(buffer);
  BroadcastTensors(communicator, state, /*root=*/0);

  std::unique_ptr<torch::optim::SGD> optimizer = MakeSgd(model, config.sgd);
  GradientBucketer bucketer(communicator, model.parameters(), config.bucket_cap_bytes);
  TrainingStep training_step(model, *optimizer, bucketer);
  absl::StatusOr<std::unique_ptr<Mixer>> mixer = MakeMixer(config, data.train.num_classes, communicator);
  if (!mixer.ok()) return mixer.status();

  const int64_t total_steps = plan->steps_per_epoch() * config.epochs;
  TrainSummary summary;
  double training_seconds = 0.0;
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < config.epochs; ++epoch) {
    const torch::Tensor order = PermutationTensor(data.train.size(), config.seed, epoch);
    double window_loss = 0.0;
    int64_t window_steps = 0;
    Clock::time_point window_start = Clock::now();
    for (int64_t s = 0; s < plan->steps_per_epoch(); ++s) {
      const StepControl control = coordinator.Decide(step);
      const SampleRange slice = plan->RankSlice(s, communicator.rank());
      const torch::Tensor indices = order.slice(0, slice.begin, slice.end);
      const auto [images, targets] = PrepareBatch(config, data, indices, mixer->get(), step, epoch);
      window_loss += training_step.Run(images, targets, control.lr);
      ++window_steps;
      ++step;
      if (step % config.log_every != 0 && s + 1 != plan->steps_per_epoch()) continue;

      torch::Tensor loss = torch::tensor({window_loss / window_steps}, torch::kDouble);
      communicator.AllReduce(loss, ReduceOp::kAverage);
      const double seconds = SecondsSince(window_start);
      training_seconds += seconds;
      if (!std::isfinite(loss.item<double>())) {
        return absl::InternalError(absl::StrFormat(
            "training diverged at step %d: the loss is %f (try a lower --lr or a longer warmup)", step,
            loss.item<double>()));
      }
      if (reporter != nullptr) {
        const double images_per_s = window_steps * config.global_batch / std::max(seconds, 1e-9);
        reporter->Train(TrainProgress{epoch, config.epochs, step, total_steps, loss.item<double>(), control.lr,
                                      images_per_s, training_seconds / step * (total_steps - step)});
      }
      window_loss = 0.0;
      window_steps = 0;
      window_start = Clock::now();
    }
    SyncModelBuffers(model, communicator);
    summary.final_eval = EvaluateDistributed(model, data.test, data.norm, communicator, config.eval_batch);
    if (reporter != nullptr) {
      reporter->Eval(EvalProgress{epoch, step, summary.final_eval.samples, summary.final_eval.mean_loss(),
                                  summary.final_eval.accuracy()});
    }
  }
  summary.steps = step;
  summary.images_per_s = step * config.global_batch / std::max(training_seconds, 1e-9);
  return summary;
}

}  // namespace strobe
