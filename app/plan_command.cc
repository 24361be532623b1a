#include "app/plan_command.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "app/gnuplot.h"
#include "app/train_flags.h"
#include "ops/allreduce_cost.h"
#include "ops/bucket_plan.h"
#include "worker/file_system.h"
#include "worker/models/model_zoo.h"

ABSL_FLAG(std::string, plan_preset, "a100",
          "Cluster and compute figures to start from: a100 (8x A100 SXM per node, 4x HDR InfiniBand, ResNet-50 "
          "AMP), goyal2017 (Goyal et al. 2017: 8x P100 per node, 50 Gbit Ethernet). Other --plan_* flags override.");
ABSL_FLAG(int, plan_max_gpus, 1024, "Project for 1, 2, 4, ... up to this many GPUs.");
ABSL_FLAG(int, plan_gpus_per_node, 0, "GPUs per node (0: the preset's).");
ABSL_FLAG(double, plan_intra_busbw, 0, "Intra-node all-reduce bus bandwidth, GB/s (0: the preset's).");
ABSL_FLAG(double, plan_inter_busbw, 0, "Inter-node all-reduce bus bandwidth, GB/s (0: the preset's).");
ABSL_FLAG(double, plan_intra_latency_us, 0, "Intra-node latency per all-reduce step, us (0: the preset's).");
ABSL_FLAG(double, plan_inter_latency_us, 0, "Inter-node latency per all-reduce step, us (0: the preset's).");
ABSL_FLAG(double, plan_compute_ms, 0, "Forward + backward + update per GPU and step, ms (0: the preset's).");
ABSL_FLAG(double, plan_backward_fraction, 0, "Share of the compute that is the backward pass (0: the preset's).");
ABSL_FLAG(bool, plan_overlap, true, "All-reduce buckets during the backward pass (Strobe's bucketer does).");
ABSL_FLAG(int, plan_classes, 1000, "Classes of the model's head (ImageNet's 1000; Fashion-MNIST: 10).");
ABSL_FLAG(int, plan_in_channels, 3, "Input channels of the model (3 for RGB; Fashion-MNIST: 1).");

namespace strobe {
namespace {

struct Preset {
  const char* name;
  int gpus_per_node;
  LinkModel intra;
  LinkModel inter;
  double compute_ms;
  double backward_fraction;
};

// Sources in docs/scaling_plan.md. Latencies are assumptions (a few us on NVLink, ~10-20 us across a network).
constexpr Preset kPresets[] = {
    {"a100", 8, {230.0, 5.0}, {90.0, 10.0}, 100.0, 2.0 / 3.0},
    {"goyal2017", 8, {40.0, 5.0}, {6.25, 20.0}, 180.0, 120.0 / 180.0},
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "strobe: error: %s\n", message.c_str());
  return 2;
}

double Override(double flag, double preset) { return flag > 0 ? flag : preset; }

}  // namespace

