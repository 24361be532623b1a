#include "worker/train_config.h"

#include <cmath>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "coordinator/shard_plan.h"
#include "worker/device_placement.h"
#include "worker/output/json_line.h"

namespace strobe {
namespace {

absl::Status Positive(const char* flag, int64_t value) {
  if (value > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat("--%s must be positive, got %d", flag, value));
}

absl::Status InRange(const char* flag, double value, double low, double high, bool high_open) {
  const bool ok = std::isfinite(value) && value >= low && (high_open ? value < high : value <= high);
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("--%s=%g must lie in [%g, %g%s", flag, value, low, high, high_open ? ")" : "]"));
}

absl::Status ValidateGpuOptions(const TrainConfig& c) {
  absl::StatusOr<bool> trains_on_gpu = DeviceFlagMeansGpu(c.device);
  if (!trains_on_gpu.ok()) return trains_on_gpu.status();
  const bool gpu = *trains_on_gpu;
  if (c.amp == Precision::kFloat16 && !gpu) {
    return absl::InvalidArgumentError(
        "--amp=fp16 needs --device=cuda: autocast on the CPU computes in bf16 only (use --amp=bf16)");
  }
  if (c.amp == Precision::kFloat16 && c.lr_adascale) {
    return absl::InvalidArgumentError(
        "--amp=fp16 and --lr_adascale do not go together: AdaScale would measure loss-scaled gradients");
  }
  if (c.grad_compression != Precision::kFloat32 && !gpu) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--grad_compression=%s needs --device=cuda: the MPI data plane has no 16-bit float types",
        PrecisionName(c.grad_compression)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTrainConfig(const TrainConfig& c, int world_size) {
  if (c.data_dir.empty()) {
    return absl::InvalidArgumentError("--data is required (a directory of IDX files, or of train/ and val/ class folders)");
  }
  if (c.run_dir.empty()) return absl::InvalidArgumentError("--run_dir is required");
  for (const absl::Status& status :
       {Positive("epochs", c.epochs), Positive("batch_size", c.global_batch), Positive("eval_batch", c.eval_batch),
        Positive("reference_batch", c.reference_batch), Positive("bucket_cap_mb", c.bucket_cap_bytes),
        Positive("log_every", c.log_every), InRange("lr", c.base_lr, 1e-12, 1e6, false),
        InRange("final_lr", c.final_lr, 0, 1e6, false), InRange("warmup_epochs", c.warmup_epochs, 0, 1e6, false),
        InRange("momentum", c.sgd.momentum, 0, 1, true), InRange("weight_decay", c.sgd.weight_decay, 0, 1, false),
        InRange("label_smoothing", c.label_smoothing, 0, 1, true),
        InRange("onecycle_pct_start", c.onecycle_pct_start, 0, 1, true),
        InRange("adascale_smoothing", c.adascale_smoothing, 0, 1, true),
        InRange("no_decay_lr_factor", c.sgd.no_decay_lr_factor, 0, 1e6, false)}) {
    if (!status.ok()) return status;
  }
  if (c.train_samples < 0 || c.eval_samples < 0) {
    return absl::InvalidArgumentError(absl::StrFormat("--%s must be >= 0, got %d",
                                                      c.train_samples < 0 ? "train_samples" : "eval_samples",
                                                      c.train_samples < 0 ? c.train_samples : c.eval_samples));
  }
  if (c.threads < 0) return absl::InvalidArgumentError(absl::StrFormat("--threads must be >= 0, got %d", c.threads));
  if (c.image_size < 8 || c.val_resize < c.image_size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--image_size (%d) must be >= 8 and --val_resize (%d) at least --image_size", c.image_size, c.val_resize));
  }
  if (absl::Status scale = InRange("crop_scale_min", c.crop_scale_min, 1e-6, 1, false); !scale.ok()) return scale;
  if (c.decode_threads < 0 || c.prefetch_batches < 0 || c.max_bad_images < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--decode_threads (%d), --prefetch_batches (%d) and --max_bad_images (%d) must be >= 0", c.decode_threads,
        c.prefetch_batches, c.max_bad_images));
  }
  if (c.data_order != "shuffled" && c.data_order != "streamed") {
    return absl::InvalidArgumentError(absl::StrFormat("--data_order=%s is not one of shuffled, streamed", c.data_order));
  }
  if (!StreamsData(c) && (c.data_streams != 0 || c.shuffle_window != TrainConfig().shuffle_window)) {
    return absl::InvalidArgumentError(
        "--data_streams and --shuffle_window apply to --data_order=streamed only; add it, or drop them");
  }
  if (StreamsData(c)) {
    if (c.data_streams < 0) {
      return absl::InvalidArgumentError(absl::StrFormat("--data_streams must be >= 0, got %d", c.data_streams));
    }
    if (absl::Status streamed = CheckStreamedOrder(EffectiveStreamedOrder(c, world_size), c.global_batch, world_size);
        !streamed.ok()) {
      return streamed;
    }
  }
  if (c.progress != "auto" && c.progress != "live" && c.progress != "lines") {
    return absl::InvalidArgumentError(
        absl::StrFormat("--progress=%s is not one of auto, live, lines", c.progress));
  }
  if (absl::Status mix = ValidateMixOptions(c.mix); !mix.ok()) return mix;
  if (absl::Status gpu = ValidateGpuOptions(c); !gpu.ok()) return gpu;
  if (c.checkpoint_every_steps < 0 || c.keep_checkpoints < 0 || !(c.checkpoint_every_minutes >= 0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--checkpoint_every_steps (%d), --checkpoint_every_minutes (%g) and --keep_checkpoints (%d) must be >= 0",
        c.checkpoint_every_steps, c.checkpoint_every_minutes, c.keep_checkpoints));
  }
  if (c.lr_schedule == "onecycle" && c.warmup_steps >= 0) {
    return absl::InvalidArgumentError(
        "--lr_schedule=onecycle rises to the peak over --onecycle_pct_start of the run; --warmup_steps does not apply");
  }
  if (c.sgd.nesterov && c.sgd.momentum <= 0) {
    return absl::InvalidArgumentError("--nesterov needs --momentum > 0");
  }
  return CheckGlobalBatch(c.global_batch, world_size);
}

