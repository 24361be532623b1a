#include <algorithm>
#include <cmath>

#include "augment/mix_method.h"

namespace strobe {
namespace {

class CutMix final : public MixMethod {
 public:
  CutMix(double alpha, double min_ratio, double max_ratio, bool correct_lambda)
      : alpha_(alpha), min_ratio_(min_ratio), max_ratio_(max_ratio), correct_lambda_(correct_lambda) {}
  std::string name() const override { return "cutmix"; }

  void Draw(Rng& rng, int64_t height, int64_t width, SampleMix& mix, std::vector<uint8_t>&) const override {
    mix.kind = SampleMix::kBox;
    if (min_ratio_ < max_ratio_) {
      const int64_t cut_h = rng.UniformInt(static_cast<int64_t>(height * min_ratio_),
                                           static_cast<int64_t>(height * max_ratio_) + 1);
      const int64_t cut_w = rng.UniformInt(static_cast<int64_t>(width * min_ratio_),
                                           static_cast<int64_t>(width * max_ratio_) + 1);
      mix.y0 = static_cast<int32_t>(rng.UniformInt(0, height - cut_h + 1));
      mix.x0 = static_cast<int32_t>(rng.UniformInt(0, width - cut_w + 1));
      mix.y1 = static_cast<int32_t>(mix.y0 + cut_h);
      mix.x1 = static_cast<int32_t>(mix.x0 + cut_w);
      mix.lam = AreaLambda(mix, height, width);
      return;
    }
    const double lam = rng.Beta(alpha_, alpha_);
    const double ratio = std::sqrt(1.0 - lam);
    const auto cut_h = static_cast<int64_t>(height * ratio);
    const auto cut_w = static_cast<int64_t>(width * ratio);
    const int64_t cy = rng.UniformInt(0, height);
    const int64_t cx = rng.UniformInt(0, width);
    mix.y0 = static_cast<int32_t>(std::clamp<int64_t>(cy - cut_h / 2, 0, height));
    mix.y1 = static_cast<int32_t>(std::clamp<int64_t>(cy + cut_h / 2, 0, height));
    mix.x0 = static_cast<int32_t>(std::clamp<int64_t>(cx - cut_w / 2, 0, width));
    mix.x1 = static_cast<int32_t>(std::clamp<int64_t>(cx + cut_w / 2, 0, width));
    mix.lam = correct_lambda_ ? AreaLambda(mix, height, width) : static_cast<float>(lam);
  }

 private:
  static float AreaLambda(const SampleMix& mix, int64_t height, int64_t width) {
    const int64_t pasted = static_cast<int64_t>(mix.y1 - mix.y0) * (mix.x1 - mix.x0);
    return static_cast<float>(1.0 - static_cast<double>(pasted) / static_cast<double>(height * width));
  }

  double alpha_;
  double min_ratio_;
  double max_ratio_;
  bool correct_lambda_;
};

}  // namespace

std::unique_ptr<MixMethod> MakeCutMix(double alpha, double min_ratio, double max_ratio, bool correct_lambda) {
  return std::make_unique<CutMix>(alpha, min_ratio, max_ratio, correct_lambda);
}

}  // namespace strobe
