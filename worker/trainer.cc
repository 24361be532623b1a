#include "worker/trainer.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "augment/mixer.h"
#include "augment/soft_targets.h"
#include "coordinator/shard_plan.h"
#include "ops/gradient_bucketer.h"
#include "ops/started_gather.h"
#include "ops/status_agreement.h"
#include "worker/checkpoint/checkpoint_commit.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/checkpoint/manifest.h"
#include "worker/device_placement.h"
#include "worker/epoch_order.h"
#include "worker/file_system.h"
#include "worker/imagenet/image_size_schedule.h"
#include "worker/models/fuse_batch_norm_relu.h"
#include "worker/models/sync_batch_norm.h"
#include "worker/models/torchscript_model.h"
#include "worker/optimizer.h"
#include "worker/step_breakdown.h"
#include "worker/training_state.h"
#include "worker/training_step.h"

namespace strobe {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// No mixer (nullptr) unless a mixing method is enabled.
absl::StatusOr<std::unique_ptr<Mixer>> MakeMixer(const TrainConfig& config, int64_t num_classes,
                                                 Communicator& communicator) {
  if (!config.mix.enabled()) return std::unique_ptr<Mixer>();
  return Mixer::Create(config.mix, num_classes, RankStream{config.run.seed, communicator.rank()}, communicator);
}

// The mixing weights λ drawn since the last report on this rank.
struct LambdaSums {
  double sum = 0.0;
  double squares = 0.0;
  int64_t count = 0;

  void Add(const std::vector<SampleMix>& plan) {
    for (const SampleMix& sample : plan) {
      sum += sample.lam;
      squares += static_cast<double>(sample.lam) * sample.lam;
    }
    count += static_cast<int64_t>(plan.size());
  }
};

// This rank's images and targets for one step: the fetched batch mixed (collective under ring partners) or
// label-smoothed; for regression the labels' values, mixed with the images' lambda.
std::pair<torch::Tensor, torch::Tensor> PrepareTargets(const MixOptions& mix, const TaskOptions& task, Batch batch,
                                                       int64_t num_classes, Mixer* mixer, int64_t step, int64_t epoch,
                                                       LambdaSums& lambdas) {
  const torch::Tensor targets = task.Targets(batch.labels);
  if (mixer != nullptr) {
    MixResult mixed = mixer->Mix(batch.images, targets, step, epoch);
    lambdas.Add(mixed.plan);
    return {std::move(mixed.images), std::move(mixed.targets)};
  }
  if (mix.label_smoothing > 0) return {batch.images, SmoothedOneHot(batch.labels, num_classes, mix.label_smoothing)};
  return {batch.images, targets};
}

// Appends "STEP LR INDEX..." per step to RUN_DIR/trace/rank-NNNNN.txt (--trace): what this rank applied and
// trained on, which tests compare across ranks (identical LRs) and across resumes (identical sample order).
class StepTrace {
 public:
  StepTrace(const RunOptions& run, int rank) {
    if (!run.trace) return;
    const std::string dir = JoinPath(run.run_dir, "trace");
    if (!MakeDirectories(dir).ok()) return;
    file_ = std::fopen(JoinPath(dir, absl::StrFormat("rank-%05d.txt", rank)).c_str(), "a");
  }
  ~StepTrace() {
    if (file_ != nullptr) std::fclose(file_);
  }
  StepTrace(const StepTrace&) = delete;
  StepTrace& operator=(const StepTrace&) = delete;

  void Record(int64_t step, double lr, const torch::Tensor& indices) {
    if (file_ == nullptr) return;
    const int64_t* index = indices.data_ptr<int64_t>();
    std::fprintf(file_, "%lld %.17g %s\n", static_cast<long long>(step), lr,
                 absl::StrJoin(index, index + indices.numel(), " ").c_str());
    std::fflush(file_);
  }

