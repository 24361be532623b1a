// BatchNorm + ReLU benchmark: the built-in models' fused training-mode BatchNorm + ReLU (worker/models/batch_norm_relu)
// against the unfused LibTorch operations it replaces (torch::batch_norm, `+ residual`, torch::relu), forward and
// forward + backward, side by side in one run, on resnet20's shapes at --batch images of --size x --size.
// Before timing, every shape's output and gradients are compared bitwise; a difference prints FAILED and exits 1.
// Run: build/bench/batch_norm_relu_bench [--batch=64] [--size=28] [--iterations=30] [--threads=1]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "worker/models/batch_norm_relu.h"

ABSL_FLAG(int64_t, batch, 64, "Images per batch.");
ABSL_FLAG(int64_t, size, 28, "Image height and width entering resnet20 (its three stages: size, size/2, size/4).");
ABSL_FLAG(int, iterations, 30, "Timed iterations per path and shape (alternating, after 3 warm-up iterations).");
ABSL_FLAG(int, threads, 1, "Intra-op threads.");

namespace strobe {
namespace {

using Call = at::Tensor (*)(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                            const at::Tensor&, const at::Tensor&, double, double);

struct Layer {
  at::Tensor input, weight, bias, running_mean, running_var, residual, upstream;

  at::Tensor Run(Call call, bool backward) {
    at::Tensor output = call(input, weight, bias, running_mean, running_var, residual, 0.1, 1e-5);
    if (backward) output.backward(upstream);
    return output;
  }
};

Layer MakeLayer(int64_t batch, int64_t channels, int64_t size, bool residual) {
  const std::vector<int64_t> sizes{batch, channels, size, size};
  return {torch::randn(sizes).requires_grad_(), torch::rand({channels}).add_(0.5).requires_grad_(),
          torch::randn({channels}).requires_grad_(), torch::zeros({channels}), torch::ones({channels}),
          residual ? torch::randn(sizes).requires_grad_() : at::Tensor(), torch::randn(sizes)};
}

bool SameBits(const at::Tensor& a, const at::Tensor& b) {
  return a.sizes() == b.sizes() && std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

// Output, every gradient and the running statistics after one forward + backward through `call`, from fresh copies
// of the layer.
std::vector<at::Tensor> Results(const Layer& layer, Call call) {
  Layer copy = layer;
  for (at::Tensor* leaf : {&copy.input, &copy.weight, &copy.bias, &copy.residual}) {
    if (leaf->defined()) *leaf = leaf->detach().clone().requires_grad_();
  }
  copy.running_mean = layer.running_mean.clone();
  copy.running_var = layer.running_var.clone();
  std::vector<at::Tensor> results{copy.Run(call, true), copy.running_mean, copy.running_var};
  for (const at::Tensor* leaf : {&copy.input, &copy.weight, &copy.bias, &copy.residual}) {
    if (leaf->defined()) results.push_back(leaf->grad());
  }
  return results;
}

// Median milliseconds of each path, the two alternating iteration by iteration.
std::pair<double, double> MedianMs(Layer& layer, bool backward, int iterations) {
  std::vector<double> times[2];
  for (int i = 0; i < iterations + 3; ++i) {
    for (int fused = 0; fused < 2; ++fused) {
      const auto start = std::chrono::steady_clock::now();
      layer.Run(fused ? FusedBatchNormReLU : UnfusedBatchNormReLU, backward);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (i >= 3) times[fused].push_back(ms);
    }
  }
  for (auto& t : times) std::sort(t.begin(), t.end());
  return {times[0][times[0].size() / 2], times[1][times[1].size() / 2]};
}

int Main() {
  torch::set_num_threads(absl::GetFlag(FLAGS_threads));
  torch::manual_seed(1);
  const int64_t batch = absl::GetFlag(FLAGS_batch);
  const int64_t size = absl::GetFlag(FLAGS_size);
  const int iterations = absl::GetFlag(FLAGS_iterations);
  std::printf("%-26s %-9s %12s %12s %8s\n", "shape", "pass", "unfused ms", "fused ms", "ratio");
  for (int stage = 0; stage < 3; ++stage) {
    for (const bool residual : {false, true}) {
      Layer layer = MakeLayer(batch, 16 << stage, size >> stage, residual);
      if (!CanFuseBatchNormReLU(layer.input, layer.weight, layer.bias, layer.running_mean, layer.running_var,
                                layer.residual)) {
        std::printf("FAILED: this LibTorch or CPU does not take the fused path\n");
        return 1;
      }
      const auto fused = Results(layer, FusedBatchNormReLU);
      const auto unfused = Results(layer, UnfusedBatchNormReLU);
      for (size_t i = 0; i < fused.size(); ++i) {
        if (!SameBits(fused[i], unfused[i])) {
          std::printf("FAILED: result %zu of stage %d differs from the unfused operations'\n", i, stage);
          return 1;
        }
      }
      for (const bool backward : {false, true}) {
        const auto [unfused_ms, fused_ms] = MedianMs(layer, backward, iterations);
        const std::string shape = absl::StrFormat("%dx%dx%dx%d%s", batch, 16 << stage, size >> stage,
                                                  size >> stage, residual ? " +res" : "");
        std::printf("%-26s %-9s %12.3f %12.3f %7.2fx\n", shape.c_str(), backward ? "fwd+bwd" : "fwd", unfused_ms,
                    fused_ms, unfused_ms / fused_ms);
      }
    }
  }
  return 0;
}

}  // namespace
}  // namespace strobe

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return strobe::Main();
}
