#include "worker/device_placement.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "ops/distributed_context.h"
#include "worker/models/model_zoo.h"

namespace strobe {
namespace {

TEST(DevicePlacementTest, ChoosesTheDeviceByTheBuild) {
  const DistributedContext context;
  EXPECT_TRUE(ResolveTrainingDevice("cpu", context)->is_cpu());
  EXPECT_EQ(ResolveTrainingDevice("gpu", context).status().message(), "--device=gpu: expected auto, cpu or cuda");
#ifndef STROBE_WITH_CUDA
  EXPECT_TRUE(ResolveTrainingDevice("auto", context)->is_cpu());
  EXPECT_EQ(ResolveTrainingDevice("cuda", context).status().message(),
            "--device=cuda: this strobe was built without CUDA; configure it against a CUDA LibTorch (docs/gpu.md)");
#else
  EXPECT_TRUE(ResolveTrainingDevice("auto", context)->is_cuda());
#endif
}

TEST(DevicePlacementTest, ChannelsLastGivesFourDimensionalWeightsTheLayout) {
  auto model = *MakeModel("resnet20", 3, 10);
  PlaceModel(*model, Placement{c10::Device(c10::kCPU), /*channels_last=*/true});
  for (const at::Tensor& p : model->parameters()) {
    if (p.dim() != 4) continue;
    EXPECT_TRUE(p.is_contiguous(at::MemoryFormat::ChannelsLast)) << p.sizes();
    if (p.size(1) > 1 && p.size(2) * p.size(3) > 1) {
      EXPECT_FALSE(p.is_contiguous()) << p.sizes();
    }
  }
  const at::Tensor images = Placement{c10::Device(c10::kCPU), true}.Images(at::randn({2, 3, 4, 4}));
  EXPECT_TRUE(images.is_contiguous(at::MemoryFormat::ChannelsLast));
}

}  // namespace
}  // namespace strobe
