#include "app/train_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

ABSL_FLAG(std::string, data, "/usr/share/datasets/fashion-mnist",
          "Dataset directory: MNIST-format IDX files (train-/t10k- images and labels, .gz or plain; the default is "
          "Debian's dataset-fashion-mnist), or an ImageNet layout: train/<class>/<image> and val/<class>/<image> "
          "(JPEG or PNG; class index = sorted folder names).");
ABSL_FLAG(int64_t, image_size, 224, "ImageNet layout: training crop (RandomResizedCrop) and validation crop size.");
ABSL_FLAG(int64_t, val_resize, 256, "ImageNet layout: validation resizes the shorter side to this, then centre-crops.");
ABSL_FLAG(double, crop_scale_min, 0.08, "ImageNet layout: RandomResizedCrop's smallest area fraction.");
ABSL_FLAG(int, decode_threads, 0, "ImageNet layout: image decoding threads per rank (0: the rank's share of the cores).");
ABSL_FLAG(int64_t, prefetch_batches, 2, "ImageNet layout: batches decoded ahead of the training step.");
ABSL_FLAG(std::string, data_order, "shuffled",
          "shuffled: each epoch visits the training set in one global random order (random reads); streamed "
          "(WebDataset tar shards): the shards are shuffled and cut into --data_streams streams, each read front "
          "to back in large blocks and shuffled within windows of --shuffle_window samples; rank r reads streams "
          "[r*S/W, (r+1)*S/W).");
ABSL_FLAG(int64_t, data_streams, 0,
          "--data_order=streamed: streams the epoch is cut into, a multiple of the ranks that divides the global "
          "batch (0: one per rank). Keep it when resuming a mid-epoch checkpoint on another number of ranks.");
ABSL_FLAG(int64_t, shuffle_window, 1024,
          "--data_order=streamed: samples of a stream shuffled together (a shuffle buffer's size); each rank holds "
          "about this many encoded images per stream in memory (in 4 MiB blocks).");
ABSL_FLAG(int64_t, max_bad_images, 100,
          "ImageNet layout: unreadable images (corrupt, truncated, empty) a rank replaces by readable ones and "
          "reports; one more stops the run.");
ABSL_FLAG(bool, channels_last, false,
          "Batches and 4-D weights in PyTorch's channels_last memory format (cuDNN's fast convolutions; use with "
          "--amp on GPUs).");
ABSL_FLAG(bool, uint8_batches, false,
          "ImageNet layout: decode batches into 0-255 bytes (a quarter of the pinned memory and of the copy to the "
          "GPU) and normalise them on the training device; the values are those of torchvision's PIL pipeline, "
          "which also rounds the resized image to bytes.");
ABSL_FLAG(std::string, device, "auto",
          "Where each rank trains: cuda (GPU number = local rank; NCCL carries gradients and the step's control "
          "word), cpu (MPI), or auto (cuda in a CUDA build, cpu otherwise).");
ABSL_FLAG(std::string, amp, "off",
          "Mixed precision: the forward pass under autocast in bf16 (GPU or CPU) or fp16 (GPU, with dynamic loss "
          "scaling); weights, gradients and the optimizer stay float32. off: float32 throughout.");
ABSL_FLAG(std::string, grad_compression, "off",
          "All-reduce gradients as bf16 or fp16 (half the bytes on the wire; GPU only), or off (float32).");
ABSL_FLAG(bool, cudnn_benchmark, true,
          "GPU: cuDNN times its convolution algorithms the first time it meets a shape and keeps the fastest, as "
          "timm's and torchvision's training scripts have it (those first steps are slower); false: cuDNN's "
          "heuristic choice. No effect on the CPU.");
