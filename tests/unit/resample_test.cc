#include "worker/imagenet/resample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
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

// Random images, regions (inside, across the edge, a pixel wide, up to 12x the output) and output sizes (odd and
// even widths, and whole groups of 8, which planar float rows are filtered straight into), into every layout: the
// SIMD passes (pairs of pixels transposed to planes, taps unrolled by count) give the definition's values.
TEST(ResampleRegion, IsTheBilinearFilterOfItsDefinitionInEveryLayout) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(0, 1);
  int taps_seen_above_7 = 0;
  for (int trial = 0; trial < 300; ++trial) {
    RgbImage image;
    image.width = 1 + static_cast<int>(rng() % 160);
    image.height = 1 + static_cast<int>(rng() % 120);
    image.pixels.resize(static_cast<size_t>(image.width) * image.height * 3);
    for (uint8_t& p : image.pixels) p = static_cast<uint8_t>(rng());
    const int width = trial % 4 == 0 ? 8 * (1 + static_cast<int>(rng() % 5)) : 1 + static_cast<int>(rng() % 40);
    const int height = 1 + static_cast<int>(rng() % 40);
    const Region region{unit(rng) * image.width - 0.2 * image.width, unit(rng) * image.height - 0.2 * image.height,
                        0.5 + unit(rng) * 12 * width, 0.5 + unit(rng) * 12 * height};
    if (region.width / width > 3.5) ++taps_seen_above_7;
    const bool channels_last = rng() % 2, flip = rng() % 2, bytes = rng() % 2;
    const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(width) * height;
    std::vector<float> floats(3 * plane);
    std::vector<uint8_t> byte_values(3 * plane);
    ResampleOutput out;
    out.channel_stride = channels_last ? 1 : plane;
    out.row_stride = channels_last ? 3 * width : width;
    const std::ptrdiff_t pixel_stride = channels_last ? 3 : 1;
    out.pixel_stride = flip ? -pixel_stride : pixel_stride;
    const std::ptrdiff_t first = flip ? (width - 1) * pixel_stride : 0;
    out.scale = {0.5f, 1.0f, 2.0f};
    out.offset = {-3.0f, 0.0f, 1.0f};
    if (bytes) {
      out.scale = {1, 1, 1};
      out.offset = {0, 0, 0};
      out.byte_origin = byte_values.data() + first;
    } else {
      out.origin = floats.data() + first;
    }
    ResampleRegion(image, region, width, height, out);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const std::ptrdiff_t at = y * out.row_stride + (flip ? width - 1 - x : x) * pixel_stride;
        for (int c = 0; c < 3; ++c) {
          const double want = Reference(image, region, width, height, x, y, c) * out.scale[c] + out.offset[c];
          const std::ptrdiff_t index = at + c * out.channel_stride;
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
