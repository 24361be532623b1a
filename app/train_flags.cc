// Every `strobe train` flag, mapped onto the options structs in one place: a flag's default is its setting's
// default, and TrainConfigFromFlags reads each flag under the name the owning struct's Fields() gives it.
// Adding a setting: its field and Fields() line in the owning module's options header, its ABSL_FLAG here
// (docs/architecture.md).
#include "app/train_flags.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/types/optional.h"

ABSL_FLAG(std::string, data, strobe::DataOptions().dir,
          "Dataset directory: MNIST-format IDX files (train-/t10k- images and labels, .gz or plain; the default is "
          "Debian's dataset-fashion-mnist), or an ImageNet layout: train/<class>/<image> and val/<class>/<image> "
          "(JPEG or PNG; class index = sorted folder names).");
ABSL_FLAG(int64_t, image_size, strobe::DataOptions().image_size,
          "ImageNet layout: training crop (RandomResizedCrop) and validation crop size. IDX input: only with "
          "--image_size_schedule, where it must be the images' own side (28 for Fashion-MNIST).");
ABSL_FLAG(int64_t, val_resize, strobe::DataOptions().val_resize,
          "ImageNet layout: validation resizes the shorter side to this, then centre-crops.");
ABSL_FLAG(std::string, image_size_schedule, strobe::DataOptions().image_size_schedule,
          "Progressive resizing: the training image side from each epoch on, SIZE@EPOCH,... (e.g. "
          "160@0,192@10,224@16; multiples of 8 or --image_size, increasing); evaluation stays at --image_size "
          "(IDX input: the images' own side, e.g. --image_size=28 --image_size_schedule=16@0,24@4,28@8).");
ABSL_FLAG(double, crop_scale_min, strobe::DataOptions().crop_scale_min,
          "ImageNet layout: RandomResizedCrop's smallest area fraction.");
ABSL_FLAG(int, decode_threads, strobe::DataOptions().decode_threads,
          "ImageNet layout: image decoding threads per rank, which decode the next batches while a step runs (0: as "
          "many as --threads).");
ABSL_FLAG(int64_t, prefetch_batches, strobe::DataOptions().prefetch_batches,
          "ImageNet layout: batches decoded ahead of the training step.");
ABSL_FLAG(std::string, data_order, strobe::DataOptions().order,
          "shuffled: each epoch visits the training set in one global random order (random reads); streamed "
          "(WebDataset tar shards): the shards are shuffled and cut into --data_streams streams, each read front "
          "to back in large blocks and shuffled within windows of --shuffle_window samples; rank r reads streams "
          "[r*S/W, (r+1)*S/W).");
ABSL_FLAG(int64_t, data_streams, strobe::DataOptions().streams,
          "--data_order=streamed: streams the epoch is cut into, a multiple of the ranks that divides the global "
          "batch (0: one per rank). Keep it when resuming a mid-epoch checkpoint on another number of ranks.");
ABSL_FLAG(int64_t, shuffle_window, strobe::DataOptions().shuffle_window,
          "--data_order=streamed: samples of a stream shuffled together (a shuffle buffer's size); each rank holds "
          "about this many encoded images per stream in memory (in 4 MiB blocks).");
ABSL_FLAG(int64_t, max_bad_images, strobe::DataOptions().max_bad_images,
          "ImageNet layout: unreadable images (corrupt, truncated, empty) a rank replaces by readable ones and "
          "reports; one more stops the run.");
ABSL_FLAG(double, max_bad_fraction, strobe::DataOptions().max_bad_fraction,
          "ImageNet layout: the share of a rank's image reads that may fail (each replaced by the next readable "
          "image of the split) before the run stops, naming the first unreadable file; checked once the rank has "
          "read min(1000, split size) times.");
ABSL_FLAG(bool, channels_last, strobe::DeviceOptions().channels_last,
          "Batches and 4-D weights in PyTorch's channels_last memory format (cuDNN's fast convolutions; use with "
          "--amp on GPUs).");
ABSL_FLAG(bool, uint8_batches, strobe::DataOptions().uint8_batches,
          "ImageNet layout: decode batches into 0-255 bytes (a quarter of the pinned memory and of the copy to the "
          "GPU) and normalise them on the training device; the values are those of torchvision's PIL pipeline, "
          "which also rounds the resized image to bytes.");