ABSL_FLAG(std::string, model, "resnet20", "Model: resnet20 (CIFAR-style), resnet18 or resnet50 (ImageNet-style).");
ABSL_FLAG(std::string, run_dir, "", "Directory for config.json and metrics.jsonl; must not hold an earlier run.");
ABSL_FLAG(int64_t, epochs, 1, "Training epochs.");
ABSL_FLAG(int64_t, batch_size, 128, "Global batch size over all ranks; must be divisible by the number of ranks.");
ABSL_FLAG(int64_t, train_samples, 0, "Train on only the first N training samples (0: all). For quick runs.");
ABSL_FLAG(int64_t, eval_samples, 0, "Evaluate on only the first N test samples (0: all). For quick runs.");
ABSL_FLAG(int64_t, eval_batch, 500, "Evaluation batch size per rank.");
ABSL_FLAG(double, lr, 0.1, "Base learning rate, for a global batch of --reference_batch when --scale_lr is on.");
ABSL_FLAG(bool, scale_lr, true, "Linear scaling rule: peak LR = lr x batch_size / reference_batch.");
ABSL_FLAG(int64_t, reference_batch, 256, "Reference batch of the linear scaling rule.");
ABSL_FLAG(std::string, lr_schedule, "cosine",
          "LR decay after warmup: constant, cosine (to --final_lr), step (x --lr_gamma at each of --lr_milestones), "
          "poly ((1 - progress)^--lr_power down to --final_lr), or onecycle (fastai's fit_one_cycle: LR and "
          "momentum annealed over --onecycle_* settings; the warmup flags do not apply).");
ABSL_FLAG(double, warmup_epochs, 0.5, "Linear LR warmup length in epochs (fractions allowed).");
ABSL_FLAG(int64_t, warmup_steps, -1, "Linear LR warmup length in steps; overrides --warmup_epochs when >= 0.");
ABSL_FLAG(std::vector<std::string>, lr_milestones, {},
          "Step schedule: comma-separated epochs after warmup (fractions allowed) at which the LR is multiplied by "
          "--lr_gamma, e.g. 30,60,80.");
ABSL_FLAG(double, lr_gamma, 0.1, "Step schedule: LR factor at each milestone.");
ABSL_FLAG(double, lr_power, 1.0, "Polynomial schedule: exponent.");
ABSL_FLAG(double, final_lr, 0.0, "LR at the end of the cosine decay.");
ABSL_FLAG(double, onecycle_pct_start, 0.25, "onecycle: fraction of the steps spent rising to the peak LR.");
ABSL_FLAG(double, onecycle_div, 25.0, "onecycle: the first LR is the peak / this.");
ABSL_FLAG(double, onecycle_final_div, 1e5, "onecycle: the last LR is the peak / this.");
ABSL_FLAG(double, onecycle_min_momentum, 0.85, "onecycle: momentum at the peak LR (it replaces --momentum).");
ABSL_FLAG(double, onecycle_max_momentum, 0.95, "onecycle: momentum at the start and the end.");
ABSL_FLAG(bool, lr_adascale, false,
          "AdaScale (Johnson et al. 2020): scale the LR by a gain in [1, ranks] estimated from the ranks' gradient "
          "variance, and advance the schedule (defined for one rank's batch) by the gain each step; replaces the "
          "linear scaling rule.");
ABSL_FLAG(double, adascale_smoothing, 0.99, "AdaScale: moving-average factor of the noise estimates, in [0, 1).");
ABSL_FLAG(std::string, plateau_metric, "",
          "Reduce the LR when this global metric stops improving: val_loss, val_accuracy (each epoch's distributed "
          "evaluation) or train_loss (all-reduced, every --log_every steps). Empty: off. Multiplies the schedule.");
ABSL_FLAG(int64_t, plateau_patience, 5,
          "Plateau: reduce at the N-th observation in a row without improvement (PyTorch's patience=N-1).");
