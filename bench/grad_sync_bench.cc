// Gradient synchronisation benchmark: ResNet-50's 25.6M fp32 gradients averaged across ranks three ways,
// measured side by side in one run:
//   flat       one MPI_Allreduce over a single flat buffer of all gradients (the bandwidth reference)
//   bucketed   Strobe's GradientBucketer (25 MiB buckets by default; gradients live in the buckets)
//   per-tensor one allreduce per parameter tensor (161 collectives)
// Run: mpirun -np 2 build/bench/grad_sync_bench [--iterations=20] [--bucket_cap_mb=25]
// Prints one line per method with the median time and algorithm bandwidth (bytes / time), and the ratios.
#include <ATen/ATen.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "ops/distributed_context.h"
#include "ops/gradient_bucketer.h"
#include "ops/mpi_communicator.h"
#include "worker/models/model_zoo.h"

ABSL_FLAG(int, iterations, 20, "Timed iterations per method (after 3 warm-up iterations).");
ABSL_FLAG(int64_t, bucket_cap_mb, 25, "Bucket cap for the bucketed method, MiB.");

namespace strobe {
namespace {

// Median seconds of `iterations` runs of `fn`, each started together on all ranks.
double MedianSeconds(int iterations, const std::function<void()>& fn) {
  std::vector<double> seconds;
  for (int i = 0; i < iterations + 3; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = std::chrono::steady_clock::now();
    fn();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double slowest = 0;
    MPI_Allreduce(&elapsed, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (i >= 3) seconds.push_back(slowest);
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

int Run(const DistributedContext& context) {
  auto model = *MakeModel("resnet50", 3, 1000);
  std::vector<at::Tensor> parameters = model->parameters();
  int64_t numel = 0;
  for (const at::Tensor& p : parameters) numel += p.numel();
  const double bytes = static_cast<double>(numel) * sizeof(float);
  const int iterations = absl::GetFlag(FLAGS_iterations);
  MpiCommunicator comm;

  at::Tensor flat = at::ones({numel}, at::kFloat);
  const double flat_s = MedianSeconds(iterations, [&] {
    MPI_Allreduce(MPI_IN_PLACE, flat.data_ptr(), static_cast<int>(numel), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    flat.div_(context.world_size);
  });

  GradientBucketer bucketer(comm, parameters, BucketerOptions{absl::GetFlag(FLAGS_bucket_cap_mb) * 1024 * 1024});
  for (const at::Tensor& buffer : bucketer.buffers()) buffer.fill_(1.0f);
  const double bucketed_s = MedianSeconds(iterations, [&] { bucketer.AverageGradients(); });

  std::vector<at::Tensor> grads;
  for (const at::Tensor& p : parameters) grads.push_back(at::ones_like(p));
  const double per_tensor_s = MedianSeconds(iterations, [&] {
    for (at::Tensor& g : grads) comm.AllReduce(g, ReduceOp::kAverage);
  });

  if (context.rank == 0) {
    std::printf("gradient sync: ResNet-50, %ld fp32 gradients (%.1f MB) in %zu tensors, %d ranks, median of %d\n",
                static_cast<long>(numel), bytes / 1e6, parameters.size(), context.world_size, iterations);
    auto line = [&](const char* name, double s, const char* detail) {
      std::printf("  %-11s %8.2f ms  %7.2f GB/s  %s\n", name, s * 1e3, bytes / s / 1e9, detail);
    };
    line("flat", flat_s, "one MPI_Allreduce of a single buffer");
    std::printf("  %-11s %8.2f ms  %7.2f GB/s  %zu buckets of <= %ld MiB; %.3fx flat bandwidth\n", "bucketed",
                bucketed_s * 1e3, bytes / bucketed_s / 1e9, bucketer.plan().size(),
                static_cast<long>(absl::GetFlag(FLAGS_bucket_cap_mb)), flat_s / bucketed_s);
    std::printf("  %-11s %8.2f ms  %7.2f GB/s  %zu collectives; %.3fx flat bandwidth\n", "per-tensor",
                per_tensor_s * 1e3, bytes / per_tensor_s / 1e9, grads.size(), flat_s / per_tensor_s);
  }
  return 0;
}

}  // namespace
}  // namespace strobe

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const strobe::DistributedContext context = strobe::InitDistributed(&argc, &argv);
  const int code = strobe::Run(context);
  strobe::FinalizeDistributed();
  return code;
}
