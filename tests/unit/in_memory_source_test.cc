#include "worker/data/in_memory_source.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <vector>

namespace strobe {
namespace {

// Four 32 x 32 images whose pixel value is 4 x column (0 ... 124): a ramp along the width.
ImageDataset Ramps() {
  at::Tensor row = at::arange(32, at::kLong).mul(4).to(at::kByte);
  return ImageDataset{row.view({1, 1, 1, 32}).expand({4, 1, 32, 32}).contiguous(), at::zeros({4}, at::kLong), 10};
}

const Normalization kPlainPixels{{0.0}, {1.0}};  // batches hold pixel / 255

TEST(InMemorySourceTest, TrainingBatchesFollowTheSizeScheduleAndEvaluationKeepsTheImagesSize) {
  InMemorySource source(Ramps(), kPlainPixels, *ImageSizeSchedule::Parse("16@0,32@2", 32));
  const at::Tensor indices = at::arange(4, at::kLong);
  for (const auto& [epoch, side] : std::vector<std::pair<int64_t, int64_t>>{{0, 16}, {1, 16}, {2, 32}, {9, 32}}) {
    EXPECT_EQ(source.Fetch(indices, BatchDraw{1, epoch, /*augment=*/true})->images.sizes(),
              (std::vector<int64_t>{4, 1, side, side}))
        << "epoch " << epoch;
    EXPECT_EQ(source.Fetch(indices, BatchDraw{1, epoch, /*augment=*/false})->images.size(2), 32);
  }
  // At the images' own size a training batch is the evaluation batch, untouched.
  EXPECT_TRUE(at::equal(source.Fetch(indices, BatchDraw{1, 2, true})->images,
                        source.Fetch(indices, BatchDraw{1, 2, false})->images));
}

TEST(InMemorySourceTest, HalvingAveragesNeighboursAsAnAntialiasedBilinearFilter) {
  InMemorySource source(Ramps(), kPlainPixels, *ImageSizeSchedule::Parse("16@0,32@1", 32));
  const at::Tensor images = source.Fetch(at::arange(2, at::kLong), BatchDraw{1, 0, true})->images;
  // Output column j covers input columns 2j and 2j+1 in the middle (weights 3/8 each) and 2j-1, 2j+2 (1/8 each), so
  // away from the borders a ramp stays a ramp: 4 x (2j + 0.5) / 255 (nearest neighbour would give 4 x 2j / 255).
  for (int64_t j = 1; j < 15; ++j) {
    EXPECT_NEAR(images[1][0][7][j].item<float>(), 4.0 * (2 * j + 0.5) / 255.0, 1e-6) << "column " << j;
  }
  EXPECT_EQ(images.sizes(), (std::vector<int64_t>{2, 1, 16, 16}));
}

}  // namespace
}  // namespace strobe
