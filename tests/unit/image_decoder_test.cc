#include "worker/imagenet/image_decoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "tests/support/test_images.h"
#include "worker/imagenet/crop_sampler.h"
#include "worker/imagenet/resample.h"
#include "worker/imagenet/sample_transform.h"

namespace strobe {
namespace {

using testing::EncodeJpeg;
using testing::JpegKind;
using testing::SyntheticPixels;

struct Difference {
  double mean = 0;
  double max = 0;
};

// The fast path (region-only decode at a DCT scale, then resample) against the definition: full decode, then
// the same region resampled.
Difference CompareWithFullDecode(const std::vector<uint8_t>& file, const Region& region, int size, int* dct_scale) {
  const RegionChooser choose = [&](int, int) { return region; };
  absl::StatusOr<DecodedRegion> fast = DecodeImageRegion(file.data(), file.size(), choose, size, size);
  EXPECT_TRUE(fast.ok()) << fast.status();
  absl::StatusOr<RgbImage> full = DecodeImage(file.data(), file.size());
  EXPECT_TRUE(full.ok()) << full.status();
  if (!fast.ok() || !full.ok()) return {1e9, 1e9};
  *dct_scale = fast->dct_scale;
  std::vector<float> got(static_cast<size_t>(size) * size * 3);
  std::vector<float> want(got.size());
  ResampleRegion(fast->image, fast->region, size, size, got.data());
  ResampleRegion(*full, region, size, size, want.data());
  Difference difference;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::abs(got[i] - want[i]);
    difference.mean += d / got.size();
    difference.max = std::max(difference.max, d);
  }
  return difference;
}

class RegionDecodeTest : public ::testing::TestWithParam<JpegKind> {};

TEST_P(RegionDecodeTest, MatchesFullDecodeThenCropAndResize) {
  const std::vector<uint8_t> file = EncodeJpeg(GetParam(), 500, 375);
  int scales_seen = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const Region region = SampleRandomResizedCrop(500, 375, {}, seed);
    for (int size : {224, 112, 56}) {
      int dct_scale = 0;
      const Difference difference = CompareWithFullDecode(file, region, size, &dct_scale);
      scales_seen |= dct_scale;
      // Tolerance (0-255 scale): DCT-domain downscaling is another low-pass than the bilinear filter's, so pixels
      // differ a little where the image has detail near the new Nyquist limit: mean below 1.5, every value within
      // 20 (measured on these draws: means 0.35-1.1, largest difference 13.1, at 1/2 and 1/4 scale). Without
      // scaling, the region decode gives exactly the pixels of the full decode.
      EXPECT_LT(difference.mean, 1.5) << "seed " << seed << " size " << size << " scale 1/" << dct_scale;
      EXPECT_LT(difference.max, 20) << "seed " << seed << " size " << size << " scale 1/" << dct_scale;
      if (dct_scale == 1) {
        EXPECT_EQ(difference.max, 0) << "no scaling: the same pixels, seed " << seed;
      }
    }
  }
  EXPECT_EQ(scales_seen, 1 | 2 | 4) << "the draws should exercise full, 1/2 and 1/4 scale decoding";
}

INSTANTIATE_TEST_SUITE_P(AllKinds, RegionDecodeTest,
                         ::testing::Values(JpegKind::kBaseline, JpegKind::kProgressive, JpegKind::kGreyscale,
                                           JpegKind::kCmyk));

TEST(ImageDecoder, GreyscaleComesOutAsEqualRgbChannels) {
  const std::vector<uint8_t> file = EncodeJpeg(JpegKind::kGreyscale, 64, 48);
  absl::StatusOr<RgbImage> image = DecodeImage(file.data(), file.size());
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_EQ(image->pixels.size(), 64u * 48 * 3);
  for (size_t i = 0; i < image->pixels.size(); i += 3) {
    ASSERT_EQ(image->pixels[i], image->pixels[i + 1]);
    ASSERT_EQ(image->pixels[i], image->pixels[i + 2]);
  }
}

