// The start-up check that a model takes the data (app/shared_model.h), at 1, 2 and 4 ranks.
#include "app/shared_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "ops/mpi_communicator.h"
#include "worker/data/in_memory_source.h"
#include "worker/models/model_zoo.h"

namespace strobe {
namespace {

// A head without global pooling, as many MNIST examples have: it takes 32 x 32 images only.
class FixedSizeNet : public Classifier {
 public:
  FixedSizeNet() { fc_ = register_module("fc", torch::nn::Linear(32 * 32, 10)); }
  torch::Tensor forward(torch::Tensor x) override { return fc_(x.flatten(1)); }

 private:
  torch::nn::Linear fc_{nullptr};
};

InMemorySource Images32(const std::string& schedule) {
  ImageDataset dataset{torch::zeros({4, 1, 32, 32}, torch::kByte), torch::arange(4, torch::kLong), 10};
  return InMemorySource(dataset, Normalization{{0.5}, {0.25}}, *ImageSizeSchedule::Parse(schedule, 32));
}

TEST(SharedModelTest, AModelThatTakesOnlyTheEvaluationSizeIsRefusedUnderASizeSchedule) {
  MpiCommunicator comm;
  FixedSizeNet fixed;
  InMemorySource plain = Images32("");
  EXPECT_TRUE(CheckTakesTheData(comm, fixed, "fixed.pt", TaskOptions{}, plain).ok());
  InMemorySource resized = Images32("16@0,32@2");
  const absl::Status refused = CheckTakesTheData(comm, fixed, "fixed.pt", TaskOptions{}, resized);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  const std::string expected = "--model=fixed.pt fails on a batch of the data's images [2, 1, 16, 16]";
  EXPECT_NE(std::string(refused.message()).find(expected), std::string::npos) << refused.message();
  // A model with global pooling takes both sizes.
  auto pooled = *MakeModel("resnet20", 1, 10);
  EXPECT_TRUE(CheckTakesTheData(comm, *pooled, "resnet20", TaskOptions{}, resized).ok());
}

}  // namespace
}  // namespace strobe
