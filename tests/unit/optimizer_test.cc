#include "worker/optimizer.h"

#include <gtest/gtest.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/torch.h>

#include <cmath>

#include "worker/models/model_zoo.h"

namespace strobe {
namespace {

OptimizerOptions Options(OptimizerKind kind, double weight_decay = 5e-4, bool nesterov = true) {
  OptimizerOptions options;
  options.optimizer = kind;
  options.weight_decay = weight_decay;
  options.nesterov = nesterov;
  return options;
}

// One weight matrix (group 0: decayed) and one bias (group 1), in double precision so that hand computations
// compare closely.
struct TwoTensors : Classifier {
  TwoTensors() {
    w = register_parameter("w", torch::tensor({{1.0, -2.0}, {0.5, 3.0}}, torch::kDouble));
    b = register_parameter("b", torch::tensor({0.25, -0.75}, torch::kDouble));
  }
  torch::Tensor forward(torch::Tensor x) override { return x.matmul(w) + b; }
  torch::Tensor w;
  torch::Tensor b;
};

// The gradient of step `step` (fixed, different per step and per tensor).
void SetGradients(TwoTensors& model, int step) {
  model.w.mutable_grad() = torch::tensor({{0.5, -0.1}, {0.2, 0.05}}, torch::kDouble) * (1 + 0.3 * step);
  model.b.mutable_grad() = torch::tensor({-0.4, 0.3}, torch::kDouble) / (1 + step);
}

TEST(OptimizerTest, WeightDecayOnlyOnTensorsOfTwoOrMoreDimensionsAndTheLrFactorOnTheRest) {
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdamW, OptimizerKind::kLamb, OptimizerKind::kLars}) {
    TwoTensors model;
    OptimizerOptions options = Options(kind, 0.1);
    options.no_decay_lr_factor = 0.0;
    auto optimizer = MakeOptimizer(model, options);
    model.w.mutable_grad() = torch::zeros_like(model.w);
    model.b.mutable_grad() = torch::ones_like(model.b);
    const torch::Tensor w = model.w.clone();
    const torch::Tensor b = model.b.clone();
    optimizer->Step(0.5);
    // A zero gradient leaves only the decay, which shrinks every weight; the bias, at LR factor 0, stays.
    EXPECT_TRUE(torch::all(model.w.abs() < w.abs()).item<bool>()) << optimizer->name();
    EXPECT_TRUE(torch::equal(model.b, b)) << optimizer->name();
  }
}

TEST(OptimizerTest, NesterovStepMatchesHandComputedUpdate) {
  // One parameter of two dimensions (so it is decayed): w = 1, grad = 0.5, lr 0.1, momentum 0.9, wd 0.01.
  struct Tiny : Classifier {
    Tiny() { w = register_parameter("w", torch::ones({1, 1}, torch::kDouble)); }
    torch::Tensor forward(torch::Tensor x) override { return x * w; }
    torch::Tensor w;
  } tiny;
  auto sgd = MakeOptimizer(tiny, Options(OptimizerKind::kSgd, 0.01));
  tiny.w.mutable_grad() = torch::full({1, 1}, 0.5, torch::kDouble);
  sgd->Step(0.1);
  // d = g + wd*w = 0.51; buf = d; nesterov: d + 0.9*buf = 0.969; w = 1 - 0.1*0.969.
  EXPECT_NEAR(tiny.w.item<double>(), 1 - 0.1 * 0.969, 1e-12);
  sgd->Step(0.1);  // same grad: d = 0.5 + 0.01*0.9031; buf = 0.9*0.51 + d; w -= 0.1*(d + 0.9*buf)
  const double w1 = 1 - 0.0969;
  const double d = 0.5 + 0.01 * w1;
  const double buf = 0.9 * 0.51 + d;
  EXPECT_NEAR(tiny.w.item<double>(), w1 - 0.1 * (d + 0.9 * buf), 1e-12);
}

// torch::optim::SGD with Strobe's two groups, as the reference.
std::unique_ptr<torch::optim::SGD> TorchSgd(Classifier& model, bool nesterov, double weight_decay) {
  std::vector<torch::Tensor> decayed;
  std::vector<torch::Tensor> plain;
  for (const torch::Tensor& p : model.parameters()) (p.dim() >= 2 ? decayed : plain).push_back(p);
  auto options = [&](double wd) {
    return std::make_unique<torch::optim::SGDOptions>(
        torch::optim::SGDOptions(0.0).momentum(0.9).nesterov(nesterov).weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decayed, options(weight_decay));
  groups.emplace_back(plain, options(0.0));
  return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(0.0));
}

