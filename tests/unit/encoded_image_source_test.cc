#include "worker/imagenet/encoded_image_source.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/test_images.h"

namespace strobe {
namespace {

// JPEGs of several sizes held in memory, two classes.
class MemoryImages : public EncodedImages {
 public:
  MemoryImages() {
    for (int i = 0; i < 6; ++i) {
      const std::vector<uint8_t> file =
          testing::EncodeJpeg(testing::JpegKind::kBaseline, 90 + 13 * i, 70 + 7 * i);
      files_.emplace_back(file.begin(), file.end());
    }
  }
  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  int64_t num_classes() const override { return 2; }
  int32_t label(int64_t image) const override { return static_cast<int32_t>(image % 2); }
  std::string name(int64_t image) const override { return absl::StrCat("memory:", image); }
  std::string location() const override { return "memory"; }
  absl::StatusOr<std::string> Read(int64_t image) const override { return files_[image]; }

 private:
  std::vector<std::string> files_;
};

// `count` small JPEGs of which those with index % every_nth == 0 (every_nth > 0) cannot be decoded.
class PartlyBrokenImages : public EncodedImages {
 public:
  PartlyBrokenImages(int64_t count, int64_t every_nth) : count_(count), every_nth_(every_nth) {
    const std::vector<uint8_t> file = testing::EncodeJpeg(testing::JpegKind::kBaseline, 24, 24);
    good_.assign(file.begin(), file.end());
  }
  int64_t size() const override { return count_; }
  int64_t num_classes() const override { return 2; }
  int32_t label(int64_t image) const override { return static_cast<int32_t>(image % 2); }
  std::string name(int64_t image) const override { return absl::StrCat("memory:", image); }
  std::string location() const override { return "memory"; }
  absl::StatusOr<std::string> Read(int64_t image) const override {
    return every_nth_ > 0 && image % every_nth_ == 0 ? std::string("not a picture") : good_;
  }

