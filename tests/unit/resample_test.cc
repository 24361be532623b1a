#include "worker/imagenet/resample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

namespace strobe {
namespace {

// Pillow's bilinear filter along one axis, from its definition (Resample.c, precompute_coeffs), as dense weights
// over the input: output pixel i covers [start + i·scale, start + (i + 1)·scale) with scale = length / out_size;
// the triangle is widened by the downscale (support max(scale, 1)), sampled at the input pixel centres within its
// reach and normalised. A position past the image's edge takes the edge pixel.
std::vector<double> AxisWeights(double start, double length, int in_size, int out_size, int i) {
  const double scale = length / out_size;
  const double support = std::max(scale, 1.0);
  const double center = start + (i + 0.5) * scale;
  std::vector<double> weights(in_size, 0.0);
  const int lo = std::max(0, static_cast<int>(center - support + 0.5));
  const int hi = std::min(in_size, static_cast<int>(center + support + 0.5));
  if (hi <= lo) {
    weights[std::clamp(static_cast<int>(center), 0, in_size - 1)] = 1;
    return weights;
  }
  double total = 0;
  for (int j = lo; j < hi; ++j) total += weights[j] = std::max(0.0, 1.0 - std::abs((j + 0.5 - center) / support));
  for (double& w : weights) w /= total;
  return weights;
}

double Reference(const RgbImage& image, const Region& region, int width, int height, int x, int y, int c) {
  const std::vector<double> across = AxisWeights(region.x, region.width, image.width, width, x);
  const std::vector<double> down = AxisWeights(region.y, region.height, image.height, height, y);
  double sum = 0;
  for (int j = 0; j < image.height; ++j) {
    if (down[j] == 0) continue;
    for (int i = 0; i < image.width; ++i) {
      sum += down[j] * across[i] * image.pixels[(static_cast<size_t>(j) * image.width + i) * 3 + c];
    }
  }
  return sum;
}

// A random image, region (inside, across the edge, a pixel wide, up to 12x the output) and output size (odd and even
// widths, and in a quarter of the draws whole groups of 8, which planar float rows are filtered straight into).
struct ResampleCase {
  RgbImage image;
  Region region;
  int width = 0;
  int height = 0;
};

ResampleCase DrawCase(std::mt19937& rng, int trial) {
  std::uniform_real_distribution<double> unit(0, 1);
  ResampleCase drawn;
  RgbImage& image = drawn.image;
  image.width = 1 + static_cast<int>(rng() % 160);
  image.height = 1 + static_cast<int>(rng() % 120);
  image.pixels.resize(static_cast<size_t>(image.width) * image.height * 3);
  for (uint8_t& p : image.pixels) p = static_cast<uint8_t>(rng());
  drawn.width = trial % 4 == 0 ? 8 * (1 + static_cast<int>(rng() % 5)) : 1 + static_cast<int>(rng() % 40);
  drawn.height = 1 + static_cast<int>(rng() % 40);
  drawn.region = {unit(rng) * image.width - 0.2 * image.width, unit(rng) * image.height - 0.2 * image.height,
                  0.5 + unit(rng) * 12 * drawn.width, 0.5 + unit(rng) * 12 * drawn.height};
  return drawn;
}

// Where output value (x, y, c) of a layout lives, relative to the start of its buffer.
struct Layout {
  bool channels_last = false;
  bool flip = false;
  int row_padding = 0;  // values after each row (channels-last) or each channel's row (planar)