ABSL_FLAG(std::string, device, strobe::DeviceOptions().device,
          "Where each rank trains: cuda (GPU number = local rank; NCCL carries gradients and the step's control "
          "word), cpu (MPI), or auto (cuda in a CUDA build, cpu otherwise).");
ABSL_FLAG(std::string, amp, strobe::PrecisionName(strobe::DeviceOptions().amp),
          "Mixed precision: the forward pass under autocast in bf16 (GPU or CPU) or fp16 (GPU, with dynamic loss "
          "scaling); weights, gradients and the optimizer stay float32. off: float32 throughout.");
ABSL_FLAG(std::string, grad_compression, strobe::PrecisionName(strobe::DeviceOptions().grad_compression),
          "All-reduce gradients as bf16 or fp16 (half the bytes on the wire; GPU only), or off (float32).");
ABSL_FLAG(bool, cudnn_benchmark, strobe::DeviceOptions().cudnn_benchmark,
          "GPU: cuDNN times its convolution algorithms the first time it meets a shape and keeps the fastest, as "
          "timm's and torchvision's training scripts have it (those first steps are slower); false: cuDNN's "
          "heuristic choice. No effect on the CPU.");
ABSL_FLAG(std::string, model, strobe::ModelOptions().name,
          "Model: resnet20 (CIFAR-style), resnet18 or resnet50 (ImageNet-style), or PATH.pt: a TorchScript module "
          "taking images [N, C, H, W] and returning logits [N, classes] (deploy/models/script_model.py).");
ABSL_FLAG(double, ema_decay, strobe::OptimizerOptions().ema_decay,
          "> 0: keep an exponential moving average of the weights (timm's ModelEmaV3 without buffers), updated after "
          "every step, evaluated next to the trained weights, saved in checkpoints (strobe export --ema); e.g. 0.9998.");
ABSL_FLAG(bool, ema_warmup, strobe::OptimizerOptions().ema_warmup,
          "--ema_decay: grow the decay as timm's use_warmup does, 1 - (1 + step)^(-2/3), up to --ema_decay.");
ABSL_FLAG(std::string, task, strobe::TaskOptions::TaskName(strobe::TaskOptions().task),
          "classification, or regression: the model predicts one value, the label read as an ordinal number "
          "(class k is the value k), trained with --regression_loss and mixed with the images' lambda; evaluation "
          "reports MAE, RMSE and the accuracy of the rounded prediction.");
ABSL_FLAG(std::string, regression_loss, strobe::TaskOptions::RegressionLossName(strobe::TaskOptions().regression_loss),
          "--task=regression: mse, or smooth_l1 (quadratic below --smooth_l1_beta, linear above).");
ABSL_FLAG(double, smooth_l1_beta, strobe::TaskOptions().smooth_l1_beta,
          "--regression_loss=smooth_l1: where the loss turns from quadratic to linear (PyTorch's beta).");
ABSL_FLAG(std::string, init_weights, strobe::ModelOptions().init_weights,
          "Start from the weights of this state_dict file (a dict of tensors saved with torch.save): torchvision's "
          "or timm's names for resnet18/resnet50, as `strobe export` writes them, or Strobe's own. Every rank reads "
          "it and their CRC-32s must agree. Names missing, unexpected or of another shape are an error. A resumed "
          "run takes the checkpoint's weights instead.");
ABSL_FLAG(std::string, init_exclude, strobe::ModelOptions().init_exclude,
          "Comma-separated names of --init_weights tensors (a name covers the tensors under it) that keep their "
          "fresh initialisation, e.g. fc to fine-tune on another number of classes.");
ABSL_FLAG(bool, sync_bn, strobe::ModelOptions().sync_bn,
          "BatchNorm normalises with the statistics of every rank's batch together in training (as "
          "torch.nn.SyncBatchNorm), for small per-rank batches; built-in models only.");
ABSL_FLAG(std::string, run_dir, strobe::RunOptions().run_dir,
          "Directory for config.json and metrics.jsonl; must not hold an earlier run.");