 private:
  std::FILE* file_ = nullptr;
};

// Buckets start during backward unless the LR controller needs the local gradients' statistics.
BucketerOptions BucketOptions(const DeviceOptions& device, bool measure_gradients) {
  BucketerOptions options(device.bucket_cap_bytes());
  options.overlap = !measure_gradients;
  // Without overlap a bucket more only costs.
  if (options.overlap) options.small_model_buckets = kSmallModelBuckets;
  if (device.grad_compression != Precision::kFloat32) options.wire_dtype = PrecisionDtype(device.grad_compression);
  return options;
}

// What the checkpoints of this run record and check on resume.
CheckpointedRun DescribeRun(const TrainConfig& config, const TrainShardPlan& plan, int64_t dataset_size,
                            int world_size) {
  CheckpointedRun run;
  run.run_dir = config.run.run_dir;
  run.model = config.model.name;
  run.seed = config.run.seed;
  run.global_batch = config.run.global_batch;
  run.data_order = config.SampleOrder(world_size).Name();
  run.mix_partners = config.mix.enabled() ? PartnerPolicyName(config.mix.partners) : "none";
  run.image_size_schedule = config.data.TrainSizeSchedule().ToString();
  run.dataset_size = dataset_size;
  run.steps_per_epoch = plan.steps_per_epoch();
  run.config_json = config.Json(world_size);
  return run;
}

// On a GPU the step breakdown waits for the device at each mark of a sampled step; on the CPU it needs no wait.
StepTimer MakeStepTimer(const torch::Device& device) {
  if (device.is_cpu()) return StepTimer();
  return StepTimer([] { torch::cuda::synchronize(); });
}

// What each rank contributes to a report, gathered with the gradients of the report's last step: its losses before
// that step and the step's own apart (the window counts the step only if its averaged gradients are finite, which
// is known after the all-reduce), its data wait and mixing weights, and where its ended steps' time went.
enum WindowField : int {
  kFieldLossSum = 0,   // the window's losses before the report's step
  kFieldLossSteps,     // and their number
  kFieldStepLossSum,   // the report's step: the sum of its micro-batches' losses
  kFieldDataWaitShare,
  kFieldLambdaSum,
  kFieldLambdaSquares,
  kFieldLambdaCount,
  kFieldTimedSteps,
  kFieldFirstPart,
  kWindowFields = kFieldFirstPart + kStepParts,
};

// One run of the training loop; see RunTraining.
class TrainLoop {
 public:
  TrainLoop(const TrainConfig& config, const TrainData& data, Classifier& model, StepCoordinator& coordinator,
            Communicator& communicator, ProgressReporter* reporter, const TrainHooks& hooks,
            const TrainShardPlan& plan, Optimizer& optimizer, std::unique_ptr<Mixer> mixer, ModelEma* ema)
      : config_(config),
        data_(data),
        communicator_(communicator),
        reporter_(reporter),
        hooks_(hooks),
        plan_(plan),
        run_(DescribeRun(config, plan, data.train->size(), communicator.world_size())),
        order_(config.SampleOrder(communicator.world_size())),
        placement_{model.parameters().front().device(), config.device.channels_last, config.device.amp},
        measure_gradients_(coordinator.controller().uses_gradient_statistics()),
        bucketer_(communicator, model.parameters(), BucketOptions(config.device, measure_gradients_)),
        training_step_(model, optimizer, bucketer_, config.device.amp),
        mixer_(std::move(mixer)),
        state_{model, optimizer, mixer_.get(), coordinator, DataPosition{}, LossWindow{},
               training_step_.loss_scaler(), ema},
        trace_(config.run, communicator.rank()),
        timer_(MakeStepTimer(placement_.device)) {
    if (measure_gradients_) training_step_.MeasureGradients();
    training_step_.TimeWith(&timer_);
    training_step_.UseTask(config.task);
    training_step_.UseAccumulation(config.run.accum_steps);
  }

  absl::StatusOr<TrainSummary> Run();

 private:
  absl::Status Start();
  absl::Status ActOnRequestsAtStart();
  absl::Status ActOnRequests(bool epoch_end_checkpoint_follows);
  absl::Status TrainEpoch(const torch::Tensor& order);
  // This rank's sample indices for the global batch that starts `epoch_samples_done` samples into `order`.
  torch::Tensor RankIndices(const torch::Tensor& order, int64_t epoch_samples_done) const;
  // Whether the step about to run ends a report window.
  bool ReportsAfterNextStep() const;
  // Collective, between the report's step's forward and backward: starts gathering every rank's window fields (see
  // WindowField) with the step's gradients.
  void StartReport(const at::Tensor& step_loss_sum);
  // After the report's step: the global loss from the gathered fields, printed and acted on.
  absl::Status ReportWindow(const torch::Tensor& windows, bool step_counted);
  // A rank's mean loss over the window from its fields, the bits that rank computes from its own window.
  double WindowMean(const torch::Tensor& fields, bool step_counted) const;
  void PrintProgress(const torch::Tensor& windows, double global_loss, double seconds);
  absl::Status EndEpoch();
  // Collective: the test split's evaluation of the trained weights (BatchNorm statistics synchronised first) and,
  // with --ema_decay, of their average with the same statistics, into summary_.
  void EvaluateBoth();
  static EvalScores Scores(const EvalResult& eval);
  // Collective: the images replaced because they could not be read (each counted once over all ranks), as an event.
  void ReportUnreadable();
  int64_t CountUnreadableOnAllRanks(const UnreadableSamples& local);
  absl::Status Save(const EvalResult* eval);
  // A step whose averaged gradients were not finite (its update was skipped): within --nonfinite=skip's budget an
  // event; beyond it, or with --nonfinite=stop, the later checkpoints are set aside and the run ends with an error.
  absl::Status OnNonFiniteStep(double local_loss);
  absl::Status CheckIdenticalWeights();
  // With --image_size_schedule: an event when this epoch's training crops differ in size from the last epoch's
  // (or the run starts).
  void AnnounceImageSize();
  void Event(const std::string& kind, const std::string& message) {
    if (reporter_ != nullptr) reporter_->Event(kind, state_.position.step, message);
  }

