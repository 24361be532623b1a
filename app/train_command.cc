#include "app/train_command.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <thread>

#include "absl/strings/str_format.h"
#include "app/resume_point.h"
#include "app/stop_signals.h"
#include "app/train_flags.h"
#include "coordinator/lr_schedule.h"
#include "coordinator/shard_plan.h"
#include "coordinator/step_control.h"
#include "ops/communicator.h"
#include "ops/status_agreement.h"
#include "worker/data/idx_reader.h"
#include "worker/file_system.h"
#include "worker/models/model_zoo.h"
#include "worker/output/run_directory.h"
#include "worker/trainer.h"

namespace strobe {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitBadFlags = 2;

// Errors are printed once, by rank 0, after all ranks agreed on them.
int Fail(const DistributedContext& context, const absl::Status& status, int exit_code) {
  if (context.rank == 0) std::fprintf(stderr, "strobe: error: %s\n", std::string(status.message()).c_str());
  return exit_code;
}

void SetCpuThreads(const TrainConfig& config, const DistributedContext& context) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = config.threads > 0 ? config.threads : std::max(1, cores / context.local_size);
  at::set_num_threads(threads);
}

bool LiveProgress(const TrainConfig& config, const DistributedContext& context) {
  if (config.progress != "auto") return config.progress == "live";
  return context.world_size == 1 && isatty(fileno(stdout)) != 0;
}

absl::StatusOr<TrainData> LoadData(const TrainConfig& config) {
  TrainData data;
  absl::StatusOr<ImageDataset> train = LoadMnistSplit(config.data_dir, MnistSplit::kTrain);
  if (!train.ok()) return train.status();
  absl::StatusOr<ImageDataset> test = LoadMnistSplit(config.data_dir, MnistSplit::kTest);
  if (!test.ok()) return test.status();
  data.train = *std::move(train);
  data.test = *std::move(test);
  if (config.train_samples > 0 && config.train_samples < data.train.size()) {
    data.train.images = data.train.images.slice(0, 0, config.train_samples);
    data.train.labels = data.train.labels.slice(0, 0, config.train_samples);
  }
  if (config.eval_samples > 0 && config.eval_samples < data.test.size()) {
    data.test.images = data.test.images.slice(0, 0, config.eval_samples);
    data.test.labels = data.test.labels.slice(0, 0, config.eval_samples);
  }
  data.norm = ComputeNormalization(data.train);
  return data;
}

double PeakLr(const TrainConfig& config) {
  return config.scale_lr ? LinearScaledLr(config.base_lr, config.global_batch, config.reference_batch)
                         : config.base_lr;
}

absl::StatusOr<std::unique_ptr<LrSchedule>> MakeSchedule(const TrainConfig& config, int64_t steps_per_epoch) {
  auto epochs_to_steps = [&](double epochs) {
    return static_cast<int64_t>(std::llround(epochs * static_cast<double>(steps_per_epoch)));
  };
  LrScheduleSpec spec;
  spec.kind = config.lr_schedule;
  spec.peak_lr = PeakLr(config);
  spec.total_steps = steps_per_epoch * config.epochs;
  spec.warmup_steps = std::min(spec.total_steps, config.warmup_steps >= 0 ? config.warmup_steps
                                                                          : epochs_to_steps(config.warmup_epochs));
  spec.final_lr = std::min(config.final_lr, spec.peak_lr);
  for (double epochs : config.lr_milestones) spec.milestones.push_back(epochs_to_steps(epochs));
  spec.gamma = config.lr_gamma;
  spec.power = config.lr_power;
  return MakeLrSchedule(spec);
}

absl::StatusOr<LrController> MakeLrController(const TrainConfig& config, int64_t steps_per_epoch) {
  absl::StatusOr<std::unique_ptr<LrSchedule>> schedule = MakeSchedule(config, steps_per_epoch);
  if (!schedule.ok()) return schedule.status();
  std::optional<PlateauOptions> plateau;
  if (!config.plateau_metric.empty()) {
    absl::StatusOr<PlateauMetric> metric = ParsePlateauMetric(config.plateau_metric);
    if (!metric.ok()) return metric.status();
    plateau = PlateauOptions{*metric,          config.plateau_patience,  config.plateau_factor,
                             config.plateau_cooldown, config.plateau_threshold, config.plateau_min_lr / PeakLr(config)};
    if (absl::Status valid = ValidatePlateauOptions(*plateau); !valid.ok()) return valid;
  }
  return LrController(*std::move(schedule), plateau);
}

}  // namespace