TEST(OptimizerTest, SgdIsBitwiseTorchsStep) {
  for (bool nesterov : {true, false}) {
    torch::manual_seed(4);
    auto reference = *MakeModel("resnet20", 1, 10);
    torch::manual_seed(4);
    auto ours = *MakeModel("resnet20", 1, 10);
    auto torch_sgd = TorchSgd(*reference, nesterov, 5e-4);
    OptimizerOptions options = Options(OptimizerKind::kSgd, 5e-4, nesterov);
    options.no_decay_lr_factor = 0.5;
    auto sgd = MakeOptimizer(*ours, options);
    for (int step = 0; step < 3; ++step) {
      for (auto* model : {&reference, &ours}) {
        torch::manual_seed(10 + step);
        for (auto& p : (*model)->parameters()) p.mutable_grad() = torch::randn_like(p);
      }
      static_cast<torch::optim::SGDOptions&>(torch_sgd->param_groups()[0].options()).lr(0.1);
      static_cast<torch::optim::SGDOptions&>(torch_sgd->param_groups()[1].options()).lr(0.05);
      torch_sgd->step();
      sgd->Step(0.1);
    }
    const auto a = reference->parameters();
    const auto b = ours->parameters();
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i << " nesterov " << nesterov;
  }
}

TEST(OptimizerTest, AdamWMatchesTorchsAdamW) {
  torch::manual_seed(5);
  auto reference = *MakeModel("resnet20", 1, 10);
  torch::manual_seed(5);
  auto ours = *MakeModel("resnet20", 1, 10);
  std::vector<torch::Tensor> decayed;
  std::vector<torch::Tensor> plain;
  for (const torch::Tensor& p : reference->parameters()) (p.dim() >= 2 ? decayed : plain).push_back(p);
  auto options = [](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(0.0).betas({0.8, 0.99}).eps(1e-7).weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decayed, options(0.05));
  groups.emplace_back(plain, options(0.0));
  torch::optim::AdamW torch_adamw(groups, torch::optim::AdamWOptions(0.0));
  OptimizerOptions adamw_options = Options(OptimizerKind::kAdamW, 0.05);
  adamw_options.opt_beta1 = 0.8;
  adamw_options.opt_beta2 = 0.99;
  adamw_options.opt_eps = 1e-7;
  auto adamw = MakeOptimizer(*ours, adamw_options);
  for (int step = 0; step < 20; ++step) {
    const double lr = 1e-3 * (1 + step % 4);  // a changing LR, as schedules give
    for (auto* model : {&reference, &ours}) {
      torch::manual_seed(100 + step);
      for (auto& p : (*model)->parameters()) p.mutable_grad() = torch::randn_like(p);
    }
    for (auto& group : torch_adamw.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    torch_adamw.step();
    adamw->Step(lr);
  }
  const auto a = reference->parameters();
  const auto b = ours->parameters();
  for (size_t i = 0; i < a.size(); ++i) {
    const double relative = ((a[i] - b[i]).abs().max() / a[i].abs().max()).item<double>();
    EXPECT_LE(relative, 1e-6) << i;
  }
}

// LAMB's update (You et al. 2019, Algorithm 2) written out per element for the two-tensor model.
TEST(OptimizerTest, LambFollowsThePapersUpdate) {
  TwoTensors model;
  OptimizerOptions options = Options(OptimizerKind::kLamb, 0.01);
  options.opt_eps = 1e-6;
  auto lamb = MakeOptimizer(model, options);
  torch::Tensor w = model.w.clone();
  torch::Tensor b = model.b.clone();
  torch::Tensor m_w = torch::zeros_like(w), v_w = torch::zeros_like(w), m_b = torch::zeros_like(b),
                v_b = torch::zeros_like(b);
  const double beta1 = 0.9, beta2 = 0.999, lr = 0.02;
  for (int t = 1; t <= 4; ++t) {
    SetGradients(model, t);
    const torch::Tensor g_w = model.w.grad().clone();
    const torch::Tensor g_b = model.b.grad().clone();
    lamb->Step(lr);
    m_w = beta1 * m_w + (1 - beta1) * g_w;
    v_w = beta2 * v_w + (1 - beta2) * g_w * g_w;
    m_b = beta1 * m_b + (1 - beta1) * g_b;
    v_b = beta2 * v_b + (1 - beta2) * g_b * g_b;
    const double c1 = 1 - std::pow(beta1, t), c2 = 1 - std::pow(beta2, t);
    const torch::Tensor u_w = (m_w / c1) / ((v_w / c2).sqrt() + 1e-6) + 0.01 * w;
    const torch::Tensor u_b = (m_b / c1) / ((v_b / c2).sqrt() + 1e-6);  // no decay, and excluded from the ratio
    w = w - lr * (w.norm() / u_w.norm()) * u_w;
    b = b - lr * u_b;
    EXPECT_TRUE(torch::allclose(model.w, w, 1e-12, 1e-14)) << t;
    EXPECT_TRUE(torch::allclose(model.b, b, 1e-12, 1e-14)) << t;
  }
}

// LARS (You, Gitman and Ginsburg 2017, Algorithm 1): v = m v + lr * local_lr * (g + wd w), w -= v, with
// local_lr = η ||w|| / (||g|| + wd ||w||). Strobe keeps the LR outside the momentum buffer; at a constant LR the
// updates are the same.
TEST(OptimizerTest, LarsFollowsThePapersUpdateAtAConstantLr) {
  for (bool exclude : {true, false}) {
    TwoTensors model;
    OptimizerOptions options = Options(OptimizerKind::kLars, 0.001, /*nesterov=*/false);
    options.opt_eps = 0;
    options.lars_trust_coefficient = 0.02;
    options.lars_exclude = exclude;
    auto lars = MakeOptimizer(model, options);
    torch::Tensor w = model.w.clone();
    torch::Tensor b = model.b.clone();
    torch::Tensor v_w = torch::zeros_like(w), v_b = torch::zeros_like(b);
    const double lr = 0.5, m = 0.9;
    for (int t = 0; t < 4; ++t) {
      SetGradients(model, t);
      const torch::Tensor g_w = model.w.grad().clone();
      const torch::Tensor g_b = model.b.grad().clone();
      lars->Step(lr);
      const torch::Tensor local_w = 0.02 * w.norm() / (g_w.norm() + 0.001 * w.norm());
      v_w = m * v_w + lr * local_w * (g_w + 0.001 * w);
      const torch::Tensor local_b = exclude ? torch::ones({}, torch::kDouble) : 0.02 * b.norm() / g_b.norm();
      v_b = m * v_b + lr * local_b * g_b;
      w = w - v_w;
      b = b - v_b;
      EXPECT_TRUE(torch::allclose(model.w, w, 1e-12, 1e-14)) << t << " exclude " << exclude;
      EXPECT_TRUE(torch::allclose(model.b, b, 1e-12, 1e-14)) << t << " exclude " << exclude;
    }
  }
}

TEST(OptimizerTest, ACycledMomentumIsSgdsMomentumAndAdamsBeta1) {
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdamW}) {
    TwoTensors cycled;
    TwoTensors fixed;
    OptimizerOptions options = Options(kind, 0.0, /*nesterov=*/false);
    options.momentum = 0.5;
    options.opt_beta1 = 0.5;
    auto cycled_optimizer = MakeOptimizer(cycled, options);
    auto fixed_optimizer = MakeOptimizer(fixed, options);
    for (int t = 0; t < 3; ++t) {
      SetGradients(cycled, t);
      SetGradients(fixed, t);
      cycled_optimizer->Step(0.1, /*momentum=*/0.5);  // the configured value: the same update
      fixed_optimizer->Step(0.1);
    }
    EXPECT_TRUE(torch::equal(cycled.w, fixed.w));
    SetGradients(cycled, 3);
    SetGradients(fixed, 3);
    cycled_optimizer->Step(0.1, 0.95);
    fixed_optimizer->Step(0.1);
    EXPECT_FALSE(torch::allclose(cycled.w, fixed.w)) << OptimizerOptions::OptimizerName(kind);
  }
}