ABSL_FLAG(double, plateau_factor, 0.1, "Plateau: LR factor per reduction, in (0, 1).");
ABSL_FLAG(int64_t, plateau_cooldown, 0, "Plateau: observations ignored after a reduction.");
ABSL_FLAG(double, plateau_threshold, 1e-4, "Plateau: relative improvement that counts, in [0, 1).");
ABSL_FLAG(double, plateau_min_lr, 0.0, "Plateau: reductions never take the peak LR below this.");
ABSL_FLAG(double, momentum, 0.9, "SGD momentum.");
ABSL_FLAG(bool, nesterov, true, "Nesterov momentum.");
ABSL_FLAG(double, weight_decay, 5e-4, "Weight decay for conv/linear weights (never BatchNorm or biases).");
ABSL_FLAG(double, no_decay_lr_factor, 1.0, "LR multiplier for BatchNorm parameters and biases (no weight decay).");
ABSL_FLAG(double, label_smoothing, 0.0, "Label smoothing in [0, 1).");
ABSL_FLAG(double, mixup_alpha, 0.0, "Mixup: lambda ~ Beta(alpha, alpha); 0 disables (timm's --mixup).");
ABSL_FLAG(double, cutmix_alpha, 0.0, "CutMix: box area from Beta(alpha, alpha); 0 disables (timm's --cutmix).");
ABSL_FLAG(double, fmix_alpha, 0.0, "FMix: mask area from Beta(alpha, alpha); 0 disables.");
ABSL_FLAG(double, fmix_decay_power, 3.0, "FMix: spectral decay power of the mask noise.");
ABSL_FLAG(double, cutmix_min_ratio, 0.0,
          "CutMix box sides uniform in [min, max] x image side when min < max (timm's --cutmix-minmax).");
ABSL_FLAG(double, cutmix_max_ratio, 0.0, "See --cutmix_min_ratio.");
ABSL_FLAG(double, mix_prob, 1.0, "Probability that a draw mixes at all (timm's --mixup-prob).");
ABSL_FLAG(double, mix_switch_prob, 0.5,
          "With several methods: probability of the first of CutMix, FMix, Mixup that is enabled; the others "
          "share the rest (timm's --mixup-switch-prob for CutMix vs Mixup).");
ABSL_FLAG(std::string, mix_mode, "batch", "New draws per 'batch', per 'pair' (i and B-1-i) or per 'elem'.");
ABSL_FLAG(bool, mix_correct_lambda, true, "Use the exact unpasted area of a border-clipped CutMix box as lambda.");
ABSL_FLAG(int64_t, mix_off_epoch, 0, "Stop mixing from this 0-based epoch on (0: never).");
ABSL_FLAG(std::string, mix_partners, "flip",
          "Where mixing partners come from: flip (B-1-i), roll (i-1), permute, previous (this rank's previous "
          "batch), ring (another rank's batch, rotating each step).");
ABSL_FLAG(int64_t, bucket_cap_mb, 25, "Gradient bucket size cap in MiB: gradients are averaged one bucket at a time.");
ABSL_FLAG(uint64_t, seed, 1, "Seed of weight initialisation and the per-epoch sample order.");
ABSL_FLAG(int64_t, log_every, 20, "Report loss, LR and throughput every N steps.");
ABSL_FLAG(int64_t, checkpoint_every_steps, 0, "Save a checkpoint every N global steps (0: not by step count).");
ABSL_FLAG(double, checkpoint_every_minutes, 0.0, "Save a checkpoint every T minutes of rank 0's clock (0: off).");
ABSL_FLAG(bool, checkpoint_at_epoch_end, true, "Save a checkpoint after each epoch's evaluation.");
ABSL_FLAG(int64_t, keep_checkpoints, 3, "Keep the newest N checkpoints (0: keep all).");
ABSL_FLAG(bool, keep_best_checkpoint, true, "Also keep the checkpoint with the best validation accuracy.");
ABSL_FLAG(std::string, resume, "",
          "'auto': continue from the newest valid checkpoint in --run_dir (start fresh if there is none); a path: "
          "continue from exactly that checkpoint directory or fail. Empty: a new run (--run_dir must be new).");
ABSL_FLAG(bool, trace, false,
          "Write each rank's applied LR and sample indices per step to RUN_DIR/trace/rank-N.txt (to check that ranks "
          "agree and that resumes keep the sample order).");
