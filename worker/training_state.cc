#include "worker/training_state.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "coordinator/shard_plan.h"
#include "ops/gradient_bucketer.h"
#include "ops/status_agreement.h"
#include "worker/checkpoint/checkpoint_commit.h"
#include "worker/checkpoint/pickled_tensors.h"
#include "worker/models/model_options.h"
#include "worker/optimizer.h"
#include "worker/wall_clock.h"

namespace strobe {
namespace {

constexpr char kModelFile[] = "model.pt";
constexpr char kOptimizerFile[] = "optimizer.pt";
constexpr char kEmaFile[] = "ema.pt";

absl::StatusOr<c10::impl::GenericDict> ReadDict(const VerifiedCheckpoint& checkpoint, const std::string& name) {
  absl::StatusOr<std::string> bytes = ReadCheckpointFile(checkpoint, name);
  if (!bytes.ok()) return bytes.status();
  return UnpickleDict(*bytes, absl::StrFormat("checkpoint %s: %s", checkpoint.path, name));
}

// Copies `saved` into `live` (a model's parameters or buffers) after checking that names, shapes and dtypes match
// one to one, so a checkpoint of another model never loads partially.
absl::Status CopyMatching(const NamedTensors& saved, const NamedTensors& live, const std::string& what) {
  if (saved.size() != live.size()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s holds %d tensors, this model has %d: another model?", what,
                                                      saved.size(), live.size()));
  }
  for (size_t i = 0; i < live.size(); ++i) {
    const auto& [name, tensor] = live[i];
    const auto found = std::find_if(saved.begin(), saved.end(), [&](const auto& s) { return s.first == name; });
    if (found == saved.end()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s has no '%s': another model?", what, name));
    }
    if (!found->second.sizes().equals(tensor.sizes()) || found->second.scalar_type() != tensor.scalar_type()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: '%s' has shape %s, this model's has %s", what, name,
                          c10::str(found->second.sizes()), c10::str(tensor.sizes())));
    }
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : live) {
    const auto found = std::find_if(saved.begin(), saved.end(), [&](const auto& s) { return s.first == name; });
    tensor.copy_(found->second);
  }
  return absl::OkStatus();
}

// FailedPrecondition naming the first tensor of `tensors` with NaN or infinite values, and how many it has.
absl::Status CheckFinite(const NamedTensors& tensors, const std::string& what) {
  for (const auto& [name, tensor] : tensors) {
    if (!tensor.is_floating_point()) continue;
    const int64_t bad = tensor.numel() - at::isfinite(tensor).sum().item<int64_t>();
    if (bad > 0) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s '%s' holds %d non-finite value(s) (NaN or infinite)", what, name, bad));
    }
  }
  return absl::OkStatus();
}

std::string Exact(double value) { return absl::StrFormat("%.17g", value); }

// The LR controller's entries live in the manifest under this prefix (its keys are the controller's own).
constexpr char kLrStatePrefix[] = "lr.";

ControllerState LrStateFrom(const Manifest& manifest) {
  ControllerState::Entries entries;
  for (const auto& [key, value] : manifest.metadata()) {
    if (absl::StartsWith(key, kLrStatePrefix)) entries.emplace_back(key.substr(sizeof(kLrStatePrefix) - 1), value);
  }
  return ControllerState(std::move(entries));
}

Manifest SharedMetadata(const CheckpointedRun& run, int world_size, const TrainingState& state,
                        const EvalResult* eval, double loss_window_mean) {
  Manifest manifest;
  manifest.Set("step", absl::StrCat(state.position.step));
  manifest.Set("epoch", absl::StrCat(state.position.epoch));
  manifest.Set("epoch_samples_done", absl::StrCat(state.position.epoch_samples_done));
  manifest.Set("world_size", absl::StrCat(world_size));
  manifest.Set("global_batch", absl::StrCat(run.global_batch));
  manifest.Set("model", run.model);
  manifest.Set("optimizer", state.optimizer.name());
  manifest.Set("dataset_size", absl::StrCat(run.dataset_size));
  manifest.Set("seed", absl::StrCat(run.seed));
  manifest.Set("data_order", run.data_order);
  manifest.Set("mix_partners", run.mix_partners);
  if (!run.image_size_schedule.empty()) manifest.Set("image_size_schedule", run.image_size_schedule);
  if (eval != nullptr) {
    manifest.Set("val_accuracy", Exact(eval->accuracy()));
    manifest.Set("val_loss", Exact(eval->mean_loss()));
  }
  manifest.Set("loss_window_steps", absl::StrCat(state.loss_window.steps));
  manifest.Set("loss_window_mean_sum", Exact(loss_window_mean));
  const ControllerState lr_state = state.coordinator.controller().SaveState();
  for (const auto& [key, value] : lr_state.entries()) manifest.Set(kLrStatePrefix + key, value);
  if (state.loss_scaler != nullptr) {
    manifest.Set("loss_scale", Exact(state.loss_scaler->state().scale));
    manifest.Set("loss_scale_clean_steps", absl::StrCat(state.loss_scaler->state().clean_steps));
  }
  manifest.Set("strobe_version", STROBE_VERSION);
  manifest.Set("libtorch_version", TORCH_VERSION);
  manifest.Set("created_utc", UtcNow());
  manifest.Set("config", run.config_json);
  return manifest;
}

