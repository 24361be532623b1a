#include "app/train_command.h"

#include <ATen/Context.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "app/resume_point.h"
#include "app/run_setup.h"
#include "app/setup_watchdog.h"
#include "app/shared_initial_weights.h"
#include "app/shared_model.h"
#include "app/stop_signals.h"
#include "app/train_flags.h"
#include "coordinator/lr_options.h"
#include "coordinator/shard_plan.h"
#include "coordinator/step_control.h"
#include "ops/communicator.h"
#include "ops/progress_beacon.h"
#include "ops/rank_hosts.h"
#include "ops/status_agreement.h"
#include "ops/watched_communicator.h"
#include "worker/device_placement.h"
#include "worker/file_system.h"
#include "worker/models/sync_batch_norm.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/output/run_directory.h"
#include "worker/output/run_directory_lock.h"
#include "worker/output/tensorboard/event_file_writer.h"
#include "worker/stall_watchdog.h"
#include "worker/trainer.h"

namespace strobe {
namespace {

bool LiveProgress(const RunOptions& run, const DistributedContext& context) {
  if (run.progress != "auto") return run.progress == "live";
  return context.world_size == 1 && isatty(fileno(stdout)) != 0;
}

// Rank 0: an explicit --resume checkpoint is checked to exist before anything is created (a mistyped path leaves no
// run directory behind); then the directory is prepared and locked for the run's life.
absl::StatusOr<std::unique_ptr<RunDirectoryLock>> LockNewOrResumedRunDirectory(const TrainConfig& config,
                                                                              const DistributedContext& context) {
  const std::string& resume = config.checkpoint.resume;
  if (!resume.empty() && resume != "auto") {
    if (absl::StatusOr<VerifiedCheckpoint> manifest = OpenCheckpoint(resume); !manifest.ok()) {
      return absl::Status(manifest.status().code(), absl::StrCat("--resume: ", manifest.status().message()));
    }
  }
  const std::string config_json = config.Json(context.world_size);
  const std::string& run_dir = config.run.run_dir;
  absl::Status prepared = resume.empty() ? PrepareRunDirectory(run_dir, config_json)
                                         : PrepareResumedRunDirectory(run_dir, config_json);
  if (!prepared.ok()) return prepared;
  return RunDirectoryLock::Acquire(run_dir, context.host);
}

}  // namespace

int RunTrainCommand(const DistributedContext& context) {
  // Flags are the same on every rank (app/same_job.h, checked first), so every rank reaches the same verdict without
  // communicating.
  absl::StatusOr<TrainConfig> parsed = TrainConfigFromFlags();
  if (!parsed.ok()) return Fail(context, parsed.status(), kExitBadFlags);
  const TrainConfig& config = *parsed;
  if (absl::Status valid = config.Validate(context.world_size); !valid.ok()) {
    return Fail(context, valid, kExitBadFlags);
  }
  SetCpuThreads(config, context);
  // Every collective from here on is marked on the beacon, which the set-up's and then the stall watchdog read.
  ProgressBeacon progress;
  SetupWatchdog setup_watchdog(progress, context, config.run.setup_timeout_s);
  absl::StatusOr<c10::Device> device = ResolveTrainingDevice(config.device.device, context);
  if (!device.ok()) return Fail(context, device.status(), kExitBadFlags);
  // As in bench/gpu_train_bench, whose step is the one measured against PyTorch eager.
  if (device->is_cuda()) at::globalContext().setBenchmarkCuDNN(config.device.cudnn_benchmark);
  absl::StatusOr<std::unique_ptr<Communicator>> communicator = [&] {
    const PhaseScope connecting(&progress, RunPhase::kCollective);  // collectives of their own (NCCL's set-up)
    return ConnectRanks(context, *device, config.device.amp);
  }();
  if (!communicator.ok()) return Fail(context, communicator.status(), kExitFailure);
  WatchedCommunicator comm(**communicator, progress);
  WarnAboutUnfusedCpuKernels(comm, context, config, *device);

  absl::StatusOr<TrainData> data = LoadTrainData(config, context.world_size);
  if (absl::Status agreed = AgreeOnStatus(comm, data.status()); !agreed.ok()) {
    return Fail(context, agreed, kExitFailure);
  }
  absl::StatusOr<TrainShardPlan> plan = TrainShardPlan::Create(data->train->size(), config.run.global_batch,
                                                               context.world_size);
  if (!plan.ok()) return Fail(context, plan.status(), kExitFailure);
  absl::StatusOr<LrController> lr_controller = MakeLrController(
      config.lr, LrRunShape{config.run.global_batch, plan->steps_per_epoch(), config.run.epochs, context.world_size});
  if (!lr_controller.ok()) return Fail(context, lr_controller.status(), kExitBadFlags);

  torch::manual_seed(config.run.seed);
  absl::StatusOr<std::shared_ptr<Classifier>> model =
      MakeSharedModel(comm, config.model, config.task, *data->train, context.rank == 0);
  if (!model.ok()) return Fail(context, model.status(), ExitCodeFor(model.status()));
  if (absl::Status started = StartFromInitialWeights(comm, **model, config.model, data->train->channels(),
                                                     config.task.ModelOutputs(data->train->num_classes()),
                                                     context.rank == 0);
      !started.ok()) {
    return Fail(context, started, kExitFailure);
  }
  if (config.model.sync_bn) {  // found before anything is written
    if (absl::Status found = CheckBatchNormToSynchronise(**model, config.model.name); !found.ok()) {
      return Fail(context, found, kExitBadFlags);
    }
  }
  PlaceModel(**model, Placement{*device, config.device.channels_last, config.device.amp});

  const std::string& run_dir = config.run.run_dir;
  const std::string& resume_flag = config.checkpoint.resume;
  absl::StatusOr<std::unique_ptr<RunDirectoryLock>> lock = std::unique_ptr<RunDirectoryLock>();
  if (context.rank == 0) lock = LockNewOrResumedRunDirectory(config, context);
  if (absl::Status agreed = AgreeOnStatus(comm, lock.status()); !agreed.ok()) {
    return Fail(context, agreed, kExitFailure);
  }
  if (*lock != nullptr && !(*lock)->taken_over_from().empty()) {
    std::fprintf(stderr,
                 "strobe: warning: --run_dir=%s: took over the lock of a run that ended without releasing it (%s)\n",
                 run_dir.c_str(), (*lock)->taken_over_from().c_str());
  }
  absl::StatusOr<ResumePoint> resume = SelectResumePoint(comm, resume_flag, run_dir);
  if (!resume.ok()) return Fail(context, resume.status(), kExitFailure);
  InstallStopSignalHandlers();

  std::unique_ptr<ProgressReporter> reporter;
  if (context.rank == 0) {
    const std::string micro_batches =
        config.run.accum_steps > 1
            ? absl::StrFormat(" (%d micro-batches of %d)", config.run.accum_steps,
                              plan->local_batch() / config.run.accum_steps)
            : "";
    std::printf("strobe: training %s on %d samples, %d rank(s) x %d%s on %s (amp %s%s), %d thread(s) per rank, run "
                "dir %s\n",
                config.model.name.c_str(), static_cast<int>(data->train->size()), context.world_size,
                static_cast<int>(plan->local_batch()), micro_batches.c_str(), device->is_cpu() ? "cpu" : "cuda",
                PrecisionName(config.device.amp).c_str(), config.device.channels_last ? ", channels-last" : "",
                at::get_num_threads(), run_dir.c_str());
    reporter = std::make_unique<ProgressReporter>(stdout, LiveProgress(config.run, context),
                                                  JoinPath(run_dir, kMetricsFileName));
  }
  if (reporter != nullptr) {
    const int64_t resumed_step =
        resume->checkpoint.has_value() ? resume->checkpoint->manifest.GetInt("step").value_or(0) : -1;
    absl::StatusOr<std::unique_ptr<EventFileWriter>> events =
        EventFileWriter::Open(JoinPath(run_dir, kTensorBoardDirName), resumed_step, context.host);
    if (events.ok()) {
      reporter->WriteTensorBoard(*std::move(events));
    } else {  // TensorBoard is a view of the run, not the run: it goes on with metrics.jsonl
      reporter->Event("warning", std::max<int64_t>(resumed_step, 0),
                      absl::StrFormat("no TensorBoard output for this run: %s", events.status().message()));
    }
    for (const std::string& skipped : resume->skipped) {
      reporter->Event("warning", 0, absl::StrFormat("skipped an invalid checkpoint: %s", skipped));
    }
    if (resume_flag == "auto" && !resume->checkpoint.has_value()) {
      reporter->Event("resume", 0, "--resume=auto: no valid checkpoint yet, starting from scratch");
    }
  }
  StepCoordinator coordinator(comm, *std::move(lr_controller),
                              CheckpointCadence{config.checkpoint.every_steps, config.checkpoint.every_minutes},
                              ControlFileWatcher(run_dir), *device);
  TrainHooks hooks;
  hooks.resume_from = resume->checkpoint.has_value() ? &*resume->checkpoint : nullptr;
  hooks.local_requests = PendingStopRequest;
  hooks.progress = &progress;
  hooks.rank_hosts = GatherRankHosts(comm, context.host);
  setup_watchdog.Disarm();
  StallWatchdog watchdog(progress, run_dir, context, config.run.stall_timeout_s,
                         [] { return PendingStopRequest() != 0; });
  absl::StatusOr<TrainSummary> summary =
      RunTraining(config, *data, *plan, **model, coordinator, comm, reporter.get(), hooks);
  if (!summary.ok()) {
    if (reporter != nullptr) reporter->Record("error", progress.Read().step, std::string(summary.status().message()));
    return Fail(context, summary.status(), kExitFailure);
  }
  if (summary->stopped) {
    if (context.rank == 0) {
      std::printf("strobe: stopped on request at step %d; continue with --resume=auto (checkpoint %s)\n",
                  static_cast<int>(summary->steps), summary->last_checkpoint.c_str());
    }
    return kExitStoppedForResume;
  }
  if (context.rank == 0) {
    const EvalResult& eval = summary->final_eval;
    const std::string regression =
        config.task.regression() ? absl::StrFormat(", MAE %.4f, RMSE %.4f", eval.mae(), eval.rmse()) : "";
    const std::string ema =
        summary->final_ema_eval.has_value()
            ? absl::StrFormat(", EMA test accuracy %.4f", summary->final_ema_eval->accuracy())
            : "";
    std::printf("strobe: done: %d steps, %.1f img/s, test accuracy %.4f (%d images)%s%s\n",
                static_cast<int>(summary->steps), summary->images_per_s, eval.accuracy(),
                static_cast<int>(eval.samples), regression.c_str(), ema.c_str());
  }
  return 0;
}

}  // namespace strobe