ABSL_FLAG(std::string, progress, "auto",
          "Rank 0's progress display: 'live' rewrites one line in place, 'lines' prints a line per report, 'auto' "
          "is live only for a single process on a terminal (under mpirun/srun rank 0 cannot tell whether the "
          "launcher's output is a terminal).");
ABSL_FLAG(int, threads, 0,
          "Intra-op CPU threads per rank; 0: the host's cores divided by its ranks, within the cores the launcher "
          "bound the rank to.");

namespace strobe {

absl::StatusOr<TrainConfig> TrainConfigFromFlags() {
  TrainConfig config;
  config.data_dir = absl::GetFlag(FLAGS_data);
  config.model = absl::GetFlag(FLAGS_model);
  config.run_dir = absl::GetFlag(FLAGS_run_dir);
  config.epochs = absl::GetFlag(FLAGS_epochs);
  config.global_batch = absl::GetFlag(FLAGS_batch_size);
  config.train_samples = absl::GetFlag(FLAGS_train_samples);
  config.eval_samples = absl::GetFlag(FLAGS_eval_samples);
  config.eval_batch = absl::GetFlag(FLAGS_eval_batch);
  config.base_lr = absl::GetFlag(FLAGS_lr);
  config.scale_lr = absl::GetFlag(FLAGS_scale_lr);
  config.reference_batch = absl::GetFlag(FLAGS_reference_batch);
  config.lr_schedule = absl::GetFlag(FLAGS_lr_schedule);
  config.warmup_epochs = absl::GetFlag(FLAGS_warmup_epochs);
  config.warmup_steps = absl::GetFlag(FLAGS_warmup_steps);
  for (const std::string& milestone : absl::GetFlag(FLAGS_lr_milestones)) {
    double epochs = 0;
    if (!absl::SimpleAtod(milestone, &epochs)) {
      return absl::InvalidArgumentError(absl::StrFormat("--lr_milestones: '%s' is not a number of epochs", milestone));
    }
    config.lr_milestones.push_back(epochs);
  }
  config.lr_gamma = absl::GetFlag(FLAGS_lr_gamma);
  config.lr_power = absl::GetFlag(FLAGS_lr_power);
  config.final_lr = absl::GetFlag(FLAGS_final_lr);
  config.onecycle_pct_start = absl::GetFlag(FLAGS_onecycle_pct_start);
  config.onecycle_div = absl::GetFlag(FLAGS_onecycle_div);
  config.onecycle_final_div = absl::GetFlag(FLAGS_onecycle_final_div);
  config.onecycle_min_momentum = absl::GetFlag(FLAGS_onecycle_min_momentum);
  config.onecycle_max_momentum = absl::GetFlag(FLAGS_onecycle_max_momentum);
  config.sgd.no_decay_lr_factor = absl::GetFlag(FLAGS_no_decay_lr_factor);
  config.lr_adascale = absl::GetFlag(FLAGS_lr_adascale);
  config.adascale_smoothing = absl::GetFlag(FLAGS_adascale_smoothing);
  config.plateau_metric = absl::GetFlag(FLAGS_plateau_metric);
  config.plateau_patience = absl::GetFlag(FLAGS_plateau_patience);
  config.plateau_factor = absl::GetFlag(FLAGS_plateau_factor);
  config.plateau_cooldown = absl::GetFlag(FLAGS_plateau_cooldown);
  config.plateau_threshold = absl::GetFlag(FLAGS_plateau_threshold);
  config.plateau_min_lr = absl::GetFlag(FLAGS_plateau_min_lr);
  config.checkpoint_every_steps = absl::GetFlag(FLAGS_checkpoint_every_steps);
  config.checkpoint_every_minutes = absl::GetFlag(FLAGS_checkpoint_every_minutes);
  config.checkpoint_at_epoch_end = absl::GetFlag(FLAGS_checkpoint_at_epoch_end);
  config.keep_checkpoints = absl::GetFlag(FLAGS_keep_checkpoints);
  config.keep_best_checkpoint = absl::GetFlag(FLAGS_keep_best_checkpoint);
  config.resume = absl::GetFlag(FLAGS_resume);
  config.trace = absl::GetFlag(FLAGS_trace);
  config.sgd.momentum = absl::GetFlag(FLAGS_momentum);
  config.sgd.nesterov = absl::GetFlag(FLAGS_nesterov);
  config.sgd.weight_decay = absl::GetFlag(FLAGS_weight_decay);
  config.label_smoothing = absl::GetFlag(FLAGS_label_smoothing);
  const int64_t bucket_cap_mb = absl::GetFlag(FLAGS_bucket_cap_mb);
  config.bucket_cap_bytes = bucket_cap_mb > 0 ? bucket_cap_mb * 1024 * 1024 : bucket_cap_mb;
  config.seed = absl::GetFlag(FLAGS_seed);
  config.log_every = absl::GetFlag(FLAGS_log_every);
  config.threads = absl::GetFlag(FLAGS_threads);
  config.image_size = absl::GetFlag(FLAGS_image_size);
  config.val_resize = absl::GetFlag(FLAGS_val_resize);
  config.crop_scale_min = absl::GetFlag(FLAGS_crop_scale_min);
  config.decode_threads = absl::GetFlag(FLAGS_decode_threads);
  config.prefetch_batches = absl::GetFlag(FLAGS_prefetch_batches);
  config.data_order = absl::GetFlag(FLAGS_data_order);
  config.data_streams = absl::GetFlag(FLAGS_data_streams);
  config.shuffle_window = absl::GetFlag(FLAGS_shuffle_window);
  config.max_bad_images = absl::GetFlag(FLAGS_max_bad_images);
  config.channels_last = absl::GetFlag(FLAGS_channels_last);
  config.uint8_batches = absl::GetFlag(FLAGS_uint8_batches);
  config.cudnn_benchmark = absl::GetFlag(FLAGS_cudnn_benchmark);
  config.device = absl::GetFlag(FLAGS_device);
  absl::StatusOr<Precision> amp = ParsePrecision("amp", absl::GetFlag(FLAGS_amp));
  if (!amp.ok()) return amp.status();
  config.amp = *amp;
  absl::StatusOr<Precision> compression = ParsePrecision("grad_compression", absl::GetFlag(FLAGS_grad_compression));
  if (!compression.ok()) return compression.status();
  config.grad_compression = *compression;
  config.progress = absl::GetFlag(FLAGS_progress);
  MixOptions& mix = config.mix;
  mix.mixup_alpha = absl::GetFlag(FLAGS_mixup_alpha);
  mix.cutmix_alpha = absl::GetFlag(FLAGS_cutmix_alpha);
  mix.fmix_alpha = absl::GetFlag(FLAGS_fmix_alpha);
  mix.fmix_decay_power = absl::GetFlag(FLAGS_fmix_decay_power);
  mix.cutmix_min_ratio = absl::GetFlag(FLAGS_cutmix_min_ratio);
  mix.cutmix_max_ratio = absl::GetFlag(FLAGS_cutmix_max_ratio);
  mix.prob = absl::GetFlag(FLAGS_mix_prob);
  mix.switch_prob = absl::GetFlag(FLAGS_mix_switch_prob);
  mix.correct_lambda = absl::GetFlag(FLAGS_mix_correct_lambda);
  mix.off_epoch = absl::GetFlag(FLAGS_mix_off_epoch);
  absl::StatusOr<LambdaMode> mode = ParseLambdaMode(absl::GetFlag(FLAGS_mix_mode));
  if (!mode.ok()) return mode.status();
  mix.mode = *mode;
  absl::StatusOr<PartnerPolicy> partners = ParsePartnerPolicy(absl::GetFlag(FLAGS_mix_partners));
  if (!partners.ok()) return partners.status();
  mix.partners = *partners;
  return config;
}

}  // namespace strobe
