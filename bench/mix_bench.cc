// Mixing throughput: Strobe's fused mixing kernel against a plain copy of the same batch, in one run.
// Run: build/bench/mix_bench [--device=cpu|cuda] [--threads=N] [--iterations=N]
// Effective bandwidth counts the bytes a mix must read and write: Mixup reads the image and its partner and
// writes the result (3 x batch bytes); CutMix into a new batch reads each pixel once from one of the two and writes
// it (2 x); in place, Mixup reads each pixel of a flip pair once and writes it (2 x), CutMix reads the box from the
// partner and writes it (2 x box bytes); a copy reads and writes (2 x). Both kernels run: in place (what the trainer uses on CPU for in-batch and ring partners) and into a new
// batch (under `previous` partners, and on CUDA).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#ifdef STROBE_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "augment/kernels/mix_in_place.h"
#include "augment/kernels/mix_kernel.h"

ABSL_FLAG(std::string, device, "cpu", "cpu or cuda");
ABSL_FLAG(int, threads, 0, "CPU threads (0: all cores)");
ABSL_FLAG(int, iterations, 10, "Timed iterations per measurement (after 2 warm-ups); the median is reported.");

namespace strobe {
namespace {

void Synchronize(const at::Device& device) {
#ifdef STROBE_WITH_CUDA
  if (device.is_cuda()) c10::cuda::device_synchronize();
#endif
}

// Seconds per call. GPU calls are timed over back-to-back launches, as GPU bandwidth is measured: one launch timed
// between two synchronisations would add the host's launch latency (several microseconds) to a ~100 us kernel.
double MedianSeconds(const at::Device& device, const std::function<void()>& fn) {
  std::vector<double> seconds;
  const int iterations = absl::GetFlag(FLAGS_iterations);
  const int calls_per_sample = device.is_cuda() ? 10 : 1;
  for (int i = 0; i < iterations + 2; ++i) {
    Synchronize(device);
    const auto start = std::chrono::steady_clock::now();
    for (int call = 0; call < calls_per_sample; ++call) fn();
    Synchronize(device);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i >= 2) seconds.push_back(elapsed / calls_per_sample);
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

void Measure(const at::Device& device, int64_t n, int64_t c, int64_t h, int64_t w) {
  at::manual_seed(0);
  const at::Tensor x = at::randn({n, c, h, w}).to(device);
  at::Tensor out = at::empty_like(x);
  const double bytes = static_cast<double>(x.numel()) * sizeof(float);
  std::vector<SampleMix> mixup(n);
  std::vector<SampleMix> cutmix(n);
  // A centred box of half the area, shared by the batch: timm's batch-mode CutMix with lambda 0.5.
  const auto side_h = static_cast<int32_t>(h * 0.7071);
  const auto side_w = static_cast<int32_t>(w * 0.7071);
  const auto y0 = static_cast<int32_t>((h - side_h) / 2);
  const auto x0 = static_cast<int32_t>((w - side_w) / 2);
  const double box_bytes = bytes * side_h * side_w / static_cast<double>(h * w);
  for (int64_t i = 0; i < n; ++i) {
    mixup[i] = SampleMix{SampleMix::kBlend, 0.3f + 0.4f * i / n, 0, 0, 0, 0, -1, n - 1 - i};
    cutmix[i] = SampleMix{SampleMix::kBox, 0.5f, y0, y0 + side_h, x0, x0 + side_w, -1, n - 1 - i};
  }
  // In place the batch is mixed again on every call: the work per call is the same whatever the pixels hold.
  at::Tensor work = x.clone();
  const double copy_s = MedianSeconds(device, [&] { out.copy_(x); });
  const double mixup_s = MedianSeconds(device, [&] { MixImages(x, x, mixup, at::Tensor(), out); });
  const double cutmix_s = MedianSeconds(device, [&] { MixImages(x, x, cutmix, at::Tensor(), out); });
  const bool cpu = device.is_cpu();
  const double mixup_in_place_s = cpu ? MedianSeconds(device, [&] { MixImagesInPlace(work, work, mixup, {}); }) : 0;
  const double cutmix_in_place_s = cpu ? MedianSeconds(device, [&] { MixImagesInPlace(work, work, cutmix, {}); }) : 0;
  const double copy_gbs = 2 * bytes / copy_s / 1e9;
  std::printf("%s %ldx%ldx%ldx%ld (%.1f MB): copy %.4f ms %.1f GB/s\n", device.str().c_str(), static_cast<long>(n),
              static_cast<long>(c), static_cast<long>(h), static_cast<long>(w), bytes / 1e6, copy_s * 1e3, copy_gbs);
  auto report = [&](const char* name, double seconds, double moved) {
    std::printf("  %-27s %.4f ms = %.2fx copy time | %.1f GB/s = %.2fx copy bandwidth\n", name, seconds * 1e3,
                copy_s / seconds, moved / seconds / 1e9, moved / seconds / 1e9 / copy_gbs);
  };
  report("mixup(elem) new batch", mixup_s, 3 * bytes);
  report("cutmix(batch box) new batch", cutmix_s, 2 * bytes);
  if (cpu) {
    report("mixup(elem) in place", mixup_in_place_s, 2 * bytes);
    report("cutmix(batch box) in place", cutmix_in_place_s, 2 * box_bytes);
  }
}

}  // namespace
}  // namespace strobe

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_threads) > 0) at::set_num_threads(absl::GetFlag(FLAGS_threads));
  const at::Device device(absl::GetFlag(FLAGS_device));
  std::printf("threads %d\n", at::get_num_threads());
  strobe::Measure(device, 256, 3, 224, 224);
  strobe::Measure(device, 128, 1, 28, 28);
  return 0;
}