int RunTrainCommand(const DistributedContext& context) {
  // Flags are the same on every rank, so every rank reaches the same verdict without communicating.
  absl::StatusOr<TrainConfig> parsed = TrainConfigFromFlags();
  if (!parsed.ok()) return Fail(context, parsed.status(), kExitBadFlags);
  const TrainConfig& config = *parsed;
  if (absl::Status valid = ValidateTrainConfig(config, context.world_size); !valid.ok()) {
    return Fail(context, valid, kExitBadFlags);
  }
  SetCpuThreads(config, context);
  absl::StatusOr<std::unique_ptr<Communicator>> communicator = MakeCommunicator(CommBackend::kMpi, context);
  if (!communicator.ok()) return Fail(context, communicator.status(), kExitFailure);
  Communicator& comm = **communicator;

  absl::StatusOr<TrainData> data = LoadData(config);
  if (absl::Status agreed = AgreeOnStatus(comm, data.status()); !agreed.ok()) {
    return Fail(context, agreed, kExitFailure);
  }
  absl::StatusOr<TrainShardPlan> plan = TrainShardPlan::Create(data->train.size(), config.global_batch,
                                                               context.world_size);
  if (!plan.ok()) return Fail(context, plan.status(), kExitFailure);
  absl::StatusOr<LrController> lr_controller = MakeLrController(config, plan->steps_per_epoch());
  if (!lr_controller.ok()) return Fail(context, lr_controller.status(), kExitBadFlags);

  torch::manual_seed(config.seed);
  absl::StatusOr<std::shared_ptr<Classifier>> model =
      MakeModel(config.model, data->train.images.size(1), data->train.num_classes);
  if (!model.ok()) return Fail(context, model.status(), kExitBadFlags);

  absl::Status run_dir_ready = absl::OkStatus();
  if (context.rank == 0) {
    const std::string config_json = TrainConfigJson(config, context.world_size);
    run_dir_ready = config.resume.empty() ? PrepareRunDirectory(config.run_dir, config_json)
                                          : PrepareResumedRunDirectory(config.run_dir, config_json);
  }
  if (absl::Status agreed = AgreeOnStatus(comm, run_dir_ready); !agreed.ok()) {
    return Fail(context, agreed, kExitFailure);
  }
  absl::StatusOr<ResumePoint> resume = SelectResumePoint(comm, config.resume, config.run_dir);
  if (!resume.ok()) return Fail(context, resume.status(), kExitFailure);
  InstallStopSignalHandlers();

  std::unique_ptr<ProgressReporter> reporter;
  if (context.rank == 0) {
    std::printf("strobe: training %s on %d samples, %d rank(s) x %d, %d thread(s) per rank, run dir %s\n",
                config.model.c_str(), static_cast<int>(data->train.size()), context.world_size,
                static_cast<int>(plan->local_batch()), at::get_num_threads(), config.run_dir.c_str());
    reporter = std::make_unique<ProgressReporter>(
        stdout, LiveProgress(config, context),
        JoinPath(config.run_dir, kMetricsFileName));
  }
  if (reporter != nullptr) {
    for (const std::string& skipped : resume->skipped) {
      reporter->Event("warning", 0, absl::StrFormat("skipped an invalid checkpoint: %s", skipped));
    }
    if (config.resume == "auto" && !resume->checkpoint.has_value()) {
      reporter->Event("resume", 0, "--resume=auto: no valid checkpoint yet, starting from scratch");
    }
  }
  StepCoordinator coordinator(comm, *std::move(lr_controller),
                              CheckpointCadence{config.checkpoint_every_steps, config.checkpoint_every_minutes},
                              ControlFileWatcher(config.run_dir));
  TrainHooks hooks;
  hooks.resume_from = resume->checkpoint.has_value() ? &*resume->checkpoint : nullptr;
  hooks.local_requests = PendingStopRequest;
  absl::StatusOr<TrainSummary> summary = RunTraining(config, *data, **model, coordinator, comm, reporter.get(), hooks);
  if (!summary.ok()) return Fail(context, summary.status(), kExitFailure);
  if (summary->stopped) {
    if (context.rank == 0) {
      std::printf("strobe: stopped on request at step %d; continue with --resume=auto (checkpoint %s)\n",
                  static_cast<int>(summary->steps), summary->last_checkpoint.c_str());
    }
    return kExitStoppedForResume;
  }
  if (context.rank == 0) {
    std::printf("strobe: done: %d steps, %.1f img/s, test accuracy %.4f (%d images)\n",
                static_cast<int>(summary->steps), summary->images_per_s, summary->final_eval.accuracy(),
                static_cast<int>(summary->final_eval.samples));
  }
  return 0;
}

}  // namespace strobe