ABSL_FLAG(int64_t, epochs, strobe::RunOptions().epochs, "Training epochs.");
ABSL_FLAG(int64_t, batch_size, strobe::RunOptions().global_batch,
          "Global batch size over all ranks; must be divisible by the number of ranks.");
ABSL_FLAG(int64_t, accum_steps, strobe::RunOptions().accum_steps,
          "Gradient accumulation: each rank runs its share of the global batch as this many micro-batches and "
          "averages gradients once per step (--batch_size stays the global batch per optimizer step).");
ABSL_FLAG(int64_t, train_samples, strobe::DataOptions().train_samples,
          "Train on only the first N training samples (0: all). For quick runs.");
ABSL_FLAG(int64_t, eval_samples, strobe::DataOptions().eval_samples,
          "Evaluate on only the first N test samples (0: all). For quick runs.");
ABSL_FLAG(int64_t, eval_batch, strobe::DataOptions().eval_batch, "Evaluation batch size per rank.");
ABSL_FLAG(double, lr, strobe::LrOptions().base_lr,
          "Base learning rate, for a global batch of --reference_batch when --scale_lr is on.");
ABSL_FLAG(bool, scale_lr, strobe::LrOptions().scale_lr,
          "Linear scaling rule: peak LR = lr x batch_size / reference_batch.");
ABSL_FLAG(int64_t, reference_batch, strobe::LrOptions().reference_batch,
          "Reference batch of the linear scaling rule.");
ABSL_FLAG(std::string, lr_schedule, strobe::LrOptions().schedule,
          "LR decay after warmup: constant, cosine (to --final_lr), step (x --lr_gamma at each of --lr_milestones), "
          "poly ((1 - progress)^--lr_power down to --final_lr), or onecycle (fastai's fit_one_cycle: LR and "
          "momentum annealed over --onecycle_* settings; the warmup flags do not apply).");
ABSL_FLAG(double, warmup_epochs, strobe::LrOptions().warmup_epochs,
          "Linear LR warmup length in epochs (fractions allowed).");
ABSL_FLAG(int64_t, warmup_steps, strobe::LrOptions().warmup_steps,
          "Linear LR warmup length in steps; overrides --warmup_epochs when >= 0.");
ABSL_FLAG(std::vector<std::string>, lr_milestones, {},
          "Step schedule: comma-separated epochs after warmup (fractions allowed) at which the LR is multiplied by "
          "--lr_gamma, e.g. 30,60,80.");
ABSL_FLAG(double, lr_gamma, strobe::LrOptions().gamma, "Step schedule: LR factor at each milestone.");
ABSL_FLAG(double, lr_power, strobe::LrOptions().power, "Polynomial schedule: exponent.");
ABSL_FLAG(double, final_lr, strobe::LrOptions().final_lr, "LR at the end of the cosine decay.");
ABSL_FLAG(double, onecycle_pct_start, strobe::LrOptions().onecycle_pct_start,
          "onecycle: fraction of the steps spent rising to the peak LR.");
ABSL_FLAG(double, onecycle_div, strobe::LrOptions().onecycle_div, "onecycle: the first LR is the peak / this.");
ABSL_FLAG(double, onecycle_final_div, strobe::LrOptions().onecycle_final_div,
          "onecycle: the last LR is the peak / this.");
ABSL_FLAG(double, onecycle_min_momentum, strobe::LrOptions().onecycle_min_momentum,
          "onecycle: momentum at the peak LR (it replaces --momentum).");
ABSL_FLAG(double, onecycle_max_momentum, strobe::LrOptions().onecycle_max_momentum,
          "onecycle: momentum at the start and the end.");
ABSL_FLAG(bool, lr_adascale, strobe::LrOptions().adascale,
          "AdaScale (Johnson et al. 2020): scale the LR by a gain in [1, ranks] estimated from the ranks' gradient "
          "variance, and advance the schedule (defined for one rank's batch) by the gain each step; replaces the "
          "linear scaling rule.");
ABSL_FLAG(double, adascale_smoothing, strobe::LrOptions().adascale_smoothing,
          "AdaScale: moving-average factor of the noise estimates, in [0, 1).");
