#include "worker/imagenet/resample.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace strobe {
namespace {

// For each output position, the first input index and the normalised filter weights (Pillow's precompute_coeffs).
struct FilterTaps {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<float> weights;  // `stride` per output position
  int stride = 0;
};

FilterTaps ComputeTaps(double start, double length, int in_size, int out_size) {
  const double scale = length / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_scale;  // the triangle filter reaches 1 input pixel, times the downscale
  FilterTaps taps;
  taps.stride = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.first.resize(out_size);
  taps.count.resize(out_size);
  taps.weights.assign(static_cast<size_t>(out_size) * taps.stride, 0.0f);
  for (int i = 0; i < out_size; ++i) {
    const double center = start + (i + 0.5) * scale;
    const int lo = std::max(0, static_cast<int>(center - support + 0.5));
    const int hi = std::min(in_size, static_cast<int>(center + support + 0.5));
    double total = 0;
    float* w = &taps.weights[static_cast<size_t>(i) * taps.stride];
    const int n = std::min(hi - lo, taps.stride);
    for (int k = 0; k < n; ++k) {
      const double x = (lo + k - center + 0.5) / filter_scale;
      w[k] = static_cast<float>(std::max(0.0, 1.0 - std::abs(x)));
      total += w[k];
    }
    for (int k = 0; k < n; ++k) w[k] = total > 0 ? static_cast<float>(w[k] / total) : 0.0f;
    taps.first[i] = lo;
    taps.count[i] = n;
  }
  return taps;
}

}  // namespace

void ResampleRegion(const RgbImage& image, const Region& region, int width, int height, float* out) {
  const FilterTaps across = ComputeTaps(region.x, region.width, image.width, width);
  const FilterTaps down = ComputeTaps(region.y, region.height, image.height, height);
  // Horizontal pass over only the input rows the vertical pass reads.
  const int row_lo = down.first.front();
  const int row_hi = down.first.back() + down.count.back();
  std::vector<float> rows(static_cast<size_t>(row_hi - row_lo) * width * 3);
  for (int y = row_lo; y < row_hi; ++y) {
    const uint8_t* in = image.pixels.data() + static_cast<size_t>(y) * image.width * 3;
    float* row_out = rows.data() + static_cast<size_t>(y - row_lo) * width * 3;
    for (int x = 0; x < width; ++x) {
      const float* w = &across.weights[static_cast<size_t>(x) * across.stride];
      const uint8_t* p = in + static_cast<size_t>(across.first[x]) * 3;
      float r = 0, g = 0, b = 0;
      for (int k = 0; k < across.count[x]; ++k, p += 3) {
        r += w[k] * p[0];
        g += w[k] * p[1];
        b += w[k] * p[2];
      }
      row_out[x * 3] = r;
      row_out[x * 3 + 1] = g;
      row_out[x * 3 + 2] = b;
    }
  }
  const size_t row_floats = static_cast<size_t>(width) * 3;
  for (int y = 0; y < height; ++y) {
    const float* w = &down.weights[static_cast<size_t>(y) * down.stride];
    float* o = out + static_cast<size_t>(y) * row_floats;
    std::fill(o, o + row_floats, 0.0f);
    for (int k = 0; k < down.count[y]; ++k) {
      const float* in = rows.data() + static_cast<size_t>(down.first[y] + k - row_lo) * row_floats;
      for (size_t i = 0; i < row_floats; ++i) o[i] += w[k] * in[i];
    }
  }
}

}  // namespace strobe
