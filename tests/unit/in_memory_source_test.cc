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

// Images of 32 x 32 that are 255 in column 10 and 0 elsewhere.
ImageDataset BrightColumn() {
  at::Tensor images = at::zeros({2, 1, 32, 32}, at::kByte);
  images.select(3, 10).fill_(255);
  return ImageDataset{images, at::zeros({2}, at::kLong), 10};
}

TEST(InMemorySourceTest, HalvingFiltersAsAntialiasedBilinear) {
  const ImageSizeSchedule halving = *ImageSizeSchedule::Parse("16@0,32@1", 32);
  const BatchDraw epoch0{1, 0, /*augment=*/true};
  // Output column j weighs input columns 2j-1, 2j, 2j+1, 2j+2 by 1/8, 3/8, 3/8, 1/8 (a triangle twice as wide as
  // plain bilinear's, which would weigh 2j and 2j+1 by 1/2 each, as 2 x 2 average pooling does).
  const at::Tensor line = InMemorySource(BrightColumn(), kPlainPixels, halving).Fetch(at::arange(2), epoch0)->images;
  EXPECT_EQ(line.sizes(), (std::vector<int64_t>{2, 1, 16, 16}));
  EXPECT_EQ(line[1][0][7][3].item<float>(), 0.0f);
  EXPECT_NEAR(line[1][0][7][4].item<float>(), 1.0 / 8, 1e-6);  // 0 for plain bilinear
  EXPECT_NEAR(line[1][0][7][5].item<float>(), 3.0 / 8, 1e-6);  // 1/2 for plain bilinear
  EXPECT_EQ(line[1][0][7][6].item<float>(), 0.0f);
  // So away from the borders a ramp stays a ramp: 4 x (2j + 0.5) / 255 (nearest neighbour gives 4 x 2j / 255).
  const at::Tensor ramp = InMemorySource(Ramps(), kPlainPixels, halving).Fetch(at::arange(2), epoch0)->images;
  for (int64_t j = 1; j < 15; ++j) {
    EXPECT_NEAR(ramp[1][0][7][j].item<float>(), 4.0 * (2 * j + 0.5) / 255.0, 1e-6) << "column " << j;
  }
}

}  // namespace
}  // namespace strobe