ABSL_FLAG(std::string, plateau_metric, strobe::LrOptions().plateau_metric,
          "Reduce the LR when this global metric stops improving: val_loss, val_accuracy (each epoch's distributed "
          "evaluation) or train_loss (all-reduced, every --log_every steps). Empty: off. Multiplies the schedule.");
ABSL_FLAG(int64_t, plateau_patience, strobe::LrOptions().plateau_patience,
          "Plateau: reduce at the N-th observation in a row without improvement (PyTorch's patience=N-1).");
ABSL_FLAG(double, plateau_factor, strobe::LrOptions().plateau_factor, "Plateau: LR factor per reduction, in (0, 1).");
ABSL_FLAG(int64_t, plateau_cooldown, strobe::LrOptions().plateau_cooldown,
          "Plateau: observations ignored after a reduction.");
ABSL_FLAG(double, plateau_threshold, strobe::LrOptions().plateau_threshold,
          "Plateau: relative improvement that counts, in [0, 1).");
ABSL_FLAG(double, plateau_min_lr, strobe::LrOptions().plateau_min_lr,
          "Plateau: reductions never take the peak LR below this.");
ABSL_FLAG(std::string, optimizer, strobe::OptimizerOptions::OptimizerName(strobe::OptimizerOptions().optimizer),
          "sgd (torch.optim.SGD), adamw (torch.optim.AdamW), lamb (You et al. 2019) or lars (You et al. 2017, as "
          "timm's Lars); all share --weight_decay's and --no_decay_lr_factor's parameter groups.");
ABSL_FLAG(double, momentum, strobe::OptimizerOptions().momentum, "Momentum of sgd and lars.");
ABSL_FLAG(bool, nesterov, strobe::OptimizerOptions().nesterov, "Nesterov momentum (sgd, lars).");
ABSL_FLAG(double, opt_beta1, strobe::OptimizerOptions().opt_beta1,
          "adamw, lamb: decay of the gradient's moving average (one-cycle cycles it as it cycles SGD's momentum).");
ABSL_FLAG(double, opt_beta2, strobe::OptimizerOptions().opt_beta2,
          "adamw, lamb: decay of the squared gradient's moving average.");
ABSL_FLAG(double, opt_eps, strobe::OptimizerOptions().opt_eps,
          "adamw, lamb: added to the root of the second moment; lars: added to the trust ratio's denominator.");
ABSL_FLAG(double, lars_trust_coefficient, strobe::OptimizerOptions().lars_trust_coefficient,
          "lars: the trust coefficient eta of eta * ||w|| / (||g|| + weight_decay * ||w|| + eps).");
ABSL_FLAG(bool, lars_exclude, strobe::OptimizerOptions().lars_exclude,
          "lars, lamb: BatchNorm parameters and biases keep the plain update, without layer-wise scaling (as the "
          "MLPerf ResNet-50 reference); false scales them too.");
ABSL_FLAG(double, weight_decay, strobe::OptimizerOptions().weight_decay,
          "Weight decay for conv/linear weights (never BatchNorm or biases).");
ABSL_FLAG(double, no_decay_lr_factor, strobe::OptimizerOptions().no_decay_lr_factor,
          "LR multiplier for BatchNorm parameters and biases (no weight decay).");
ABSL_FLAG(double, label_smoothing, strobe::MixOptions().label_smoothing, "Label smoothing in [0, 1).");
ABSL_FLAG(double, mixup_alpha, strobe::MixOptions().mixup_alpha,
          "Mixup: lambda ~ Beta(alpha, alpha); 0 disables (timm's --mixup).");
ABSL_FLAG(double, cutmix_alpha, strobe::MixOptions().cutmix_alpha,
          "CutMix: box area from Beta(alpha, alpha); 0 disables (timm's --cutmix).");
ABSL_FLAG(double, fmix_alpha, strobe::MixOptions().fmix_alpha,
          "FMix: mask area from Beta(alpha, alpha); 0 disables.");
ABSL_FLAG(double, fmix_decay_power, strobe::MixOptions().fmix_decay_power,
          "FMix: spectral decay power of the mask noise.");