  std::ptrdiff_t PixelStride() const { return channels_last ? 3 : 1; }
  std::ptrdiff_t RowStride(int width) const { return PixelStride() * width + row_padding; }
  std::ptrdiff_t ChannelStride(int width, int height) const { return channels_last ? 1 : RowStride(width) * height; }
  size_t Size(int width, int height) const {
    return static_cast<size_t>(channels_last ? RowStride(width) * height : 3 * ChannelStride(width, height));
  }
  std::ptrdiff_t Index(int width, int height, int x, int y, int c) const {
    return y * RowStride(width) + (flip ? width - 1 - x : x) * PixelStride() + c * ChannelStride(width, height);
  }
  // ResampleRegion's description of it, for a buffer starting at `buffer`.
  template <typename T>
  ResampleOutput Output(int width, int height, T* buffer) const {
    ResampleOutput out;
    out.channel_stride = ChannelStride(width, height);
    out.row_stride = RowStride(width);
    out.pixel_stride = flip ? -PixelStride() : PixelStride();
    T* origin = buffer + (flip ? (width - 1) * PixelStride() : 0);
    if constexpr (std::is_same_v<T, uint8_t>) {
      out.byte_origin = origin;
    } else {
      out.origin = origin;
    }
    return out;
  }
};

// In one layout after another, the SIMD passes (pairs of pixels transposed to planes, taps unrolled by count) give
// the definition's values.
TEST(ResampleRegion, IsTheBilinearFilterOfItsDefinitionInEveryLayout) {
  std::mt19937 rng(7);
  int taps_seen_above_7 = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const ResampleCase drawn = DrawCase(rng, trial);
    const int width = drawn.width, height = drawn.height;
    if (drawn.region.width / width > 3.5) ++taps_seen_above_7;
    Layout layout;
    layout.channels_last = rng() % 2;
    layout.flip = rng() % 2;
    const bool bytes = rng() % 2;
    std::vector<float> floats(layout.Size(width, height));
    std::vector<uint8_t> byte_values(layout.Size(width, height));
    ResampleOutput out =
        bytes ? layout.Output(width, height, byte_values.data()) : layout.Output(width, height, floats.data());
    if (!bytes) {
      out.scale = {0.5f, 1.0f, 2.0f};
      out.offset = {-3.0f, 0.0f, 1.0f};
    }
    ResampleRegion(drawn.image, drawn.region, width, height, out);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        for (int c = 0; c < 3; ++c) {
          const double want =
              Reference(drawn.image, drawn.region, width, height, x, y, c) * out.scale[c] + out.offset[c];
          const std::ptrdiff_t index = layout.Index(width, height, x, y, c);
          if (bytes) {
            // Rounded to the nearest byte (float sums: within 1e-3 of the exact value).
            ASSERT_LE(std::abs(byte_values[index] - want), 0.5 + 1e-3) << "trial " << trial << " x " << x << " y " << y;
          } else {
            ASSERT_NEAR(floats[index], want, 1e-3) << "trial " << trial << " x " << x << " y " << y << " c " << c;
          }
        }
      }
    }
  }
  EXPECT_GT(taps_seen_above_7, 50) << "the draws should reach the filter without an unrolled tap count";
}

// Each layout goes its own way through the code (straight into the output, through row planes, mirrored taps), but
// must hold exactly the values of the plain planar one, and write nothing between its rows or around them.
template <typename T>
void ExpectEveryLayoutHoldsThePlanarValues(const ResampleCase& drawn, int trial) {
  const int width = drawn.width, height = drawn.height;
  const Layout planar;
  std::vector<T> expected(planar.Size(width, height));
  ResampleRegion(drawn.image, drawn.region, width, height, planar.Output(width, height, expected.data()));
  const T untouched = static_cast<T>(77);
  for (const bool channels_last : {false, true}) {
    for (const bool flip : {false, true}) {
      for (const int row_padding : {0, 5}) {
        const Layout layout{channels_last, flip, row_padding};
        std::vector<T> values(layout.Size(width, height), untouched);
        std::vector<bool> written(values.size(), false);
        ResampleRegion(drawn.image, drawn.region, width, height, layout.Output(width, height, values.data()));
        for (int y = 0; y < height; ++y) {
          for (int x = 0; x < width; ++x) {
            for (int c = 0; c < 3; ++c) {
              const std::ptrdiff_t index = layout.Index(width, height, x, y, c);
              written[index] = true;
              ASSERT_EQ(values[index], expected[planar.Index(width, height, x, y, c)])
                  << "trial " << trial << " channels_last " << channels_last << " flip " << flip << " padding "
                  << row_padding << " x " << x << " y " << y << " c " << c;
            }
          }
        }
        for (size_t i = 0; i < values.size(); ++i) {
          if (!written[i]) {
            ASSERT_EQ(values[i], untouched) << "trial " << trial << ": written outside the output";
          }
        }
      }
    }
  }
}

TEST(ResampleRegion, EveryLayoutHoldsExactlyThePlanarValuesAndNothingElse) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    const ResampleCase drawn = DrawCase(rng, trial);
    ExpectEveryLayoutHoldsThePlanarValues<float>(drawn, trial);
    ExpectEveryLayoutHoldsThePlanarValues<uint8_t>(drawn, trial);
  }
}

TEST(ResampleRegion, ARegionPastTheImageEdgeTakesTheEdgePixels) {
  // Found by the fuzzer: a region reaching below and right of the image made the filter read outside it.
  RgbImage image;
  image.width = 4;
  image.height = 4;
  for (int i = 0; i < 4 * 4 * 3; ++i) image.pixels.push_back(static_cast<uint8_t>(i * 5));
  std::vector<float> out(2 * 2 * 3);
  ResampleRegion(image, Region{3.5, 3.5, 2, 2}, 2, 2, out.data());
  const uint8_t* corner = &image.pixels[(3 * 4 + 3) * 3];
  for (int i = 0; i < 4; ++i) {
    for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(out[i * 3 + c], corner[c]) << "output pixel " << i;
  }
}

}  // namespace
}  // namespace strobe
