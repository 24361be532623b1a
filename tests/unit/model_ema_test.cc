#include "worker/model_ema.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace strobe {
namespace {

class Line : public Classifier {
 public:
  Line() { fc_ = register_module("fc", torch::nn::Linear(2, 1)); }
  torch::Tensor forward(torch::Tensor x) override { return fc_(x); }
  torch::nn::Linear fc_{nullptr};
};

TEST(ModelEmaTest, DecayFollowsTimmsModelEmaV3) {
  // get_decay(step): 0 at the first update, then the decay, or 1 - (1 + (step - 1))^(-2/3) capped at it.
  EXPECT_EQ(ModelEma::Decay(0.999, false, 1), 0.0);
  EXPECT_EQ(ModelEma::Decay(0.999, false, 2), 0.999);
  EXPECT_EQ(ModelEma::Decay(0.999, true, 1), 0.0);
  EXPECT_NEAR(ModelEma::Decay(0.999, true, 2), 1 - std::pow(2.0, -2.0 / 3), 1e-15);  // 0.370
  EXPECT_NEAR(ModelEma::Decay(0.999, true, 11), 1 - std::pow(11.0, -2.0 / 3), 1e-15);  // 0.798
  EXPECT_EQ(ModelEma::Decay(0.999, true, 1000000), 0.999);
}

TEST(ModelEmaTest, UpdatesAverageTheParametersAsByHand) {
  Line model;
  ModelEma ema(model, 0.9, /*warmup=*/false);
  torch::Tensor& weight = model.fc_->weight;
  double expected = 0.0;
  for (int64_t step = 1; step <= 4; ++step) {
    {
      torch::NoGradGuard no_grad;
      weight.fill_(static_cast<double>(step));
    }
    ema.Update(step);
    const double decay = ModelEma::Decay(0.9, false, step);
    expected = decay * expected + (1 - decay) * static_cast<double>(step);  // the first update copies: decay 0
    EXPECT_NEAR(ema.Averages()[0].second[0][0].item<double>(), expected, 1e-6) << "step " << step;
  }
  EXPECT_EQ(ema.Averages()[0].first, "fc.weight");
  EXPECT_NEAR(expected, 0.9 * (0.9 * (0.9 * 1 + 0.1 * 2) + 0.1 * 3) + 0.1 * 4, 1e-12);
}

TEST(ModelEmaTest, SwappedHoldsTheAveragesAndPutsTheTrainedWeightsBackBitwise) {
  torch::manual_seed(1);
  Line model;
  ModelEma ema(model, 0.5, false);
  {
    torch::NoGradGuard no_grad;
    model.fc_->weight.add_(torch::randn({1, 2}));
  }
  ema.Update(2);  // average of the start and now
  const torch::Tensor trained = model.fc_->weight.clone();
  {
    ModelEma::Swapped swapped(ema);
    EXPECT_TRUE(torch::equal(model.fc_->weight, ema.Averages()[0].second));
    EXPECT_FALSE(torch::equal(model.fc_->weight, trained));
  }
  EXPECT_TRUE(torch::equal(model.fc_->weight, trained));
}

TEST(ModelEmaTest, RestoreTakesMatchingAveragesOnly) {
  Line model;
  ModelEma ema(model, 0.9, false);
  auto saved = ema.Averages();
  saved[0].second = torch::full({1, 2}, 7.0);
  ASSERT_TRUE(ema.Restore(saved).ok());
  EXPECT_EQ(ema.Averages()[0].second[0][1].item<float>(), 7.0f);
  saved[0].first = "head.weight";
  EXPECT_EQ(ema.Restore(saved).message(), "the EMA's 'fc.weight' does not match a parameter of this model");
  saved.pop_back();
  EXPECT_EQ(ema.Restore(saved).message(), "the EMA holds 1 tensors, this model has 2 parameters");
}

}  // namespace
}  // namespace strobe