  const TrainConfig& config_;
  const TrainData& data_;
  Communicator& communicator_;
  ProgressReporter* reporter_;
  const TrainHooks& hooks_;
  const TrainShardPlan& plan_;
  const CheckpointedRun run_;
  const EpochOrderSpec order_;
  const Placement placement_;
  const bool measure_gradients_;
  GradientBucketer bucketer_;
  TrainingStep training_step_;
  std::unique_ptr<Mixer> mixer_;
  TrainingState state_;
  StepTrace trace_;
  StepTimer timer_;
  StartedGather report_gather_;
  LambdaSums window_lambdas_;
  TrainSummary summary_;
  uint32_t requested_ = 0;  // the flags of the last step's control word, acted on at the next step boundary
  double training_seconds_ = 0.0;
  int64_t steps_timed_ = 0;
  double last_lr_ = 0.0;
  double last_momentum_ = 0.0;
  Clock::time_point window_start_ = Clock::now();
  double window_data_wait_ = 0.0;  // seconds this rank's steps waited for their batches since the last report
  bool evaluated_ = false;
  int64_t skipped_steps_ = 0;         // non-finite steps of this run (since its start or resume)
  int64_t first_nonfinite_step_ = -1;  // -1: none yet
  bool checkpoint_postponed_ = false;  // a periodic checkpoint fell on a skipped step (ActOnRequests)
  int64_t resumed_step_ = -1;          // the step of the checkpoint this run resumed from; -1: a new run
  int announced_image_size_ = 0;       // the training crop side of the last AnnounceImageSize event
};

absl::Status TrainLoop::Start() {
  if (hooks_.resume_from == nullptr) {
    BroadcastInitialWeights(state_.model, communicator_);
    if (state_.ema != nullptr) state_.ema->Reset();  // from rank 0's weights, as every rank's
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> resumed = RestoreTrainingState(*hooks_.resume_from, run_, communicator_, state_);
  if (absl::Status agreed = AgreeOnStatus(communicator_, resumed.status()); !agreed.ok()) return agreed;
  state_.coordinator.CheckpointSaved(state_.position.step);  // it was saved here: no second save at this step
  resumed_step_ = state_.position.step;
  Event("resume", *resumed);
  return absl::OkStatus();
}

absl::Status TrainLoop::Save(const EvalResult* eval) {
  checkpoint_postponed_ = false;
  PhaseScope phase(hooks_.progress, RunPhase::kCheckpoint);
  const Clock::time_point start = Clock::now();
  if (absl::Status finite = CheckStateFinite(communicator_, state_); !finite.ok()) {
    Event("warning", absl::StrFormat("checkpoint at step %d not saved: %s", state_.position.step, finite.message()));
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> committed = SaveTrainingState(communicator_, run_, state_, eval);
  if (!committed.ok()) return committed.status();
  state_.coordinator.CheckpointSaved(state_.position.step);
  summary_.last_checkpoint = *committed;
  std::string message = absl::StrFormat("checkpoint saved: %s (%.0f ms)", *committed, 1e3 * SecondsSince(start));
  if (communicator_.rank() == 0) {
    absl::StatusOr<std::vector<std::string>> deleted = ApplyRetention(
        config_.run.run_dir, config_.checkpoint.keep, config_.checkpoint.keep_best, first_nonfinite_step_);
    // Retention failing costs disk space, not the run: report it and go on.
    if (!deleted.ok()) absl::StrAppendFormat(&message, " (retention failed: %s)", deleted.status().message());
  }
  Event("checkpoint", message);
  return absl::OkStatus();
}

// The invariant of synchronous data parallelism, checked at the end of every run: all ranks hold bit-identical
// parameters (a CRC-32 of each rank's, gathered). A mismatch means a rank diverged (a backend bug, a flipped bit).
absl::Status TrainLoop::CheckIdenticalWeights() {
  uint32_t crc = 0;
  for (const at::Tensor& parameter : state_.model.parameters()) {
    const at::Tensor bytes = parameter.detach().cpu().contiguous();
    crc = Crc32Extend(crc, absl::string_view(static_cast<const char*>(bytes.data_ptr()), bytes.nbytes()));
  }
  const at::Tensor all = communicator_.AllGather(at::full({1}, static_cast<int64_t>(crc), at::kLong));
  for (int rank = 1; rank < communicator_.world_size(); ++rank) {
    if (all[rank].item<int64_t>() != all[0].item<int64_t>()) {
      return absl::InternalError(absl::StrFormat(
          "ranks hold different weights after step %d: rank %d's parameters differ from rank 0's (CRC-32 %08x vs "
          "%08x)", state_.position.step, rank, all[rank].item<int64_t>(), all[0].item<int64_t>()));
    }
  }
  Event("check", absl::StrFormat("weights identical on all %d ranks (CRC-32 %08x)", communicator_.world_size(), crc));
  return absl::OkStatus();
}

absl::Status TrainLoop::OnNonFiniteStep(double local_loss) {
  const int64_t step = state_.position.step;
  if (first_nonfinite_step_ < 0) first_nonfinite_step_ = step;
  ++skipped_steps_;
  const RunOptions& run = config_.run;
  if (run.nonfinite == "skip" && skipped_steps_ <= run.max_skipped_steps) {
    Event("nonfinite", absl::StrFormat("step %d: the averaged gradients are not finite (this rank's loss %g); update "
                                       "skipped on every rank (%d of --max_skipped_steps=%d)",
                                       step, local_loss, skipped_steps_, run.max_skipped_steps));
    return absl::OkStatus();
  }
  // A resumed run whose very first step is not finite started from a checkpoint that carries the cause (weights
  // a runaway LR already ruined, or the LR override itself): it is set aside too, so the next resume walks back.
  const int64_t set_aside_from =
      first_nonfinite_step_ == resumed_step_ + 1 ? resumed_step_ : first_nonfinite_step_;
  std::string set_aside = "none";
  if (communicator_.rank() == 0) {
    absl::StatusOr<std::vector<std::string>> moved = SetAsideCheckpointsFrom(run.run_dir, set_aside_from);
    if (!moved.ok()) {
      set_aside = absl::StrCat("failed: ", moved.status().message());
    } else if (!moved->empty()) {
      set_aside = absl::StrJoin(*moved, ", ");
    }
  }
  const std::string why = run.nonfinite == "stop"
                              ? std::string("--nonfinite=stop")
                              : absl::StrFormat("%d steps skipped, more than --max_skipped_steps=%d", skipped_steps_,
                                                run.max_skipped_steps);
  const std::string message = absl::StrFormat(
      "training diverged: the averaged gradients of step %d are not finite (%s; the first was step %d). Checkpoints "
      "from step %d on set aside: %s. Lower --lr (and check RUN_DIR/control.applied), then continue with "
      "--resume=auto: it resumes the newest checkpoint from before step %d",
      step, why, first_nonfinite_step_, set_aside_from, set_aside, set_aside_from);
  return absl::InternalError(message);
}

bool TrainLoop::ReportsAfterNextStep() const {
  const DataPosition& position = state_.position;
  return (position.step + 1) % config_.run.log_every == 0 ||
         !plan_.HasBatchAt(position.epoch_samples_done + config_.run.global_batch);
}

void TrainLoop::StartReport(const at::Tensor& step_loss_sum) {
  const double seconds = SecondsSince(window_start_);
  const StepWindow steps = timer_.TakeWindow();
  // Pinned on a GPU, so that the row goes to the device without waiting for the forward pass queued there.
  const bool on_gpu = placement_.device.is_cuda();
  torch::Tensor mine = torch::zeros({kWindowFields}, torch::TensorOptions(torch::kDouble).pinned_memory(on_gpu));
  double* field = mine.data_ptr<double>();
  field[kFieldLossSum] = state_.loss_window.sum;
  field[kFieldLossSteps] = static_cast<double>(state_.loss_window.steps);
  field[kFieldDataWaitShare] = window_data_wait_ / std::max(seconds, 1e-9);
  field[kFieldLambdaSum] = window_lambdas_.sum;
  field[kFieldLambdaSquares] = window_lambdas_.squares;
  field[kFieldLambdaCount] = static_cast<double>(window_lambdas_.count);
  field[kFieldTimedSteps] = static_cast<double>(steps.steps);
  for (int part = 0; part < kStepParts; ++part) field[kFieldFirstPart + part] = steps.seconds_per_step[part];
  window_data_wait_ = 0.0;
  window_lambdas_ = LambdaSums{};
  torch::Tensor row = mine.to(placement_.device, /*non_blocking=*/on_gpu);
  row.narrow(0, kFieldStepLossSum, 1).copy_(step_loss_sum.reshape({1}));  // float32 to float64: exact
  report_gather_.Start(communicator_, row);
}

double TrainLoop::WindowMean(const torch::Tensor& fields, bool step_counted) const {
  double sum = fields[kFieldLossSum].item<double>();
  double steps = fields[kFieldLossSteps].item<double>();
  if (step_counted) {  // as the step's loss entered the rank's own window
    sum += fields[kFieldStepLossSum].item<double>() / static_cast<double>(training_step_.micro_batches());
    steps += 1;
  }
  return sum / steps;
}

absl::Status TrainLoop::ReportWindow(const torch::Tensor& windows, bool step_counted) {
  LossWindow& window = state_.loss_window;
  const double seconds = SecondsSince(window_start_);
  training_seconds_ += seconds;
  window_start_ = Clock::now();  // the report's other numbers were taken for this window as it left (StartReport)
  if (window.steps == 0) {  // every step since the last report was skipped, on every rank alike: nothing to print
    // A hook that watches the loss (lr-find's divergence test) sees the skipped steps as a non-finite loss.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (hooks_.after_report && !hooks_.after_report(LossReport{state_.position.step, last_lr_, nan})) {
      summary_.ended_by_hook = true;
    }
    return absl::OkStatus();
  }
  // Summed in rank order on every rank: the same bits everywhere, so every rank decides alike on it.
  double global_loss = 0.0;
  for (int rank = 0; rank < communicator_.world_size(); ++rank) global_loss += WindowMean(windows[rank], step_counted);
  global_loss /= communicator_.world_size();
  if (hooks_.after_report && !hooks_.after_report(LossReport{state_.position.step, last_lr_, global_loss})) {
    summary_.ended_by_hook = true;
    return absl::OkStatus();
  }
  if (!std::isfinite(global_loss)) {
    return absl::InternalError(absl::StrFormat(
        "training diverged at step %d: the loss is %f (try a lower --lr or a longer warmup)", state_.position.step,
        global_loss));
  }
  if (reporter_ != nullptr) PrintProgress(windows, global_loss, seconds);
  if (state_.coordinator.ObserveGlobal(PlateauMetric::kTrainLoss, global_loss)) {
    Event("lr", absl::StrFormat("plateau in train_loss: LR scale now %g",
                                state_.coordinator.controller().state().plateau.scale));
  }
  window = LossWindow{};
  return absl::OkStatus();
}

void TrainLoop::PrintProgress(const torch::Tensor& windows, double global_loss, double seconds) {
  const LossWindow& window = state_.loss_window;
  const int64_t total_steps = plan_.steps_per_epoch() * config_.run.epochs;
  TrainProgress progress;
  progress.epoch = state_.position.epoch;
  progress.epochs = config_.run.epochs;
  progress.step = state_.position.step;
  progress.total_steps = total_steps;
  progress.samples = state_.position.step * config_.run.global_batch;
  progress.loss = global_loss;
  progress.lr = last_lr_;
  progress.momentum = last_momentum_;
  progress.images_per_s = window.steps * config_.run.global_batch / std::max(seconds, 1e-9);
  // The slowest rank's wait is what the synchronous step pays.
  progress.data_wait = windows.select(1, kFieldDataWaitShare).max().item<double>();
  progress.eta_seconds = training_seconds_ / std::max<int64_t>(steps_timed_, 1) * (total_steps - state_.position.step);
  progress.skipped_steps = skipped_steps_;
  if (measure_gradients_) progress.adascale_gain = state_.coordinator.controller().state().adascale.gain;
  const double lambda_count = windows.select(1, kFieldLambdaCount).sum().item<double>();
  if (lambda_count > 0) {
    const double mean = windows.select(1, kFieldLambdaSum).sum().item<double>() / lambda_count;
    const double squares = windows.select(1, kFieldLambdaSquares).sum().item<double>() / lambda_count;
    progress.mix_lambda = MixLambdaStats{mean, std::sqrt(std::max(0.0, squares - mean * mean))};
  }
  std::vector<StepWindow> ranks(communicator_.world_size());
  bool every_rank_timed = true;
  for (int rank = 0; rank < communicator_.world_size(); ++rank) {
    ranks[rank].steps = static_cast<int64_t>(windows[rank][kFieldTimedSteps].item<double>());
    every_rank_timed = every_rank_timed && ranks[rank].steps > 0;
    for (int part = 0; part < kStepParts; ++part) {
      ranks[rank].seconds_per_step[part] = windows[rank][kFieldFirstPart + part].item<double>();
    }
  }
  if (every_rank_timed) {
    progress.breakdown = ReduceBreakdown(ranks);
    const size_t slowest = static_cast<size_t>(progress.breakdown->slowest_rank);
    if (slowest < hooks_.rank_hosts.size()) progress.slowest_host = hooks_.rank_hosts[slowest];
  }
  reporter_->Train(progress);
}

absl::Status TrainLoop::TrainEpoch(const torch::Tensor& order) {
  DataPosition& position = state_.position;
  ProgressBeacon* progress = hooks_.progress;
  while (plan_.HasBatchAt(position.epoch_samples_done)) {
    if (progress != nullptr) progress->SetStep(position.step);
    // On a GPU the step before a report's is timed: the report leaves during its own step.
    timer_.BeginStep(/*sampled=*/(position.step + 2) % config_.run.log_every == 0);
    const bool reports = ReportsAfterNextStep();
    if (requested_ != 0) {
      if (absl::Status acted = ActOnRequests(/*epoch_end_checkpoint_follows=*/false); !acted.ok()) return acted;
      timer_.Mark(StepPart::kCheckpoint);
      if (summary_.stopped) return absl::OkStatus();
    }
    const uint32_t local = hooks_.local_requests ? hooks_.local_requests() : 0;
    PhaseScope control_phase(progress, RunPhase::kStepControl);
    state_.coordinator.Begin(position.step, local);
    timer_.Mark(StepPart::kControl);
    const torch::Tensor indices = RankIndices(order, position.epoch_samples_done);
    const BatchDraw draw{config_.run.seed, position.epoch, /*augment=*/true};
    // The next batches are decoded while this one trains (sources that decode; others ignore the hint).
    for (int64_t ahead = 1; ahead <= config_.data.prefetch_batches; ++ahead) {
      const int64_t samples = position.epoch_samples_done + ahead * config_.run.global_batch;
      if (plan_.HasBatchAt(samples)) data_.train->Prefetch(RankIndices(order, samples), draw);
    }
    timer_.Mark(StepPart::kOther);
    const Clock::time_point fetch_start = Clock::now();
    Batch batch = [&] {
      PhaseScope data_phase(progress, RunPhase::kData);
      return FetchBatch(*data_.train, indices, draw);
    }();
    window_data_wait_ += SecondsSince(fetch_start);
    timer_.Mark(StepPart::kDataWait);
    PhaseScope compute_phase(progress, RunPhase::kCompute);
    batch.images = data_.train->Normalize(placement_.ToDevice(batch.images));  // mixing runs on the device batch
    batch.labels = placement_.ToDevice(batch.labels);
    const auto [images, targets] = PrepareTargets(config_.mix, config_.task, std::move(batch),
                                                  data_.train->num_classes(), mixer_.get(), position.step,
                                                  position.epoch, window_lambdas_);
    timer_.Mark(StepPart::kMixing);
    if (communicator_.rank() == config_.run.inject_delay_rank) {
      std::this_thread::sleep_for(std::chrono::milliseconds(config_.run.inject_delay_ms));
    }
    at::Tensor input = placement_.Images(images);
    if (position.step == config_.run.inject_nan_step && communicator_.rank() == communicator_.world_size() - 1) {
      input = input.clone();
      input.select(0, 0).fill_(std::numeric_limits<float>::quiet_NaN());
    }
    TrainingStep::LossHook start_report;
    if (reports) start_report = [this](const at::Tensor& loss_sum) { StartReport(loss_sum); };
    const double loss = training_step_.ComputeGradients(input, targets, start_report);
    const StepControl control = state_.coordinator.Finish();  // arrived with the gradients (and the report)
    if (!control.notice.empty()) Event("control", control.notice);
    trace_.Record(position.step, control.lr, indices);
    training_step_.Update(control.lr, control.momentum);
    if (training_step_.last_step_skipped()) {
      Event("amp", absl::StrFormat("fp16 gradients overflowed: update skipped, loss scale now %g",
                                   training_step_.loss_scaler()->scale()));
    }
    if (training_step_.last_step_nonfinite()) {
      if (absl::Status handled = OnNonFiniteStep(loss); !handled.ok()) return handled;
    } else {
      if (measure_gradients_) state_.coordinator.ObserveGradients(training_step_.last_gradient_statistics());
      state_.loss_window.sum += loss;
      ++state_.loss_window.steps;
      if (state_.ema != nullptr && !training_step_.last_step_skipped()) state_.ema->Update(position.step + 1);
    }
    last_lr_ = control.lr;
    last_momentum_ = control.momentum.value_or(config_.optimizer.momentum);
    ++position.step;
    ++steps_timed_;
    position.epoch_samples_done += config_.run.global_batch;
    timer_.EndStep();
    if (reports) {
      const torch::Tensor windows = report_gather_.Collect(communicator_);
      if (absl::Status reported = ReportWindow(windows, !training_step_.last_step_nonfinite()); !reported.ok()) {
        return reported;
      }
      if (summary_.ended_by_hook) return absl::OkStatus();
    }
    requested_ = control.flags;
    if (checkpoint_postponed_ && !training_step_.last_step_nonfinite()) requested_ |= kStepFlagCheckpoint;
  }
  // The epoch's last step asked: a stop is carried out before the evaluation, a checkpoint is the epoch-end one.
  return ActOnRequests(/*epoch_end_checkpoint_follows=*/config_.checkpoint.at_epoch_end);
}

int64_t TrainLoop::CountUnreadableOnAllRanks(const UnreadableSamples& local) {
  // Two gathers: the ranks' counts, then their file numbers padded to the longest list; the union is exact.
  const int64_t mine = static_cast<int64_t>(local.files.size());
  const torch::Tensor counts = communicator_.AllGather(torch::full({1}, mine, torch::kLong));
  const int64_t longest = counts.max().item<int64_t>();
  if (longest == 0) return 0;
  torch::Tensor padded = torch::full({longest}, int64_t{-1}, torch::kLong);
  for (int64_t i = 0; i < mine; ++i) padded[i] = local.files[i];
  const torch::Tensor all = communicator_.AllGather(padded).contiguous();
  std::vector<int64_t> files(all.data_ptr<int64_t>(), all.data_ptr<int64_t>() + all.numel());
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return static_cast<int64_t>(files.size()) - (files.front() < 0 ? 1 : 0);  // less the padding
}

void TrainLoop::ReportUnreadable() {
  const UnreadableSamples train = data_.train->unreadable();
  const UnreadableSamples test = data_.test->unreadable();
  const int64_t count = CountUnreadableOnAllRanks(train) + CountUnreadableOnAllRanks(test);
  if (count == 0) return;
  Event("data", absl::StrFormat("%d unreadable images replaced by readable ones so far (rank %d's first: %s)", count,
                                communicator_.rank(), !train.first.empty() ? train.first
                                                      : !test.first.empty() ? test.first : "none"));
}

torch::Tensor TrainLoop::RankIndices(const torch::Tensor& order, int64_t epoch_samples_done) const {
  const SampleRange slice = plan_.RankSliceFrom(epoch_samples_done, communicator_.rank());
  return order.slice(0, slice.begin, slice.end);
}

absl::Status TrainLoop::EndEpoch() {
  PhaseScope phase(hooks_.progress, RunPhase::kEvaluation);
  EvaluateBoth();
  evaluated_ = true;
  const EvalResult& eval = summary_.final_eval;
  if (reporter_ != nullptr) {
    std::optional<EvalScores> ema;
    if (summary_.final_ema_eval.has_value()) ema = Scores(*summary_.final_ema_eval);
    const EvalProgress progress{state_.position.epoch, state_.position.step, eval.samples,
                                config_.task.regression(), Scores(eval), ema};
    reporter_->Eval(progress);
  }
  StepCoordinator& coordinator = state_.coordinator;
  const bool reduced = coordinator.ObserveGlobal(PlateauMetric::kValLoss, eval.mean_loss()) |
                       coordinator.ObserveGlobal(PlateauMetric::kValAccuracy, eval.accuracy());
  if (reduced) {
    Event("lr", absl::StrFormat("plateau in the validation metric: LR scale now %g",
                                coordinator.controller().state().plateau.scale));
  }
  ReportUnreadable();
  state_.position.epoch += 1;
  state_.position.epoch_samples_done = 0;
  // Keep-best retention ranks checkpoints by the weights a user would export: the EMA's when there is one.
  const EvalResult& ranked = summary_.final_ema_eval.has_value() ? *summary_.final_ema_eval : eval;
  return config_.checkpoint.at_epoch_end ? Save(&ranked) : absl::OkStatus();
}

EvalScores TrainLoop::Scores(const EvalResult& eval) {
  return EvalScores{eval.mean_loss(), eval.accuracy(), eval.top5_accuracy(), eval.mae(), eval.rmse()};
}

void TrainLoop::EvaluateBoth() {
  SyncModelBuffers(state_.model, communicator_);
  summary_.final_eval = EvaluateDistributed(state_.model, *data_.test, communicator_, config_.data.eval_batch,
                                            placement_, config_.task);
  if (state_.ema == nullptr) return;
  ModelEma::Swapped swapped(*state_.ema);
  summary_.final_ema_eval = EvaluateDistributed(state_.model, *data_.test, communicator_, config_.data.eval_batch,
                                                placement_, config_.task);
}

void TrainLoop::AnnounceImageSize() {
  const ImageSizeSchedule schedule = config_.data.TrainSizeSchedule();
  if (schedule.empty()) return;
  const int64_t epoch = state_.position.epoch;
  const int size = schedule.SizeAt(epoch, static_cast<int>(config_.data.image_size));
  if (announced_image_size_ == size) return;
  announced_image_size_ = size;
  Event("data", absl::StrFormat("epoch %d trains on %d x %d images (--image_size_schedule; evaluation at %d)", epoch,
                                size, size, config_.data.image_size));
}

// What was asked before the first step (a control file written for the resume, a signal during start-up) is done
// at the boundary the run starts from, before a step changes the state.
absl::Status TrainLoop::ActOnRequestsAtStart() {
  const uint32_t local = hooks_.local_requests ? hooks_.local_requests() : 0;
  const StepControl control = state_.coordinator.AtStart(state_.position.step, local);
  if (!control.notice.empty()) Event("control", control.notice);
  requested_ = control.flags;
  return ActOnRequests(/*epoch_end_checkpoint_follows=*/false);
}

// At a step boundary, what the last step's control word asked for: a checkpoint (unless the epoch-end one follows at
// this very step), or a checkpoint and a stop (summary_.stopped).
absl::Status TrainLoop::ActOnRequests(bool epoch_end_checkpoint_follows) {
  const uint32_t requested = std::exchange(requested_, 0u);
  const bool stop = (requested & kStepFlagStop) != 0;
  if (!stop && ((requested & kStepFlagCheckpoint) == 0 || epoch_end_checkpoint_follows)) return absl::OkStatus();
  // A skipped step changed nothing but the data position, and in a divergence the weights before it may be ruined
  // though finite: a checkpoint there would push older, good ones out of retention. It waits for the next step that
  // updates. A stop saves regardless (the work since the last checkpoint would be lost), as the epoch's end does.
  if (!stop && training_step_.last_step_nonfinite()) {
    if (!checkpoint_postponed_) {
      Event("checkpoint", absl::StrFormat("checkpoint at step %d postponed: its update was skipped (the averaged "
                                          "gradients were not finite); the next step that updates saves it",
                                          state_.position.step));
    }
    checkpoint_postponed_ = true;
    return absl::OkStatus();
  }
  summary_.stopped = stop;
  return Save(nullptr);
}

absl::StatusOr<TrainSummary> TrainLoop::Run() {
  if (absl::Status started = Start(); !started.ok()) return started;
  if (absl::Status requested = ActOnRequestsAtStart(); !requested.ok()) return requested;
  while (!summary_.stopped && state_.position.epoch < config_.run.epochs) {
    const torch::Tensor order = EpochOrder(order_, *data_.train, state_.position.epoch);
    AnnounceImageSize();
    window_start_ = Clock::now();
    if (absl::Status trained = TrainEpoch(order); !trained.ok()) return trained;
    if (summary_.stopped || summary_.ended_by_hook) break;
    if (absl::Status ended = EndEpoch(); !ended.ok()) return ended;
  }
  if (!evaluated_ && !summary_.stopped && !summary_.ended_by_hook) EvaluateBoth();  // resumed from a finished run
  if (absl::Status identical = CheckIdenticalWeights(); !identical.ok()) return identical;
  summary_.steps = state_.position.step;
  summary_.images_per_s = steps_timed_ * config_.run.global_batch / std::max(training_seconds_, 1e-9);
  return summary_;
}

// Where the fused BatchNorm + ReLU kernel can run at all: float32 NCHW on the CPU. Elsewhere a TorchScript model
// keeps its own graph (which a GPU's fusers may optimise across the pairs).
bool FusedBatchNormReLUCanRun(Classifier& model, const DeviceOptions& device) {
  return model.parameters().front().device().is_cpu() && !device.channels_last && device.amp == Precision::kFloat32;
}

}  // namespace

void BroadcastInitialWeights(Classifier& model, Communicator& communicator) {
  std::vector<torch::Tensor> tensors = model.parameters();
  for (const torch::Tensor& buffer : model.buffers()) tensors.push_back(buffer);
  BroadcastTensors(communicator, tensors, /*root=*/0);
}

absl::StatusOr<TrainSummary> RunTraining(const TrainConfig& config, const TrainData& data,
                                         const TrainShardPlan& plan, Classifier& model, StepCoordinator& coordinator,
                                         Communicator& communicator, ProgressReporter* reporter,
                                         const TrainHooks& hooks) {
  if (config.model.sync_bn) {
    absl::StatusOr<int64_t> layers = SynchroniseBatchNorm(model, communicator, config.model.name);
    if (!layers.ok()) return layers.status();
    if (reporter != nullptr) {
      reporter->Event("sync_bn", 0,
                      absl::StrFormat("--sync_bn: %d BatchNorm layers normalise with the batch statistics of all %d "
                                      "ranks", *layers, communicator.world_size()));
    }
  } else if (auto* scripted = dynamic_cast<TorchScriptClassifier*>(&model);
             scripted != nullptr && FusedBatchNormReLUCanRun(model, config.device)) {
    const int64_t fused = FuseBatchNormReLU(*scripted);
    if (fused > 0 && reporter != nullptr) {
      reporter->Event("model", 0, absl::StrFormat("%d BatchNorm + ReLU pairs of %s's forward run fused", fused,
                                                  config.model.name));
    }
  }
  std::unique_ptr<Optimizer> optimizer = MakeOptimizer(model, config.optimizer);
  absl::StatusOr<std::unique_ptr<Mixer>> mixer = MakeMixer(config, data.train->num_classes(), communicator);
  if (!mixer.ok()) return mixer.status();
  std::unique_ptr<ModelEma> ema;
  if (config.optimizer.ema_decay > 0) {
    ema = std::make_unique<ModelEma>(model, config.optimizer.ema_decay, config.optimizer.ema_warmup);
  }
  TrainLoop loop(config, data, model, coordinator, communicator, reporter, hooks, plan, *optimizer,
                 *std::move(mixer), ema.get());
  return loop.Run();
}

}  // namespace strobe
