// Mixing throughput: Strobe's fused mixing kernel against a plain copy of the same batch, in one run.
// Run: build/bench/mix_bench [--device=cpu|cuda] [--threads=N] [--iterations=N]
// Effective bandwidth counts the bytes a mix must read and write: Mixup reads the image and its partner and
// writes the result (3 x batch bytes); CutMix into a new batch reads each pixel once from one of the two and writes
// it (2 x); in place, Mixup reads each pixel of a flip pair once and writes it (2 x), CutMix reads the box from the
// partner and writes it (2 x box bytes); a copy reads and writes (2 x). Both kernels run: in place (what the trainer uses on CPU for in-batch and ring partners) and into a new
// batch (under `previous` partners, and on CUDA).
// Before timing, every timed path runs once and its output is compared with a reference (as nccl-tests verifies each
// run): a wrong result prints a FAILED line naming the path and the first differing element, and exits 1.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#ifdef STROBE_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

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

// The batch `plan` describes, made the plain way with ATen from SampleMix's definition: a blend is lam*x + (1-lam)*p,
// a box is x with rows [y0, y1) x columns [x0, x1) copied from p. The benchmark's plans hold only blends and boxes.
at::Tensor ReferenceMix(const at::Tensor& x, const at::Tensor& partners, const std::vector<SampleMix>& plan) {
  at::Tensor out = x.clone();
  for (int64_t i = 0; i < static_cast<int64_t>(plan.size()); ++i) {
    const SampleMix& s = plan[i];
    const at::Tensor p = partners[s.partner];
    if (s.kind == SampleMix::kBlend) {
      out[i].copy_(x[i] * s.lam + p * (1.0f - s.lam));
    } else if (s.kind == SampleMix::kBox) {
      out[i].slice(1, s.y0, s.y1).slice(2, s.x0, s.x1).copy_(p.slice(1, s.y0, s.y1).slice(2, s.x0, s.x1));
    }
  }
  return out;
}

// How closely a path must match its reference. Boxes and copies move pixels unchanged and the in-place kernel
// promises MixImages' result bitwise (mix_in_place.h), so those must match bit for bit. Blends are held to the unit
// tests' allclose bound (rtol = atol = 1e-6) instead: the kernel promises lam*x + (1-lam)*p, not its rounding, and
// nvcc fuses it into multiply-adds that may differ from ATen's separate multiply and add in the last bit.
enum class Match { kBitwise, kClose };
constexpr double kBlendTolerance = 1e-6;

// OK if `got` matches `expected`, else an error naming `path` and the first element that differs.
absl::Status Compare(const std::string& path, const at::Tensor& got, const at::Tensor& expected, Match match) {
  const at::Tensor differs = match == Match::kBitwise
                                 ? got.view(at::kInt).ne(expected.view(at::kInt))
                                 : at::isclose(got, expected, kBlendTolerance, kBlendTolerance).logical_not();
  const at::Tensor where = differs.nonzero();  // one row (sample, channel, row, column) per differing element
  if (where.size(0) == 0) return absl::OkStatus();
  const at::Tensor first = where[0].cpu();
  const int64_t n = first[0].item<int64_t>(), c = first[1].item<int64_t>();
  const int64_t y = first[2].item<int64_t>(), x = first[3].item<int64_t>();
  return absl::InternalError(absl::StrFormat(
      "%s: element [%d, %d, %d, %d] is %.9g, expected %.9g (%s; %d of %d elements differ)", path, n, c, y, x,
      got[n][c][y][x].item<float>(), expected[n][c][y][x].item<float>(),
      match == Match::kBitwise ? "bitwise" : "within 1e-6", where.size(0), got.numel()));
}

// A timed mix: its name in the report, its plan (in-batch partners), and how its blend or box must match.
struct MixCase {
  const char* name;
  const std::vector<SampleMix>& plan;
  Match match;
};

// Runs every timed path once on `x` and compares it with its reference: the copy with `x`, the new-batch kernel with
// ReferenceMix, and the in-place kernel (CPU only) with the new-batch kernel's output, which it must equal bitwise.
// Prints a FAILED line for each path that does not match; true if all do.
bool Verify(const std::string& label, const at::Tensor& x, const std::vector<MixCase>& cases) {
  std::vector<absl::Status> results;
  at::Tensor out = at::empty_like(x);
  out.copy_(x);
  results.push_back(Compare(label + " copy", out, x, Match::kBitwise));
  for (const MixCase& mix : cases) {
    MixImages(x, x, mix.plan, at::Tensor(), out);
    results.push_back(Compare(label + " " + mix.name + " new batch", out, ReferenceMix(x, x, mix.plan), mix.match));
    if (x.is_cpu()) {
      at::Tensor mixed = x.clone();
      MixImagesInPlace(mixed, mixed, mix.plan, at::Tensor());
      results.push_back(Compare(label + " " + mix.name + " in place", mixed, out, Match::kBitwise));
    }
  }
  bool ok = true;
  for (const absl::Status& status : results) {
    if (status.ok()) continue;
    std::fprintf(stderr, "mix_bench: FAILED: %s\n", std::string(status.message()).c_str());
    ok = false;
  }
  if (ok) std::printf("verified: %s: all %zu timed paths match their references\n", label.c_str(), results.size());
  return ok;
}

// Verifies, then times, every path on one batch shape; false (after the FAILED lines) if a path is wrong.
bool Measure(const at::Device& device, int64_t n, int64_t c, int64_t h, int64_t w) {
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
  const std::string label = absl::StrFormat("%s %dx%dx%dx%d", device.str(), n, c, h, w);
  if (!Verify(label, x, {{"mixup(elem)", mixup, Match::kClose}, {"cutmix(batch box)", cutmix, Match::kBitwise}})) {
    return false;
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
  return true;
}

}  // namespace
}  // namespace strobe

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_threads) > 0) at::set_num_threads(absl::GetFlag(FLAGS_threads));
  const at::Device device(absl::GetFlag(FLAGS_device));
  std::printf("threads %d\n", at::get_num_threads());
  const bool verified = strobe::Measure(device, 256, 3, 224, 224) && strobe::Measure(device, 128, 1, 28, 28);
  return verified ? 0 : 1;
}
