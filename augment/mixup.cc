#include "augment/mix_method.h"

namespace strobe {
namespace {

class Mixup final : public MixMethod {
 public:
  explicit Mixup(double alpha) : alpha_(alpha) {}
  std::string name() const override { return "mixup"; }
  void Draw(Rng& rng, int64_t, int64_t, SampleMix& mix, std::vector<uint8_t>&) const override {
    mix.kind = SampleMix::kBlend;
    mix.lam = static_cast<float>(rng.Beta(alpha_, alpha_));
  }

 private:
  double alpha_;
};

}  // namespace

std::unique_ptr<MixMethod> MakeMixup(double alpha) { return std::make_unique<Mixup>(alpha); }

}  // namespace strobe
