#include "worker/imagenet/encoded_image_source.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace strobe