TEST(ImageDecoder, AdobeCmykBecomesRgbAsPillowConvertsIt) {
  // libjpeg writes CMYK with an Adobe marker; Adobe's convention stores 255 - ink, so R = C_stored · K_stored / 255.
  const std::vector<uint8_t> file = EncodeJpeg(JpegKind::kCmyk, 32, 32, 100);
  const std::vector<uint8_t> cmyk = SyntheticPixels(32, 32, 4);
  absl::StatusOr<RgbImage> image = DecodeImage(file.data(), file.size());
  ASSERT_TRUE(image.ok()) << image.status();
  double error = 0;
  for (int i = 0; i < 32 * 32; ++i) {
    for (int c = 0; c < 3; ++c) error += std::abs(image->pixels[i * 3 + c] - cmyk[i * 4 + c] * cmyk[i * 4 + 3] / 255.0);
  }
  EXPECT_LT(error / (32 * 32 * 3), 2.0);  // quality 100 JPEG round trip
}

TEST(ImageDecoder, PngNamedJpegDecodes) {
  const std::vector<uint8_t> file = testing::EncodePng(40, 30);
  absl::StatusOr<RgbImage> image = DecodeImage(file.data(), file.size());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->pixels, SyntheticPixels(40, 30, 3));  // lossless
}

TEST(ImageDecoder, BadDataIsAnErrorThatSaysWhat) {
  const std::vector<uint8_t> file = EncodeJpeg(JpegKind::kBaseline, 200, 150);
  auto decode = [](const std::vector<uint8_t>& data) { return DecodeImage(data.data(), data.size()).status(); };
  EXPECT_EQ(decode({}).message(), "empty file");
  EXPECT_EQ(decode({'h', 'e', 'l', 'l', 'o'}).message(),
            "not a JPEG or PNG image (no JPEG start-of-image marker, no PNG signature)");
  const std::vector<uint8_t> truncated(file.begin(), file.begin() + file.size() / 2);
  EXPECT_EQ(decode(truncated).message(), "corrupt or truncated JPEG data: Premature end of JPEG file");
  const std::vector<uint8_t> header_only(file.begin(), file.begin() + 100);
  EXPECT_FALSE(decode(header_only).ok());
  // A header claiming 65500 × 65500 pixels (a decompression bomb) is refused before any pixel is decoded.
  std::vector<uint8_t> bomb = file;
  for (size_t i = 0; i + 8 < bomb.size(); ++i) {
    if (bomb[i] == 0xFF && bomb[i + 1] == 0xC0) {  // start of frame: length(2) precision(1) height(2) width(2)
      bomb[i + 5] = bomb[i + 7] = 0xFF;
      bomb[i + 6] = bomb[i + 8] = 0xDC;
      break;
    }
  }
  EXPECT_EQ(decode(bomb).message(), "image size 65500 x 65500 is out of range (1 to 134217728 pixels)");
  std::vector<uint8_t> corrupt = file;
  for (size_t i = file.size() / 3; i < file.size() / 3 + 64; ++i) corrupt[i] = 0xFF;  // markers inside entropy data
  const absl::Status status = decode(corrupt);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("corrupt or truncated JPEG data"), std::string::npos) << status;
}

TEST(SampleTransform, ChannelsLastHoldsTheSameValuesAsPlanar) {
  const std::vector<uint8_t> file = EncodeJpeg(JpegKind::kBaseline, 120, 90);
  SampleTransform planar;
  planar.size = 32;
  SampleTransform interleaved = planar;
  interleaved.channels_last = true;
  for (uint64_t seed = 1; seed <= 8; ++seed) {  // both flips among them
    std::vector<float> chw(3 * 32 * 32), hwc(3 * 32 * 32);
    ASSERT_TRUE(TransformTrainSample(file.data(), file.size(), planar, seed, chw.data()).ok());
    ASSERT_TRUE(TransformTrainSample(file.data(), file.size(), interleaved, seed, hwc.data()).ok());
    for (int c = 0; c < 3; ++c) {
      for (int i = 0; i < 32 * 32; ++i) ASSERT_EQ(chw[c * 32 * 32 + i], hwc[i * 3 + c]) << "seed " << seed;
    }
  }
}

TEST(SampleTransform, BytesAreTheRoundedValuesOfTheFloats) {
  const std::vector<uint8_t> file = EncodeJpeg(JpegKind::kProgressive, 150, 110);
  SampleTransform floats;
  floats.size = 48;
  SampleTransform bytes = floats;
  bytes.uint8_output = true;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::vector<float> f(3 * 48 * 48);
    std::vector<uint8_t> b(3 * 48 * 48);
    ASSERT_TRUE(TransformTrainSample(file.data(), file.size(), floats, seed, f.data()).ok());
    ASSERT_TRUE(TransformTrainSample(file.data(), file.size(), bytes, seed, b.data()).ok());
    for (int c = 0; c < 3; ++c) {
      for (int i = 0; i < 48 * 48; ++i) {
        const float value = (f[c * 48 * 48 + i] * floats.std[c] + floats.mean[c]) * 255.0f;  // un-normalised
        ASSERT_NEAR(b[c * 48 * 48 + i], value, 0.5f + 1e-3f) << "seed " << seed;
      }
    }
  }
  std::vector<uint8_t> eval(3 * 48 * 48);
  EXPECT_TRUE(TransformEvalSample(file.data(), file.size(), bytes, eval.data()).ok());
}