std::string RankFile(const TrainingState& state, int rank) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert("rank", static_cast<int64_t>(rank));
  dict.insert("buffers", TensorDict(Named(state.model.named_buffers())));
  dict.insert("torch_cpu_generator", at::detail::getDefaultCPUGenerator().get_state());
  dict.insert("loss_window_sum", state.loss_window.sum);
  dict.insert("loss_window_steps", state.loss_window.steps);
  if (state.mixer != nullptr && state.mixer->previous_images().defined()) {
    dict.insert("mix_previous_images", state.mixer->previous_images().cpu().contiguous());
    dict.insert("mix_previous_targets", state.mixer->previous_targets().cpu().contiguous());
  }
  return Pickle(dict);
}

}  // namespace

absl::Status CheckStateFinite(Communicator& communicator, const TrainingState& state) {
  NamedTensors tensors = Named(state.model.named_parameters());
  for (auto& named : Named(state.model.named_buffers())) tensors.push_back(std::move(named));
  absl::Status finite = CheckFinite(tensors, "the model's");
  if (finite.ok()) finite = CheckFinite(state.optimizer.State(), "the optimizer state");
  return AgreeOnStatus(communicator, finite);
}

absl::StatusOr<std::string> SaveTrainingState(Communicator& communicator, const CheckpointedRun& run,
                                              const TrainingState& state, const EvalResult* eval) {
  // The shared model file holds rank-averaged BatchNorm statistics (what a different world size resumes with and
  // what an export should hold); the live model keeps each rank's own, so saving changes nothing in training.
  NamedTensors model_tensors = Named(state.model.named_parameters());
  std::vector<at::Tensor> averaged_buffers;
  for (const auto& item : state.model.named_buffers()) {
    averaged_buffers.push_back(item.value().clone());
    model_tensors.emplace_back(item.key(), averaged_buffers.back());
  }
  AverageTensors(communicator, averaged_buffers);
  at::Tensor window_sum = at::full({1}, state.loss_window.sum, at::kDouble);
  communicator.AllReduce(window_sum, ReduceOp::kAverage);

  const NamedTensors optimizer_state = state.optimizer.State();
  CheckpointContribution contribution;
  contribution.own = RankFile(state, communicator.rank());
  if (communicator.rank() == 0) {
    contribution.shared.emplace_back(kModelFile, Pickle(TensorDict(model_tensors)));
    contribution.shared.emplace_back(kOptimizerFile, Pickle(TensorDict(optimizer_state)));
    if (state.ema != nullptr) contribution.shared.emplace_back(kEmaFile, Pickle(TensorDict(state.ema->Averages())));
    contribution.metadata = SharedMetadata(run, communicator.world_size(), state, eval,
                                           window_sum.item<double>());
  }
  return CommitCheckpoint(communicator, run.run_dir, state.position.step, std::move(contribution),
                          CheckCheckpointFinite);
}