int RunPlanCommand() {
  const std::string preset_name = absl::GetFlag(FLAGS_plan_preset);
  const Preset* preset = nullptr;
  for (const Preset& candidate : kPresets) {
    if (preset_name == candidate.name) preset = &candidate;
  }
  if (preset == nullptr) return Fail(absl::StrFormat("--plan_preset=%s is not one of a100, goyal2017", preset_name));
  absl::StatusOr<ChartFiles> files = ChartFilesFromFlag();
  if (!files.ok()) return Fail(std::string(files.status().message()));
  // The model and bucket size are those `strobe train` would use with the same flags.
  absl::StatusOr<TrainConfig> config = TrainConfigFromFlags();
  if (!config.ok()) return Fail(std::string(config.status().message()));
  const std::string& model_name = config->model.name;
  const std::string& png_path = files->png_path;
  const std::string& csv_path = files->csv_path;
  if (absl::GetFlag(FLAGS_plan_classes) < 1 || absl::GetFlag(FLAGS_plan_in_channels) < 1) {
    return Fail(absl::StrFormat("--plan_classes and --plan_in_channels must be positive, got %d and %d",
                                absl::GetFlag(FLAGS_plan_classes), absl::GetFlag(FLAGS_plan_in_channels)));
  }
  absl::StatusOr<std::shared_ptr<Classifier>> model =
      MakeModel(model_name, absl::GetFlag(FLAGS_plan_in_channels), absl::GetFlag(FLAGS_plan_classes));
  if (!model.ok()) return Fail(std::string(model.status().message()));
  int64_t parameters = 0;
  std::vector<int64_t> numels;
  for (const at::Tensor& parameter : (*model)->parameters()) {
    numels.push_back(parameter.numel());
    parameters += parameter.numel();
  }

  ClusterModel cluster;
  cluster.gpus_per_node = absl::GetFlag(FLAGS_plan_gpus_per_node) > 0 ? absl::GetFlag(FLAGS_plan_gpus_per_node)
                                                                       : preset->gpus_per_node;
  cluster.intra_node = {Override(absl::GetFlag(FLAGS_plan_intra_busbw), preset->intra.bus_gigabytes_per_s),
                        Override(absl::GetFlag(FLAGS_plan_intra_latency_us), preset->intra.step_latency_us)};
  cluster.inter_node = {Override(absl::GetFlag(FLAGS_plan_inter_busbw), preset->inter.bus_gigabytes_per_s),
                        Override(absl::GetFlag(FLAGS_plan_inter_latency_us), preset->inter.step_latency_us)};
  StepModel step;
  step.compute_seconds = Override(absl::GetFlag(FLAGS_plan_compute_ms), preset->compute_ms) * 1e-3;
  step.backward_fraction = Override(absl::GetFlag(FLAGS_plan_backward_fraction), preset->backward_fraction);
  step.overlap = absl::GetFlag(FLAGS_plan_overlap);
  if (config->device.bucket_cap_bytes() <= 0 || !(step.backward_fraction > 0 && step.backward_fraction <= 1) ||
      absl::GetFlag(FLAGS_plan_max_gpus) < 1) {
    return Fail("--bucket_cap_mb and --plan_max_gpus must be positive, --plan_backward_fraction in (0, 1]");
  }
  // The buckets training will fill: --bucket_cap_mb, and with overlap up to kSmallModelBuckets of them.
  double largest_bucket_bytes = 0.0;
  for (const Bucket& bucket : PlanGradientBuckets(numels, 4, config->device.bucket_cap_bytes(),
                                                  step.overlap ? kSmallModelBuckets : 1)) {
    step.bucket_bytes.push_back(4.0 * static_cast<double>(bucket.numel));
    largest_bucket_bytes = std::max(largest_bucket_bytes, step.bucket_bytes.back());
  }

  std::printf("strobe plan: %s, %lld parameters (%.1f MB of fp32 gradients), %zu buckets of at most %.2f MiB, "
              "overlap %s\n"
              "  per node: %d GPUs; intra-node %.0f GB/s bus bandwidth, %.0f us/step; inter-node %.2f GB/s, %.0f us/step;"
              " compute %.0f ms/step (backward %.0f%%) [preset %s]\n",
              model_name.c_str(), static_cast<long long>(parameters), 4e-6 * static_cast<double>(parameters),
              step.bucket_bytes.size(), largest_bucket_bytes / (1024 * 1024), step.overlap ? "on" : "off",
              cluster.gpus_per_node,
              cluster.intra_node.bus_gigabytes_per_s, cluster.intra_node.step_latency_us,
              cluster.inter_node.bus_gigabytes_per_s, cluster.inter_node.step_latency_us,
              step.compute_seconds * 1e3, 100 * step.backward_fraction, preset->name);
  std::printf("%6s %6s %14s %12s %10s %11s %14s\n", "GPUs", "nodes", "all-reduce ms", "exposed ms", "step ms",
              "efficiency", "vs 8 GPUs");
  std::string csv = "gpus,nodes,allreduce_ms,exposed_ms,step_ms,efficiency,efficiency_vs_8\n";
  double step_at_8 = 0.0;
  for (int gpus = 1; gpus <= absl::GetFlag(FLAGS_plan_max_gpus); gpus *= 2) {
    cluster.gpus = gpus;
    const StepProjection projection = ProjectStep(step, cluster);
    if (gpus == 8) step_at_8 = projection.step_seconds;
    const double versus_8 = step_at_8 > 0 ? step_at_8 / projection.step_seconds : NAN;
    const int nodes = (gpus + cluster.gpus_per_node - 1) / cluster.gpus_per_node;
    std::printf("%6d %6d %14.2f %12.2f %10.2f %10.1f%% %13s\n", gpus, nodes, projection.communication_seconds * 1e3,
                projection.exposed_seconds * 1e3, projection.step_seconds * 1e3, 100 * projection.efficiency,
                std::isnan(versus_8) ? "" : absl::StrFormat("%.1f%%", 100 * versus_8).c_str());
    absl::StrAppendFormat(&csv, "%d,%d,%.6g,%.6g,%.6g,%.6g,%s\n", gpus, nodes, projection.communication_seconds * 1e3,
                          projection.exposed_seconds * 1e3, projection.step_seconds * 1e3, projection.efficiency,
                          std::isnan(versus_8) ? "" : absl::StrFormat("%.6g", versus_8));
  }
  if (absl::Status written = WriteFileAtomically(csv_path, csv); !written.ok()) {
    return Fail(std::string(written.message()));
  }
  LineChart chart{csv_path, png_path,
                  absl::StrFormat("Projected scaling: %s, preset %s", model_name, preset->name),
                  "GPUs", "scaling efficiency", /*log_x=*/true, 1.05, 1, {6, 7}, {}, "", 0.0};
  if (absl::Status drawn = RenderLineChart(chart); !drawn.ok()) return Fail(std::string(drawn.message()));
  std::printf("strobe: wrote %s and %s\n", png_path.c_str(), csv_path.c_str());
  return 0;
}

}  // namespace strobe