TEST(OptimizerTest, StateRestoresBitwiseContinuationForEveryRule) {
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdamW, OptimizerKind::kLamb, OptimizerKind::kLars}) {
    const std::string name = OptimizerOptions::OptimizerName(kind);
    TwoTensors original;
    auto original_optimizer = MakeOptimizer(original, Options(kind));
    EXPECT_TRUE(original_optimizer->State().empty()) << name;  // no state before the first step
    for (int t = 0; t < 2; ++t) {
      SetGradients(original, t);
      original_optimizer->Step(0.01);
    }
    const auto state = original_optimizer->State();

    TwoTensors restored;
    TwoTensors forgetful;
    {
      torch::NoGradGuard no_grad;
      for (TwoTensors* copy : {&restored, &forgetful}) {
        copy->w.copy_(original.w);
        copy->b.copy_(original.b);
      }
    }
    auto restored_optimizer = MakeOptimizer(restored, Options(kind));
    ASSERT_TRUE(restored_optimizer->Restore(state).ok()) << name;
    auto forgetful_optimizer = MakeOptimizer(forgetful, Options(kind));
    for (auto [model, optimizer] : {std::pair{&original, original_optimizer.get()},
                                    {&restored, restored_optimizer.get()}, {&forgetful, forgetful_optimizer.get()}}) {
      SetGradients(*model, 2);
      optimizer->Step(0.01);
    }
    EXPECT_TRUE(torch::equal(restored.w, original.w)) << name;
    EXPECT_TRUE(torch::equal(restored.b, original.b)) << name;
    EXPECT_FALSE(torch::equal(forgetful.w, original.w)) << name;  // the state matters, so the check above can fail
  }
}