namespace {

struct SavedRun {
  int64_t step = 0;
  int64_t epoch = 0;
  int64_t epoch_samples_done = 0;
  int64_t world_size = 0;
  int64_t global_batch = 0;
};

absl::StatusOr<SavedRun> CheckCompatible(const VerifiedCheckpoint& checkpoint, const CheckpointedRun& run_now) {
  const Manifest& m = checkpoint.manifest;
  const std::string& path = checkpoint.path;
  // A TorchScript model may be given by another path on resume (another host, a copy); its tensors' names and
  // shapes are checked when they are restored.
  const bool both_torchscript = IsTorchScriptPath(m.Get("model")) && IsTorchScriptPath(run_now.model);
  if (m.Get("model") != run_now.model && !both_torchscript) {
    return absl::InvalidArgumentError(absl::StrFormat("checkpoint %s holds a %s model, but --model=%s", path,
                                                      m.Get("model"), run_now.model));
  }
  SavedRun run;
  for (auto [key, field] : {std::pair{"step", &run.step}, {"epoch", &run.epoch},
                            {"epoch_samples_done", &run.epoch_samples_done}, {"world_size", &run.world_size},
                            {"global_batch", &run.global_batch}}) {
    absl::StatusOr<int64_t> value = m.GetInt(key);
    if (!value.ok()) return absl::DataLossError(absl::StrFormat("checkpoint %s: %s", path, value.status().message()));
    *field = *value;
  }
  if (m.Get("dataset_size") != absl::StrCat(run_now.dataset_size)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "checkpoint %s was trained on %s samples, this run has %d (--data / --train_samples differ): the sample "
        "order would not continue",
        path, m.Get("dataset_size"), run_now.dataset_size));
  }
  if (m.Get("seed") != absl::StrCat(run_now.seed)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "checkpoint %s was trained with --seed=%s, this run has --seed=%d: the sample order would not continue",
        path, m.Get("seed"), run_now.seed));
  }
  // The crop sizes of the epochs still to come, and of the rest of this one, follow the schedule; a run that
  // switched it would end with weights no straight run has.
  if (m.Get("image_size_schedule") != run_now.image_size_schedule) {
    const auto shown = [](const std::string& schedule) {
      return schedule.empty() ? std::string("no --image_size_schedule") : "--image_size_schedule=" + schedule;
    };
    return absl::InvalidArgumentError(absl::StrFormat(
        "checkpoint %s was trained with %s, but this run has %s: resume with the checkpoint's schedule",
        path, shown(m.Get("image_size_schedule")), shown(run_now.image_size_schedule)));
  }
  // Checkpoints from before the streamed order were all shuffled. At an epoch's end any order may follow.
  const std::string saved_order = m.Get("data_order").empty() ? "shuffled" : m.Get("data_order");
  const std::string& order = run_now.data_order;
  if (run.epoch_samples_done > 0 && saved_order != order) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "checkpoint %s was taken mid-epoch under the data order '%s', and this run's is '%s': the epoch would not "
        "continue with the samples it has not seen. Resume with that order's flags, or from a checkpoint taken at "
        "an epoch's end",
        path, saved_order, order));
  }
  return run;
}

// This rank's share of the previous global batch (the mixer's partner buffer under `previous`), cut from the old
// ranks' files that overlap it.
absl::Status RestorePreviousBatch(const VerifiedCheckpoint& checkpoint, const SavedRun& saved,
                                  int64_t global_batch, Communicator& communicator, const c10::Device& device,
                                  Mixer& mixer) {
  const int64_t old_local = saved.global_batch / saved.world_size;
  const SampleRange wanted =
      saved.global_batch == global_batch
          ? SampleRange{communicator.rank() * (global_batch / communicator.world_size()),
                        (communicator.rank() + 1) * (global_batch / communicator.world_size())}
          : EvalShard(saved.global_batch, communicator.rank(), communicator.world_size());
  std::vector<at::Tensor> images;
  std::vector<at::Tensor> targets;
  for (int64_t old_rank = wanted.begin / old_local; old_rank * old_local < wanted.end; ++old_rank) {
    absl::StatusOr<c10::impl::GenericDict> file = ReadDict(checkpoint, RankFileName(static_cast<int>(old_rank)));
    if (!file.ok()) return file.status();
    if (!file->contains("mix_previous_images")) return absl::OkStatus();  // saved before any batch: nothing to keep
    const int64_t begin = std::max(wanted.begin, old_rank * old_local) - old_rank * old_local;
    const int64_t end = std::min(wanted.end, (old_rank + 1) * old_local) - old_rank * old_local;
    images.push_back(file->at("mix_previous_images").toTensor().slice(0, begin, end));
    targets.push_back(file->at("mix_previous_targets").toTensor().slice(0, begin, end));
  }
  if (!images.empty()) mixer.RestorePrevious(at::cat(images).to(device), at::cat(targets).to(device));
  return absl::OkStatus();
}

c10::Device ModelDevice(const TrainingState& state) { return state.model.parameters().front().device(); }

// A checkpoint of a run without fp16 has no loss scale: the scaler then starts afresh, as at step 0.
absl::Status RestoreLossScale(const VerifiedCheckpoint& checkpoint, DynamicLossScaler* scaler) {
  if (scaler == nullptr || checkpoint.manifest.Get("loss_scale").empty()) return absl::OkStatus();
  DynamicLossScaler::State restored;
  absl::StatusOr<int64_t> clean_steps = checkpoint.manifest.GetInt("loss_scale_clean_steps");
  if (!absl::SimpleAtod(checkpoint.manifest.Get("loss_scale"), &restored.scale) || !(restored.scale > 0) ||
      !clean_steps.ok()) {
    return absl::DataLossError(absl::StrFormat("checkpoint %s: the fp16 loss scale is unreadable", checkpoint.path));
  }
  restored.clean_steps = *clean_steps;
  scaler->Restore(restored);
  return absl::OkStatus();
}