 private:
  int64_t count_;
  int64_t every_nth_;
  std::string good_;
};

absl::Status FetchAll(EncodedImageSource& source) {
  for (int64_t begin = 0; begin < source.size(); begin += 50) {
    const int64_t end = std::min(source.size(), begin + 50);
    absl::StatusOr<Batch> batch = source.Fetch(at::arange(begin, end, at::kLong), BatchDraw{1, 0, false});
    if (!batch.ok()) return batch.status();
  }
  return absl::OkStatus();
}

TEST(EncodedImageSourceTest, AFewUnreadableImagesAreReplacedTooManyStopTheRun) {
  EncodedImageOptions options;
  options.transform.size = 16;
  options.max_unreadable = 1000;  // the share decides here
  EncodedImageSource few(std::make_unique<PartlyBrokenImages>(2000, 400), options);  // 0.25% of the reads fail
  EXPECT_TRUE(FetchAll(few).ok());
  EXPECT_EQ(few.unreadable().files.size(), 5u);

  EncodedImageSource many(std::make_unique<PartlyBrokenImages>(2000, 50), options);  // 2%
  const absl::Status stopped = FetchAll(many);
  // Checked after each batch once 1000 reads were made: 20 batches of 50, each with one failed read.
  EXPECT_EQ(stopped.message().rfind("20 of this rank's 1020 reads of memory failed (2.0%), more than "
                                    "--max_bad_fraction=0.01 allows; the first: memory:0: ",
                                    0),
            0u)
      << stopped;
}

TEST(EncodedImageSourceTest, ASplitWithNothingReadableStopsAtOnceInsteadOfYieldingEmptySlots) {
  EncodedImageOptions options;
  options.transform.size = 16;
  EncodedImageSource nothing(std::make_unique<PartlyBrokenImages>(12, 1), options);
  absl::StatusOr<Batch> batch = nothing.Fetch(at::arange(4, at::kLong), BatchDraw{1, 0, true});
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().message().rfind("none of the 12 images of memory tried for sample ", 0), 0u)
      << batch.status();
  EXPECT_NE(batch.status().message().find("could be read; the first: memory:"), std::string::npos) << batch.status();
}

TEST(EncodedImageSourceTest, Uint8BatchesNormalizeToTheFloatBatches) {
  for (bool channels_last : {false, true}) {
    EncodedImageOptions options;
    options.transform.size = 40;
    options.transform.channels_last = channels_last;
    options.decode_threads = 2;
    EncodedImageSource floats(std::make_unique<MemoryImages>(), options);
    options.transform.uint8_output = true;
    EncodedImageSource bytes(std::make_unique<MemoryImages>(), options);
    const at::Tensor indices = at::arange(6, at::kLong);
    for (bool augment : {true, false}) {
      const BatchDraw draw{7, 1, augment};
      const Batch f = *floats.Fetch(indices, draw);
      const Batch b = *bytes.Fetch(indices, draw);
      ASSERT_EQ(b.images.scalar_type(), at::kByte);
      EXPECT_EQ(b.images.is_contiguous(at::MemoryFormat::ChannelsLast) && !b.images.is_contiguous(), channels_last);
      EXPECT_TRUE(at::equal(f.labels, b.labels));
      const at::Tensor normalized = bytes.Normalize(b.images);
      ASSERT_EQ(normalized.scalar_type(), at::kFloat);
      EXPECT_TRUE(floats.Normalize(f.images).is_same(f.images));  // floats come normalised
      // Rounding to bytes moves a value by at most half a step: 0.5 / (255 * std) with ImageNet's smallest std.
      const double tolerance = 0.5 / (255 * 0.224) + 1e-4;
      EXPECT_LE((normalized - f.images).abs().max().item<double>(), tolerance) << "augment " << augment;
    }
  }
}

TEST(EncodedImageSourceTest, TrainingCropsFollowTheSizeScheduleByEpochAndEvaluationKeepsImageSize) {
  EncodedImageOptions options;
  options.transform.size = 48;
  options.train_sizes = *ImageSizeSchedule::Parse("24@0,32@2,40@5", 48);
  EncodedImageSource source(std::make_unique<MemoryImages>(), options);
  const at::Tensor indices = at::arange(6, at::kLong);
  for (const auto& [epoch, side] : std::vector<std::pair<int64_t, int64_t>>{{0, 24}, {1, 24}, {2, 32}, {4, 32},
                                                                            {5, 40}, {90, 40}}) {
    const Batch batch = *source.Fetch(indices, BatchDraw{3, epoch, /*augment=*/true});
    EXPECT_EQ(batch.images.sizes(), (std::vector<int64_t>{6, 3, side, side})) << "epoch " << epoch;
  }
  EXPECT_EQ(source.Fetch(indices, BatchDraw{3, 0, /*augment=*/false})->images.size(2), 48);
  // A prefetched batch of another epoch is not mistaken for this one.
  source.Prefetch(indices, BatchDraw{3, 1, true});
  EXPECT_EQ(source.Fetch(indices, BatchDraw{3, 2, true})->images.size(2), 32);
}

TEST(ImageSizeScheduleTest, ParsesAndRefusesByEntry) {
  const ImageSizeSchedule schedule = *ImageSizeSchedule::Parse("160@0,192@10,224@16", 224);
  EXPECT_EQ(schedule.SizeAt(0, 224), 160);
  EXPECT_EQ(schedule.SizeAt(9, 224), 160);
  EXPECT_EQ(schedule.SizeAt(10, 224), 192);
  EXPECT_EQ(schedule.SizeAt(100, 224), 224);
  EXPECT_EQ(ImageSizeSchedule::Parse("", 224)->SizeAt(3, 224), 224);
  EXPECT_EQ(ImageSizeSchedule::Parse("0160@0,192@010", 224)->ToString(), "160@0,192@10");
  EXPECT_EQ(ImageSizeSchedule::Parse("", 224)->ToString(), "");
  EXPECT_EQ(ImageSizeSchedule::Parse("160@0,152@4", 224).status().message(),
            "--image_size_schedule=160@0,152@4: '152@4' does not increase both the epoch and the size over the entry "
            "before it");
  EXPECT_EQ(ImageSizeSchedule::Parse("160@0,196@4", 224).status().message(),
            "--image_size_schedule=160@0,196@4: size 196 is neither a multiple of 8 between 8 and 1024 nor "
            "--image_size (224)");
  EXPECT_EQ(ImageSizeSchedule::Parse("16@0,24@4,28@8", 28)->ToString(), "16@0,24@4,28@8");  // ends at Fashion-MNIST's
  EXPECT_EQ(ImageSizeSchedule::Parse("16@0,24@4,28@8", 28)->largest(), 28);
  EXPECT_EQ(ImageSizeSchedule::Parse("160@2", 224).status().message(),
            "--image_size_schedule=160@2: the first entry must start at epoch 0, not 2");
  EXPECT_EQ(ImageSizeSchedule::Parse("160@0,192@0", 224).status().message(),
            "--image_size_schedule=160@0,192@0: '192@0' does not increase both the epoch and the size over the entry "
            "before it");
  EXPECT_EQ(ImageSizeSchedule::Parse("160,192@4", 224).status().message(),
            "--image_size_schedule=160,192@4: '160' is not SIZE@EPOCH (e.g. 160@0,192@10,224@16)");
}

}  // namespace
}  // namespace strobe