TEST(SampleTransform, EvaluationIsTheNormalisedCentreCrop) {
  // Small enough that the crop is decoded at full scale: the pixels are then exactly the full decode's.
  const std::vector<uint8_t> file = EncodeJpeg(JpegKind::kBaseline, 40, 30);
  SampleTransform transform;
  transform.size = 28;
  transform.resize_to = 32;
  std::vector<float> out(3 * 28 * 28);
  ASSERT_TRUE(TransformEvalSample(file.data(), file.size(), transform, out.data()).ok());
  absl::StatusOr<RgbImage> full = DecodeImage(file.data(), file.size());
  ASSERT_TRUE(full.ok());
  std::vector<float> expected(3 * 28 * 28);
  ResampleRegion(*full, CenterCropRegion(40, 30, 32, 28), 28, 28, expected.data());
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 28 * 28; ++i) {
      const float normalised = (expected[i * 3 + c] / 255.0f - transform.mean[c]) / transform.std[c];
      ASSERT_NEAR(out[c * 28 * 28 + i], normalised, 1e-4);
    }
  }
}

TEST(RandomResizedCrop, DrawsStayInsideTorchvisionsRanges) {
  const RandomResizedCropOptions options;
  int accepted = 0;
  int wide = 0;
  for (uint64_t seed = 0; seed < 20000; ++seed) {
    const Region r = SampleRandomResizedCrop(500, 375, options, seed);
    ASSERT_GE(r.x, 0);
    ASSERT_GE(r.y, 0);
    ASSERT_LE(r.x + r.width, 500);
    ASSERT_LE(r.y + r.height, 375);
    const double area = r.width * r.height / (500.0 * 375);
    const double ratio = r.width / r.height;
    // Whole-pixel rounding moves area and ratio by at most about one pixel's worth.
    EXPECT_GE(area, 0.08 - 0.01);
    EXPECT_LE(area, 1.0);
    EXPECT_GE(ratio, 0.75 - 0.02);
    EXPECT_LE(ratio, 4.0 / 3 + 0.02);
    accepted += area < 1.0 - 1e-9;
  }
  EXPECT_GT(accepted, 19000);  // the centre-crop fallback is rare at this size
  // Log-uniform ratio: on a square image as many wide crops as tall ones (on a wide image tall ones fit less often).
  for (uint64_t seed = 0; seed < 20000; ++seed) {
    const Region r = SampleRandomResizedCrop(400, 400, options, seed);
    wide += r.width > r.height;
    wide -= r.width < r.height;
  }
  EXPECT_LT(std::abs(wide), 400) << "wide minus tall crops out of 20000";
}

TEST(RandomResizedCrop, SameSeedSameCropAndFallbackIsTheClampedCentre) {
  const Region a = SampleRandomResizedCrop(500, 375, {}, 7);
  const Region b = SampleRandomResizedCrop(500, 375, {}, 7);
  EXPECT_EQ(std::memcmp(&a, &b, sizeof(a)), 0);
  // A 1000 × 100 image and a full-area crop: no draw fits, torchvision falls back to the centre at ratio 4/3.
  const Region fallback = SampleRandomResizedCrop(1000, 100, {1.0, 1.0, 3.0 / 4, 4.0 / 3}, 1);
  EXPECT_EQ(fallback.width, 133);
  EXPECT_EQ(fallback.height, 100);
  EXPECT_EQ(fallback.x, 433);
  EXPECT_EQ(fallback.y, 0);
}

TEST(CenterCropRegion, IsTheResize256CenterCrop224Window) {
  const Region r = CenterCropRegion(500, 375, 256, 224);
  EXPECT_DOUBLE_EQ(r.width, 375 * 224.0 / 256);
  EXPECT_DOUBLE_EQ(r.height, 375 * 224.0 / 256);
  EXPECT_DOUBLE_EQ(r.x, (500 - r.width) / 2);
  EXPECT_DOUBLE_EQ(r.y, (375 - r.height) / 2);
}

}  // namespace
}  // namespace strobe