TEST(OptimizerTest, StateIsNamedAsTorchOptimNamesIt) {
  TwoTensors sgd_model;
  auto sgd = MakeOptimizer(sgd_model, Options(OptimizerKind::kSgd));
  SetGradients(sgd_model, 0);
  sgd->Step(0.1);
  std::vector<std::string> names;
  for (const auto& [name, tensor] : sgd->State()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"w", "b"}));  // momentum buffers, as every Strobe checkpoint had them

  TwoTensors adam_model;
  auto adamw = MakeOptimizer(adam_model, Options(OptimizerKind::kAdamW));
  SetGradients(adam_model, 0);
  adamw->Step(0.1);
  adamw->Step(0.1);
  names.clear();
  for (const auto& [name, tensor] : adamw->State()) {
    names.push_back(name);
    if (name == "step/w") EXPECT_EQ(tensor.item<double>(), 2);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"step/w", "step/b", "exp_avg/w", "exp_avg/b", "exp_avg_sq/w",
                                             "exp_avg_sq/b"}));
}

TEST(OptimizerTest, RestoreRefusesStateThatDoesNotFit) {
  TwoTensors model;
  auto sgd = MakeOptimizer(model, Options(OptimizerKind::kSgd));
  using State = std::vector<std::pair<std::string, at::Tensor>>;
  EXPECT_EQ(sgd->Restore(State{{"w", torch::zeros({3, 3}, torch::kDouble)}}).message(),
            "optimizer state 'w' does not match a parameter of this model");
  EXPECT_EQ(sgd->Restore(State{{"fc.weight", torch::zeros({2, 2}, torch::kDouble)}}).message(),
            "optimizer state 'fc.weight' does not match a parameter of this model");
  EXPECT_EQ(sgd->Restore(State{{"exp_avg/w", torch::zeros({2, 2}, torch::kDouble)}}).message(),
            "'exp_avg/w' is not state of --optimizer=sgd (its state: momentum_buffer)");
  auto adamw = MakeOptimizer(model, Options(OptimizerKind::kAdamW));
  EXPECT_EQ(adamw->Restore(State{{"w", torch::zeros({2, 2}, torch::kDouble)}}).message(),
            "'w' is not state of --optimizer=adamw (its state: step, exp_avg, exp_avg_sq)");
  EXPECT_EQ(adamw->Restore(State{{"step/w", torch::zeros({2})}}).message(),
            "optimizer state 'step/w' does not match a parameter of this model");
}

TEST(OptimizerOptionsTest, BadHyperParametersAreRefusedByName) {
  auto message = [](auto change) {
    OptimizerOptions options;
    change(options);
    return std::string(options.Validate().message());
  };
  EXPECT_EQ(OptimizerOptions::ParseOptimizer("adam").status().message(),
            "--optimizer=adam is not one of sgd, adamw, lamb, lars");
  EXPECT_EQ(message([](OptimizerOptions& o) { o.opt_beta2 = 1; }), "--opt_beta2=1 must lie in [0, 1)");
  EXPECT_EQ(message([](OptimizerOptions& o) {
              o.optimizer = OptimizerKind::kAdamW;
              o.opt_eps = 0;
            }),
            "--opt_eps must be > 0 with --optimizer=adamw, got 0");
  EXPECT_EQ(message([](OptimizerOptions& o) {
              o.optimizer = OptimizerKind::kLars;
              o.lars_trust_coefficient = 0;
            }),
            "--lars_trust_coefficient must be > 0, got 0");
  EXPECT_EQ(message([](OptimizerOptions& o) { o.ema_decay = 1; }), "--ema_decay=1 must lie in [0, 1)");
  EXPECT_EQ(message([](OptimizerOptions& o) { o.ema_warmup = true; }), "--ema_warmup needs --ema_decay > 0");
  // Nesterov without momentum matters only to the rules with momentum.
  OptimizerOptions adamw_without_momentum;
  adamw_without_momentum.optimizer = OptimizerKind::kAdamW;
  adamw_without_momentum.momentum = 0;
  EXPECT_TRUE(adamw_without_momentum.Validate().ok());
}

}  // namespace
}  // namespace strobe
