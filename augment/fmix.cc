#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "augment/mix_method.h"

namespace strobe {
namespace {

// Sample frequency of index i of an FFT of length n, in cycles per sample (numpy's fftfreq).
double FftFreq(int64_t i, int64_t n) { return static_cast<double>(i <= (n - 1) / 2 ? i : i - n) / n; }

class FMix final : public MixMethod {
 public:
  FMix(double alpha, double decay_power) : alpha_(alpha), decay_power_(decay_power) {}
  std::string name() const override { return "fmix"; }

  void Draw(Rng& rng, int64_t height, int64_t width, SampleMix& mix, std::vector<uint8_t>& masks) const override {
    const double lam = rng.Beta(alpha_, alpha_);
    const std::vector<float> noise = LowFrequencyNoise(rng, height, width);
    // Keep the round(lam * H * W) pixels of largest noise; ties broken by position so the mask is exact.
    const int64_t pixels = height * width;
    const auto keep = static_cast<int64_t>(std::llround(lam * static_cast<double>(pixels)));
    std::vector<int64_t> order(pixels);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return noise[a] > noise[b]; });
    const size_t offset = masks.size();
    masks.resize(offset + pixels, 0);
    for (int64_t k = 0; k < keep; ++k) masks[offset + order[k]] = 1;
    mix.kind = SampleMix::kMask;
    mix.mask = static_cast<int32_t>(offset / pixels);
    mix.lam = static_cast<float>(static_cast<double>(keep) / static_cast<double>(pixels));
  }

 private:
  // Real noise whose spectrum falls as 1 / f^decay_power: complex Gaussian coefficients on the half-spectrum,
  // scaled, then an inverse real 2-D FFT.
  std::vector<float> LowFrequencyNoise(Rng& rng, int64_t height, int64_t width) const {
    const int64_t half = width / 2 + 1;
    at::Tensor real = at::empty({height, half}, at::kDouble);
    at::Tensor imag = at::empty({height, half}, at::kDouble);
    double* re = real.data_ptr<double>();
    double* im = imag.data_ptr<double>();
    const double floor_freq = 1.0 / static_cast<double>(std::max(height, width));
    for (int64_t y = 0; y < height; ++y) {
      for (int64_t x = 0; x < half; ++x) {
        const double fy = FftFreq(y, height);
        const double fx = static_cast<double>(x) / width;
        const double scale = 1.0 / std::pow(std::max(std::sqrt(fy * fy + fx * fx), floor_freq), decay_power_);
        re[y * half + x] = rng.Normal() * scale;
        im[y * half + x] = rng.Normal() * scale;
      }
    }
    const at::Tensor grid = at::fft_irfft2(at::complex(real, imag), at::IntArrayRef{height, width}).to(at::kFloat);
    const float* g = grid.contiguous().data_ptr<float>();
    return std::vector<float>(g, g + height * width);
  }

  double alpha_;
  double decay_power_;
};

}  // namespace

std::unique_ptr<MixMethod> MakeFMix(double alpha, double decay_power) {
  return std::make_unique<FMix>(alpha, decay_power);
}

}  // namespace strobe