ABSL_FLAG(double, cutmix_min_ratio, strobe::MixOptions().cutmix_min_ratio,
          "CutMix box sides uniform in [min, max] x image side when min < max (timm's --cutmix-minmax).");
ABSL_FLAG(double, cutmix_max_ratio, strobe::MixOptions().cutmix_max_ratio, "See --cutmix_min_ratio.");
ABSL_FLAG(double, mix_prob, strobe::MixOptions().prob, "Probability that a draw mixes at all (timm's --mixup-prob).");
ABSL_FLAG(double, mix_switch_prob, strobe::MixOptions().switch_prob,
          "With several methods: probability of the first of CutMix, FMix, Mixup that is enabled; the others "
          "share the rest (timm's --mixup-switch-prob for CutMix vs Mixup).");
ABSL_FLAG(std::string, mix_mode, strobe::LambdaModeName(strobe::MixOptions().mode),
          "New draws per 'batch', per 'pair' (i and B-1-i) or per 'elem'.");
ABSL_FLAG(bool, mix_correct_lambda, strobe::MixOptions().correct_lambda,
          "Use the exact unpasted area of a border-clipped CutMix box as lambda.");
ABSL_FLAG(int64_t, mix_off_epoch, strobe::MixOptions().off_epoch,
          "Stop mixing from this 0-based epoch on (0: never).");
ABSL_FLAG(std::string, mix_partners, strobe::PartnerPolicyName(strobe::MixOptions().partners),
          "Where mixing partners come from: flip (B-1-i), roll (i-1), permute, previous (this rank's previous "
          "batch), ring (another rank's batch, rotating each step).");
ABSL_FLAG(int64_t, bucket_cap_mb, strobe::DeviceOptions().bucket_cap_mb,
          "Gradient bucket size cap in MiB: gradients are averaged one bucket at a time.");
ABSL_FLAG(uint64_t, seed, strobe::RunOptions().seed, "Seed of weight initialisation and the per-epoch sample order.");
ABSL_FLAG(int64_t, log_every, strobe::RunOptions().log_every, "Report loss, LR and throughput every N steps.");
ABSL_FLAG(int64_t, checkpoint_every_steps, strobe::CheckpointOptions().every_steps,
          "Save a checkpoint every N global steps (0: not by step count).");
ABSL_FLAG(double, checkpoint_every_minutes, strobe::CheckpointOptions().every_minutes,
          "Save a checkpoint every T minutes of rank 0's clock (0: off).");
ABSL_FLAG(bool, checkpoint_at_epoch_end, strobe::CheckpointOptions().at_epoch_end,
          "Save a checkpoint after each epoch's evaluation.");
ABSL_FLAG(int64_t, keep_checkpoints, strobe::CheckpointOptions().keep,
          "Keep the newest N checkpoints (0: keep all).");
ABSL_FLAG(bool, keep_best_checkpoint, strobe::CheckpointOptions().keep_best,
          "Also keep the checkpoint with the best validation accuracy.");
ABSL_FLAG(std::string, resume, strobe::CheckpointOptions().resume,
          "'auto': continue from the newest valid checkpoint in --run_dir (start fresh if there is none); a path: "
          "continue from exactly that checkpoint directory or fail. Empty: a new run (--run_dir must be new).");
ABSL_FLAG(std::string, nonfinite, strobe::RunOptions().nonfinite,
          "A step whose averaged gradients hold NaN or infinity: 'skip' its update (on every rank alike) or 'stop' "
          "the run. Checkpoints are never saved from non-finite weights; when the run stops, checkpoints from the "
          "first such step on are set aside (step-N.nonfinite) so --resume=auto continues from before it.");
ABSL_FLAG(int64_t, max_skipped_steps, strobe::RunOptions().max_skipped_steps,
          "With --nonfinite=skip: stop once more than this many steps of the run were skipped.");
ABSL_FLAG(double, stall_timeout_s, strobe::RunOptions().stall_timeout_s,
          "When a rank spends longer than this in one phase (data, forward/backward, a collective, a checkpoint), "
          "end the job with exit code 75 and one line naming the ranks that have not reached the step, their hosts "
          "and phases (also in metrics.jsonl); continue with --resume=auto. 0: wait forever.");
