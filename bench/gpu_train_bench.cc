// Training throughput of Strobe's training step on one GPU, on synthetic data already on the device: the model
// from the model zoo, the NCCL communicator at world size 1 with gradient buckets started during backward, SGD
// (nesterov, weight decay) and autocast as `strobe train` runs them. bench/gpu_train_python.py measures PyTorch
// eager in Python doing the same; bench/gpu_bench.sh runs both, alternating, and prints the ratio.
// Run: build/bench/gpu_train_bench [--model=resnet50|PATH.pt] [--batch=256] [--amp=bf16] [--channels_last]
//      [--optimizer=sgd|adamw|lamb|lars] [--accum_steps=1] [--steps=40]
#include <ATen/ATen.h>
#include <c10/cuda/CUDAFunctions.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "ops/communicator.h"
#include "ops/distributed_context.h"
#include "ops/gradient_bucketer.h"
#include "worker/device_placement.h"
#include "worker/models/model_zoo.h"
#include "worker/optimizer.h"
#include "worker/training_step.h"

ABSL_FLAG(std::string, model, "resnet50", "Model from the model zoo, or a TorchScript file (PATH.pt).");
ABSL_FLAG(std::string, optimizer, "sgd", "sgd, adamw, lamb or lars (weight decay 1e-4 on weights, as SGD's).");
ABSL_FLAG(int64_t, accum_steps, 1, "Micro-batches per step (gradient accumulation).");
ABSL_FLAG(int64_t, batch, 256, "Images per step.");
ABSL_FLAG(int64_t, image_size, 224, "Image side.");
ABSL_FLAG(std::string, amp, "bf16", "off, bf16 or fp16.");
ABSL_FLAG(bool, channels_last, true, "Channels-last weights and batches.");
ABSL_FLAG(int, warmup_steps, 15, "Untimed steps (cuDNN autotuning, allocator warm-up).");
ABSL_FLAG(int, steps, 40, "Timed steps.");

namespace strobe {
namespace {

int Run(const DistributedContext& context) {
  at::globalContext().setBenchmarkCuDNN(true);  // as timm and torchvision's reference scripts
  absl::StatusOr<Precision> amp = ParsePrecision("amp", absl::GetFlag(FLAGS_amp));
  absl::StatusOr<c10::Device> device = ResolveTrainingDevice("cuda", context);
  absl::StatusOr<std::unique_ptr<Communicator>> comm = MakeCommunicator(CommBackend::kNccl, context);
  if (!amp.ok() || !device.ok() || !comm.ok()) {
    std::fprintf(stderr, "gpu_train_bench: %s\n",
                 std::string((!amp.ok() ? amp.status() : !device.ok() ? device.status() : comm.status()).message())
                     .c_str());
    return 1;
  }
  const Placement placement{*device, absl::GetFlag(FLAGS_channels_last), *amp};
  torch::manual_seed(0);
  auto model = MakeModel(absl::GetFlag(FLAGS_model), 3, 1000);
  if (!model.ok()) return 1;
  PlaceModel(**model, placement);
  OptimizerOptions rule;
  rule.momentum = 0.9;
  rule.nesterov = true;
  rule.weight_decay = 1e-4;
  absl::StatusOr<OptimizerKind> kind = OptimizerOptions::ParseOptimizer(absl::GetFlag(FLAGS_optimizer));
  if (!kind.ok()) {
    std::fprintf(stderr, "gpu_train_bench: %s\n", std::string(kind.status().message()).c_str());
    return 1;
  }
  rule.optimizer = *kind;
  std::unique_ptr<Optimizer> optimizer = MakeOptimizer(**model, rule);
  BucketerOptions buckets;
  buckets.overlap = true;
  GradientBucketer bucketer(**comm, (*model)->parameters(), buckets);
  TrainingStep step(**model, *optimizer, bucketer, *amp);
  step.UseAccumulation(absl::GetFlag(FLAGS_accum_steps));

  const int64_t batch = absl::GetFlag(FLAGS_batch);
  const int64_t size = absl::GetFlag(FLAGS_image_size);
  const at::Tensor images = placement.Images(at::randn({batch, 3, size, size}).to(*device));
  const at::Tensor labels = at::randint(0, 1000, {batch}, at::kLong).to(*device);
  for (int i = 0; i < absl::GetFlag(FLAGS_warmup_steps); ++i) step.Run(images, labels, 0.1);
  c10::cuda::device_synchronize();
  const int steps = absl::GetFlag(FLAGS_steps);
  const auto start = std::chrono::steady_clock::now();
  double loss = 0;
  for (int i = 0; i < steps; ++i) loss = step.Run(images, labels, 0.1);
  c10::cuda::device_synchronize();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("strobe %s batch %ld amp %s%s %s accum %ld: %.1f img/s (%.2f ms/step, last loss %.3f)\n",
              absl::GetFlag(FLAGS_model).c_str(), static_cast<long>(batch), PrecisionName(*amp).c_str(),
              placement.channels_last ? " channels-last" : "", optimizer->name().c_str(),
              static_cast<long>(absl::GetFlag(FLAGS_accum_steps)), batch * steps / seconds, 1e3 * seconds / steps,
              loss);
  return 0;
}

}  // namespace
}  // namespace strobe

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const strobe::DistributedContext context = strobe::InitDistributed(&argc, &argv);
  const int rc = strobe::Run(context);
  strobe::FinalizeDistributed();
  return rc;
}
