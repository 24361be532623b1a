#include "worker/models/resnet.h"

#include <torch/torch.h>

#include <cstddef>

#include "worker/models/sync_batch_norm.h"

namespace strobe {
namespace {

namespace nn = torch::nn;

// `layers`' forward, with each BatchNorm followed by a ReLU run as one fused operation, and a last BatchNorm
// followed by relu(. + residual) when `residual` is defined (a residual block's end): the same result, bitwise.
torch::Tensor ForwardFusingBatchNormReLU(nn::SequentialImpl& layers, torch::Tensor x,
                                         const torch::Tensor& residual = {}) {
  const size_t count = layers.size();
  for (size_t i = 0; i < count; ++i) {
    auto* batch_norm = layers.ptr(i)->as<SyncBatchNorm2dImpl>();
    const bool relu_next = i + 1 < count && layers.ptr(i + 1)->as<nn::ReLUImpl>() != nullptr;
    if (batch_norm != nullptr && relu_next) {
      x = batch_norm->ForwardThenReLU(x);
      ++i;
    } else if (batch_norm != nullptr && i + 1 == count && residual.defined()) {
      return batch_norm->ForwardThenReLU(x, residual);
    } else {
      x = (layers.begin() + static_cast<std::ptrdiff_t>(i))->forward(x);
    }
  }
  return residual.defined() ? torch::relu(x + residual) : x;
}

nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

// One residual block, basic (two 3x3 convs) or bottleneck (1x1, 3x3, 1x1 with 4x expansion).
class ResidualBlock : public nn::Module {
 public:
  ResidualBlock(ResNetSpec::Block type, int64_t in, int64_t width, int64_t stride) {
    const bool bottleneck = type == ResNetSpec::Block::kBottleneck;
    const int64_t out = bottleneck ? width * 4 : width;
    body_ = register_module("body", nn::Sequential());
    if (bottleneck) {
      AddConvBn(in, width, 1, 1, true);
      AddConvBn(width, width, 3, stride, true);
      AddConvBn(width, out, 1, 1, false);
    } else {
      AddConvBn(in, width, 3, stride, true);
      AddConvBn(width, out, 3, 1, false);
    }
    if (stride != 1 || in != out) {
      shortcut_ = register_module("shortcut", nn::Sequential(Conv(in, out, 1, stride), SyncBatchNorm2d(out)));
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor identity = shortcut_.is_empty() ? x : shortcut_->forward(x);
    return ForwardFusingBatchNormReLU(*body_, x, identity);
  }

 private:
  void AddConvBn(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool relu) {
    body_->push_back(Conv(in, out, kernel, stride));
    body_->push_back(SyncBatchNorm2d(out));
    if (relu) body_->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
  }

  nn::Sequential body_{nullptr};
  nn::Sequential shortcut_{nullptr};
};

class ResNet : public Classifier {
 public:
  explicit ResNet(const ResNetSpec& spec) {
    const bool imagenet = spec.stem == ResNetSpec::Stem::kImageNet;
    const int64_t stem_width = spec.widths.at(0);
    stem_ = register_module("stem", nn::Sequential());
    stem_->push_back(Conv(spec.in_channels, stem_width, imagenet ? 7 : 3, imagenet ? 2 : 1));
    stem_->push_back(SyncBatchNorm2d(stem_width));
    stem_->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
    if (imagenet) stem_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));

    stages_ = register_module("stages", nn::Sequential());
    const int64_t expansion = spec.block == ResNetSpec::Block::kBottleneck ? 4 : 1;
    int64_t channels = stem_width;
    for (size_t stage = 0; stage < spec.widths.size(); ++stage) {
      for (int64_t b = 0; b < spec.blocks.at(stage); ++b) {
        const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
        stages_->push_back(ResidualBlock(spec.block, channels, spec.widths[stage], stride));
        channels = spec.widths[stage] * expansion;
      }
    }
    fc_ = register_module("fc", nn::Linear(channels, spec.num_classes));
    InitWeights();
  }

  torch::Tensor forward(torch::Tensor images) override {
    torch::Tensor x = stages_->forward(ForwardFusingBatchNormReLU(*stem_, images));
    return fc_->forward(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }

 private:
  void InitWeights() {
    torch::NoGradGuard no_grad;
    for (auto& module : modules(/*include_self=*/false)) {
      if (auto* conv = module->as<nn::Conv2d>()) {
        nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
      } else if (auto* bn = module->as<SyncBatchNorm2dImpl>()) {
        nn::init::ones_(bn->weight);
        nn::init::zeros_(bn->bias);
      }
    }
  }

  nn::Sequential stem_{nullptr};
  nn::Sequential stages_{nullptr};
  nn::Linear fc_{nullptr};
};

}  // namespace

ResNetSpec ResNet20Spec(int64_t in_channels, int64_t num_classes) {
  return ResNetSpec{ResNetSpec::Block::kBasic, ResNetSpec::Stem::kCifar, {16, 32, 64}, {3, 3, 3},
                    in_channels, num_classes};
}

ResNetSpec ResNet18Spec(int64_t in_channels, int64_t num_classes) {
  return ResNetSpec{ResNetSpec::Block::kBasic, ResNetSpec::Stem::kImageNet, {64, 128, 256, 512}, {2, 2, 2, 2},
                    in_channels, num_classes};
}

ResNetSpec ResNet50Spec(int64_t in_channels, int64_t num_classes) {
  return ResNetSpec{ResNetSpec::Block::kBottleneck, ResNetSpec::Stem::kImageNet, {64, 128, 256, 512},
                    {3, 4, 6, 3}, in_channels, num_classes};
}

std::shared_ptr<Classifier> MakeResNet(const ResNetSpec& spec) { return std::make_shared<ResNet>(spec); }

}  // namespace strobe