ABSL_FLAG(double, setup_timeout_s, strobe::RunOptions().setup_timeout_s,
          "Before training starts (loading the data and the model, the run directory, choosing a checkpoint): when "
          "a rank spends longer than this in one step of it, end the job with one line naming the rank that holds "
          "the others up (exit 1), or, if it cannot speak (stopped), the collective rank 0 waits in (exit 75). "
          "0: wait forever.");
ABSL_FLAG(int64_t, inject_delay_rank, strobe::RunOptions().inject_delay_rank,
          "For tests and drills of the straggler report: this rank (-1: none) sleeps --inject_delay_ms in each step's "
          "forward pass, as a slower GPU or a busier host would; the progress line then names it.");
ABSL_FLAG(int64_t, inject_delay_ms, strobe::RunOptions().inject_delay_ms,
          "Milliseconds --inject_delay_rank sleeps per step.");
ABSL_FLAG(int64_t, inject_nan_step, strobe::RunOptions().inject_nan_step,
          "For tests and drills of the non-finite path: at this step (-1: none) the first image of the last rank's "
          "batch becomes NaN, as a corrupt sample would; the step is skipped on every rank (--nonfinite).");
ABSL_FLAG(bool, trace, strobe::RunOptions().trace,
          "Write each rank's applied LR and sample indices per step to RUN_DIR/trace/rank-N.txt (to check that ranks "
          "agree and that resumes keep the sample order).");
ABSL_FLAG(std::string, progress, strobe::RunOptions().progress,
          "Rank 0's progress display: 'live' rewrites one line in place, 'lines' prints a line per report, 'auto' "
          "is live only for a single process on a terminal (under mpirun/srun rank 0 cannot tell whether the "
          "launcher's output is a terminal).");
ABSL_FLAG(int, threads, strobe::DeviceOptions().threads,
          "CPU threads that compute a rank's training step, all together (LibTorch's intra-op and OpenMP threads, "
          "oneDNN, Strobe's kernels); 0: the host's cores divided by its ranks, within the cores the launcher bound "
          "the rank to. Decoding ImageNet-layout data has its own --decode_threads.");

namespace strobe {
namespace {

// Reads each flag into the setting a Fields() list pairs it with. The first problem stops the reading.
class FlagReader {
 public:
  template <typename T>
  void operator()(const char* name, T& field) {
    if (absl::optional<T> value = Read<T>(name); value.has_value()) field = *std::move(value);
  }

  void operator()(const char* name, std::vector<double>& field) {
    absl::optional<std::vector<std::string>> texts = Read<std::vector<std::string>>(name);
    if (!texts.has_value()) return;
    field.clear();
    for (const std::string& text : *texts) {
      double number = 0;
      if (!absl::SimpleAtod(text, &number)) {
        Fail(absl::InvalidArgumentError(absl::StrFormat("--%s: '%s' is not a number", name, text)));
        return;
      }
      field.push_back(number);
    }
  }

  template <typename Enum, typename Parse, typename Name>
  void operator()(const char* name, Enum& field, Parse parse, Name) {
    absl::optional<std::string> text = Read<std::string>(name);
    if (!text.has_value()) return;
    absl::StatusOr<Enum> value = parse(*text);
    if (!value.ok()) return Fail(value.status());
    field = *value;
  }

  const absl::Status& status() const { return status_; }

 private:
  template <typename T>
  absl::optional<T> Read(const char* name) {
    if (!status_.ok()) return absl::nullopt;
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    absl::optional<T> value;
    if (flag != nullptr) value = flag->TryGet<T>();
    // A setting without a flag of its type is a programming error that the flag-mapping test catches.
    if (!value.has_value()) Fail(absl::InternalError(absl::StrFormat("no flag --%s of the setting's type", name)));
    return value;
  }

  void Fail(absl::Status status) {
    if (status_.ok()) status_ = std::move(status);
  }

  absl::Status status_;
};

}  // namespace

absl::StatusOr<TrainConfig> TrainConfigFromFlags() {
  TrainConfig config;
  FlagReader reader;
  TrainConfig::Fields(config, reader);
  if (!reader.status().ok()) return reader.status();
  return config;
}

}  // namespace strobe