bool StreamsData(const TrainConfig& config) { return config.data_order == "streamed"; }

StreamedOrder EffectiveStreamedOrder(const TrainConfig& config, int world_size) {
  return StreamedOrder{config.data_streams > 0 ? config.data_streams : world_size, config.shuffle_window};
}

std::string DataOrderName(const TrainConfig& config, int world_size) {
  if (!StreamsData(config)) return "shuffled";
  const StreamedOrder order = EffectiveStreamedOrder(config, world_size);
  return absl::StrFormat("streamed: --data_streams=%d --shuffle_window=%d --batch_size=%d", order.streams,
                         order.window, config.global_batch);
}

std::string TrainConfigJson(const TrainConfig& c, int world_size) {
  return JsonLine()
      .Add("data", c.data_dir)
      .Add("model", c.model)
      .Add("image_size", c.image_size)
      .Add("val_resize", c.val_resize)
      .Add("crop_scale_min", c.crop_scale_min)
      .Add("uint8_batches", c.uint8_batches)
      .Add("channels_last", c.channels_last)
      .Add("device", c.device)
      .Add("amp", PrecisionName(c.amp))
      .Add("grad_compression", PrecisionName(c.grad_compression))
      .Add("cudnn_benchmark", c.cudnn_benchmark)
      .Add("run_dir", c.run_dir)
      .Add("world_size", world_size)
      .Add("epochs", c.epochs)
      .Add("batch_size", c.global_batch)
      .Add("local_batch_size", c.global_batch / world_size)
      .Add("data_order", DataOrderName(c, world_size))
      .Add("train_samples", c.train_samples)
      .Add("eval_samples", c.eval_samples)
      .Add("eval_batch", c.eval_batch)
      .Add("lr", c.base_lr)
      .Add("scale_lr", c.scale_lr)
      .Add("reference_batch", c.reference_batch)
      .Add("lr_schedule", c.lr_schedule)
      .Add("warmup_epochs", c.warmup_epochs)
      .Add("warmup_steps", c.warmup_steps)
      .Add("lr_milestones", absl::StrJoin(c.lr_milestones, ","))
      .Add("lr_gamma", c.lr_gamma)
      .Add("lr_power", c.lr_power)
      .Add("final_lr", c.final_lr)
      .Add("onecycle_pct_start", c.onecycle_pct_start)
      .Add("onecycle_div", c.onecycle_div)
      .Add("onecycle_final_div", c.onecycle_final_div)
      .Add("onecycle_min_momentum", c.onecycle_min_momentum)
      .Add("onecycle_max_momentum", c.onecycle_max_momentum)
      .Add("no_decay_lr_factor", c.sgd.no_decay_lr_factor)
      .Add("lr_adascale", c.lr_adascale)
      .Add("adascale_smoothing", c.adascale_smoothing)
      .Add("plateau_metric", c.plateau_metric)
      .Add("plateau_patience", c.plateau_patience)
      .Add("plateau_factor", c.plateau_factor)
      .Add("plateau_cooldown", c.plateau_cooldown)
      .Add("plateau_threshold", c.plateau_threshold)
      .Add("plateau_min_lr", c.plateau_min_lr)
      .Add("momentum", c.sgd.momentum)
      .Add("nesterov", c.sgd.nesterov)
      .Add("weight_decay", c.sgd.weight_decay)
      .Add("label_smoothing", c.label_smoothing)
      .Add("mixup_alpha", c.mix.mixup_alpha)
      .Add("cutmix_alpha", c.mix.cutmix_alpha)
      .Add("fmix_alpha", c.mix.fmix_alpha)
      .Add("fmix_decay_power", c.mix.fmix_decay_power)
      .Add("cutmix_min_ratio", c.mix.cutmix_min_ratio)
      .Add("cutmix_max_ratio", c.mix.cutmix_max_ratio)
      .Add("mix_prob", c.mix.prob)
      .Add("mix_switch_prob", c.mix.switch_prob)
      .Add("mix_mode", LambdaModeName(c.mix.mode))
      .Add("mix_correct_lambda", c.mix.correct_lambda)
      .Add("mix_off_epoch", c.mix.off_epoch)
      .Add("mix_partners", PartnerPolicyName(c.mix.partners))
      .Add("bucket_cap_bytes", c.bucket_cap_bytes)
      .Add("seed", static_cast<int64_t>(c.seed))
      .Add("log_every", c.log_every)
      .Add("checkpoint_every_steps", c.checkpoint_every_steps)
      .Add("checkpoint_every_minutes", c.checkpoint_every_minutes)
      .Add("checkpoint_at_epoch_end", c.checkpoint_at_epoch_end)
      .Add("keep_checkpoints", c.keep_checkpoints)
      .Add("keep_best_checkpoint", c.keep_best_checkpoint)
      .Add("resume", c.resume)
      .Add("trace", c.trace)
      .Add("threads", c.threads)
      .Add("progress", c.progress)
      .str();
}

}  // namespace strobe