// Same world size and global batch: this rank's own statistics, generator, loss window and partner buffer, so the
// continuation is bitwise identical.
absl::Status RestoreOwnRankState(const VerifiedCheckpoint& checkpoint, Communicator& communicator,
                                 TrainingState& state) {
  const std::string name = RankFileName(communicator.rank());
  absl::StatusOr<c10::impl::GenericDict> file = ReadDict(checkpoint, name);
  if (!file.ok()) return file.status();
  const std::string what = absl::StrFormat("checkpoint %s: %s", checkpoint.path, name);
  if (!file->contains("buffers") || !file->contains("torch_cpu_generator") || !file->contains("loss_window_sum") ||
      !file->contains("loss_window_steps")) {
    return absl::DataLossError(absl::StrFormat("%s: incomplete rank state", what));
  }
  absl::StatusOr<NamedTensors> buffers = TensorsFrom(file->at("buffers").toGenericDict(), what);
  if (!buffers.ok()) return buffers.status();
  if (absl::Status copied = CopyMatching(*buffers, Named(state.model.named_buffers()), what); !copied.ok()) {
    return copied;
  }
  at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle to the process-wide generator
  generator.set_state(file->at("torch_cpu_generator").toTensor());
  state.loss_window.sum = file->at("loss_window_sum").toDouble();
  state.loss_window.steps = file->at("loss_window_steps").toInt();
  if (state.mixer != nullptr && file->contains("mix_previous_images")) {
    // The partner buffer lives where the model trains (saved from there to the host).
    const c10::Device device = ModelDevice(state);
    state.mixer->RestorePrevious(file->at("mix_previous_images").toTensor().to(device),
                                 file->at("mix_previous_targets").toTensor().to(device));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadCheckpointWeights(const VerifiedCheckpoint& checkpoint, Classifier& model) {
  absl::StatusOr<c10::impl::GenericDict> model_file = ReadDict(checkpoint, kModelFile);
  if (!model_file.ok()) return model_file.status();
  const std::string model_what = absl::StrFormat("checkpoint %s: %s", checkpoint.path, kModelFile);
  absl::StatusOr<NamedTensors> model_tensors = TensorsFrom(*model_file, model_what);
  if (!model_tensors.ok()) return model_tensors.status();
  NamedTensors live = Named(model.named_parameters());
  for (const auto& buffer : model.named_buffers()) live.emplace_back(buffer.key(), buffer.value());
  return CopyMatching(*model_tensors, live, model_what);
}

bool HoldsEma(const VerifiedCheckpoint& checkpoint) {
  for (const ManifestFile& file : checkpoint.manifest.files()) {
    if (file.name == kEmaFile) return true;
  }
  return false;
}

absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> ReadEma(const VerifiedCheckpoint& checkpoint) {
  absl::StatusOr<c10::impl::GenericDict> file = ReadDict(checkpoint, kEmaFile);
  if (!file.ok()) return file.status();
  return TensorsFrom(*file, absl::StrFormat("checkpoint %s: %s", checkpoint.path, kEmaFile));
}

namespace {

// Restores the EMA from the checkpoint, or starts it from the restored weights when the checkpoint has none; the
// description says what happened to it.
absl::Status RestoreEma(const VerifiedCheckpoint& checkpoint, TrainingState& state, std::string& description) {
  const bool saved = HoldsEma(checkpoint);
  if (state.ema == nullptr) {
    if (saved) description += "; its EMA of the weights is dropped (--ema_decay=0)";
    return absl::OkStatus();
  }
  if (!saved) {
    state.ema->Reset();
    description += "; the EMA of the weights starts from the resumed weights (the checkpoint has none)";
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> averages = ReadEma(checkpoint);
  if (!averages.ok()) return averages.status();
  if (absl::Status restored = state.ema->Restore(*averages); !restored.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("checkpoint %s: %s: %s", checkpoint.path, kEmaFile, restored.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> RestoreTrainingState(const VerifiedCheckpoint& checkpoint, const CheckpointedRun& run,
                                                 Communicator& communicator, TrainingState& state) {
  absl::StatusOr<SavedRun> saved = CheckCompatible(checkpoint, run);
  if (!saved.ok()) return saved.status();

  if (absl::Status weights = LoadCheckpointWeights(checkpoint, state.model); !weights.ok()) return weights;

  absl::StatusOr<c10::impl::GenericDict> optimizer_file = ReadDict(checkpoint, kOptimizerFile);
  if (!optimizer_file.ok()) return optimizer_file.status();
  const std::string optimizer_what = absl::StrFormat("checkpoint %s: %s", checkpoint.path, kOptimizerFile);
  // Checkpoints from before the optimizer was recorded were all SGD's.
  const std::string recorded_optimizer = checkpoint.manifest.Get("optimizer");
  const std::string saved_optimizer = recorded_optimizer.empty() ? "sgd" : recorded_optimizer;
  if (saved_optimizer != state.optimizer.name()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "checkpoint %s was trained with --optimizer=%s, but --optimizer=%s: its optimizer state cannot continue "
        "another rule (to switch, `strobe export` its weights and start a new run from them with --init_weights)",
        checkpoint.path, saved_optimizer, state.optimizer.name()));
  }
  absl::StatusOr<NamedTensors> optimizer_state = TensorsFrom(*optimizer_file, optimizer_what);
  if (!optimizer_state.ok()) return optimizer_state.status();
  if (absl::Status restored = state.optimizer.Restore(*optimizer_state); !restored.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s", optimizer_what, restored.message()));
  }

  if (absl::Status lr = state.coordinator.controller().RestoreState(LrStateFrom(checkpoint.manifest)); !lr.ok()) {
    return absl::Status(lr.code(), absl::StrFormat("checkpoint %s: %s", checkpoint.path, lr.message()));
  }
  if (absl::Status scale = RestoreLossScale(checkpoint, state.loss_scaler); !scale.ok()) return scale;

  const bool same_layout =
      saved->world_size == communicator.world_size() && saved->global_batch == run.global_batch;
  if (same_layout) {
    if (absl::Status own = RestoreOwnRankState(checkpoint, communicator, state); !own.ok()) return own;
  } else {
    double mean_sum = 0;
    absl::StatusOr<int64_t> steps = checkpoint.manifest.GetInt("loss_window_steps");
    if (!steps.ok() || !absl::SimpleAtod(checkpoint.manifest.Get("loss_window_mean_sum"), &mean_sum)) {
      return absl::DataLossError(absl::StrFormat("checkpoint %s: the loss window is missing", checkpoint.path));
    }
    state.loss_window = LossWindow{mean_sum, *steps};
    if (state.mixer != nullptr) {
      if (absl::Status previous =
              RestorePreviousBatch(checkpoint, *saved, run.global_batch, communicator, ModelDevice(state),
                                   *state.mixer);
          !previous.ok()) {
        return previous;
      }
    }
  }

  state.position.epoch = saved->epoch;
  state.position.epoch_samples_done = saved->epoch_samples_done;
  state.position.step = saved->global_batch == run.global_batch
                            ? saved->step
                            : saved->epoch * run.steps_per_epoch + saved->epoch_samples_done / run.global_batch;
  std::string description =
      absl::StrFormat("resumed from %s: step %d, epoch %d, %d samples of the epoch done", checkpoint.path,
                      state.position.step, state.position.epoch + 1, state.position.epoch_samples_done);
  if (saved->world_size != communicator.world_size()) {
    absl::StrAppendFormat(&description, "; world size %d -> %d (same sample order; rank-averaged BatchNorm "
                                        "statistics)", saved->world_size, communicator.world_size());
  }
  if (saved->global_batch != run.global_batch) {
    absl::StrAppendFormat(&description,
                          "; global batch %d -> %d: the LR follows the linear scaling rule for the new batch and the "
                          "schedule continues from step %d (was %d), the same point in samples",
                          saved->global_batch, run.global_batch, state.position.step, saved->step);
  }
  if (absl::Status ema = RestoreEma(checkpoint, state, description); !ema.ok()) return ema;
  return description;
}

absl::Status CheckCheckpointFinite(const VerifiedCheckpoint& checkpoint) {
  for (const char* file : {kModelFile, kOptimizerFile}) {
    const std::string what = absl::StrFormat("checkpoint %s: %s", checkpoint.path, file);
    absl::StatusOr<c10::impl::GenericDict> dict = ReadDict(checkpoint, file);
    if (!dict.ok()) return dict.status();
    absl::StatusOr<NamedTensors> tensors = TensorsFrom(*dict, what);
    if (!tensors.ok()) return tensors.status();
    if (absl::Status finite = CheckFinite(*tensors, what + ":"); !finite.ok()) return finite;
  }
  return absl::OkStatus();
}

}  // namespace strobe
