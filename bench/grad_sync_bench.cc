// Gradient synchronisation benchmark: ResNet-50's 25.6M fp32 gradients averaged across ranks three ways,
// measured side by side in one run:
//   flat       one MPI_Allreduce over a single flat buffer of all gradients (the bandwidth reference)
//   bucketed   Strobe's GradientBucketer (25 MiB buckets by default; gradients live in the buckets)
//   per-tensor one allreduce per parameter tensor (161 collectives)
// Run: mpirun -np 2 build/bench/grad_sync_bench [--iterations=20] [--bucket_cap_mb=25]
// Before timing, each method averages known per-rank gradients once and every element is compared with the exact
// rank average (as nccl-tests verifies each run): a wrong result prints a FAILED line and exits 1 on every rank.
// Prints one line per method with the median time and algorithm bandwidth (bytes / time), and the ratios.
#include <ATen/ATen.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
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

// One way of averaging gradients across ranks: the tensors it averages, named as the parameters they stand for, and
// the call that averages them in place.
struct Method {
  const char* name;
  std::vector<at::Tensor> gradients;
  std::function<void()> average;
};

// The per-element pattern of gradient `index`: small integers 1..61, shifted per tensor so that a tensor's values
// landing in another tensor of the same shape are noticed. Rank r holds (r + 1) * pattern, so the rank average is
// pattern * (world_size + 1) / 2. Every partial sum over ranks is then an integer below 2^24 (up to kMaxExactRanks),
// exact in float whatever order the reduction adds in, and the average, a multiple of 1/2, is exact too: a correct
// method gives it bit for bit, and the check demands equality.
constexpr int64_t kPatternPeriod = 61;
constexpr int kMaxExactRanks = 740;  // 61 * 740 * 741 / 2 < 2^24

at::Tensor Pattern(size_t index, const at::Tensor& like) {
  return at::arange(like.numel(), at::kLong)
      .add_(static_cast<int64_t>(index) * 7)
      .remainder_(kPatternPeriod)
      .add_(1)
      .to(at::kFloat)
      .view(like.sizes());
}

void FillRankGradients(const Method& method, int rank) {
  for (size_t i = 0; i < method.gradients.size(); ++i) {
    method.gradients[i].copy_(Pattern(i, method.gradients[i]).mul_(rank + 1));
  }
}

// Fills this rank's gradients, averages them once, and compares every element with the rank average.
absl::Status Verify(const Method& method, const std::vector<std::string>& names, const DistributedContext& context) {
  FillRankGradients(method, context.rank);
  method.average();
  const double mean_factor = (context.world_size + 1) / 2.0;
  for (size_t i = 0; i < method.gradients.size(); ++i) {
    const at::Tensor got = method.gradients[i].reshape(-1);
    const at::Tensor expected = Pattern(i, method.gradients[i]).mul_(mean_factor).reshape(-1);
    const at::Tensor wrong = got.ne(expected).nonzero();
    if (wrong.numel() > 0) {
      const int64_t element = wrong[0].item<int64_t>();
      return absl::InternalError(absl::StrFormat("%s: element %d of %s is %g, expected %g (rank %d)", method.name,
                                                 element, names[i], got[element].item<float>(),
                                                 expected[element].item<float>(), context.rank));
    }
  }
  return absl::OkStatus();
}

// Verifies every method on every rank, printing each failure where it happens; true on all ranks if all passed, so
// that every rank exits together instead of some waiting in the next collective.
bool VerifyAll(const std::vector<Method>& methods, const std::vector<std::string>& names,
               const DistributedContext& context) {
  std::vector<absl::Status> results;
  if (context.world_size > kMaxExactRanks) {
    results.push_back(absl::OutOfRangeError(absl::StrFormat("the exact check holds up to %d ranks", kMaxExactRanks)));
  } else {
    for (const Method& method : methods) results.push_back(Verify(method, names, context));
  }
  int failed = 0;
  for (const absl::Status& status : results) {
    if (status.ok()) continue;
    std::fprintf(stderr, "grad_sync_bench: FAILED: %s\n", std::string(status.message()).c_str());
    failed = 1;
  }
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any_failed == 0;
}

int Run(const DistributedContext& context) {
  auto model = *MakeModel("resnet50", 3, 1000);
  std::vector<at::Tensor> parameters;
  std::vector<std::string> names;
  for (const auto& named : model->named_parameters()) {
    names.push_back(named.key());
    parameters.push_back(named.value());
  }
  int64_t numel = 0;
  for (const at::Tensor& p : parameters) numel += p.numel();
  const double bytes = static_cast<double>(numel) * sizeof(float);
  const int iterations = absl::GetFlag(FLAGS_iterations);
  MpiCommunicator comm;

  // The flat buffer is checked through one view per parameter, in parameter order.
  at::Tensor flat = at::empty({numel}, at::kFloat);
  Method flat_method{"flat", {}, [&] {
                       MPI_Allreduce(MPI_IN_PLACE, flat.data_ptr(), static_cast<int>(numel), MPI_FLOAT, MPI_SUM,
                                     MPI_COMM_WORLD);
                       flat.div_(context.world_size);
                     }};
  int64_t offset = 0;
  for (const at::Tensor& p : parameters) {
    flat_method.gradients.push_back(flat.narrow(0, offset, p.numel()).view(p.sizes()));
    offset += p.numel();
  }

  // The bucketer's gradients are the parameters' .grad() views into its buckets.
  GradientBucketer bucketer(comm, parameters, BucketerOptions{absl::GetFlag(FLAGS_bucket_cap_mb) * 1024 * 1024});
  Method bucketed_method{"bucketed", {}, [&] { bucketer.AverageGradients(); }};
  for (const at::Tensor& p : parameters) bucketed_method.gradients.push_back(p.grad());

  std::vector<at::Tensor> grads;
  for (const at::Tensor& p : parameters) grads.push_back(at::empty_like(p));
  Method per_tensor_method{"per-tensor", grads, [&] {
                             for (at::Tensor& g : grads) comm.AllReduce(g, ReduceOp::kAverage);
                           }};

  const std::vector<Method> methods = {flat_method, bucketed_method, per_tensor_method};
  if (!VerifyAll(methods, names, context)) return 1;
  if (context.rank == 0) {
    std::printf("verified: all %zu methods give the exact rank average of every element\n", methods.size());
  }
  // The gradients now hold the same values on every rank, which averaging leaves unchanged: what the timed
  // iterations move does not drift.
  const double flat_s = MedianSeconds(iterations, methods[0].average);
  const double bucketed_s = MedianSeconds(iterations, methods[1].average);
  const double per_tensor_s = MedianSeconds(iterations, methods[2].average);

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
