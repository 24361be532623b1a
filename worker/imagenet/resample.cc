#include "worker/imagenet/resample.h"

#include <algorithm>
#include <cmath>
#include <cstring>
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
    int lo = std::max(0, static_cast<int>(center - support + 0.5));
    int hi = std::min(in_size, static_cast<int>(center + support + 0.5));
    if (hi <= lo) {  // a position past the image's edge (a region reaching outside it) takes the edge pixel
      lo = std::clamp(static_cast<int>(center), 0, in_size - 1);
      hi = lo + 1;
    }
    double total = 0;
    float* w = &taps.weights[static_cast<size_t>(i) * taps.stride];
    const int n = std::min(hi - lo, taps.stride);
    for (int k = 0; k < n; ++k) {
      const double x = (lo + k - center + 0.5) / filter_scale;
      w[k] = static_cast<float>(std::max(0.0, 1.0 - std::abs(x)));
      total += w[k];
    }
    for (int k = 0; k < n; ++k) w[k] = total > 0 ? static_cast<float>(w[k] / total) : 0.0f;
    if (total <= 0) w[0] = 1.0f;  // beyond the filter's reach of every pixel: the nearest one
    taps.first[i] = lo;
    taps.count[i] = n;
  }
  return taps;
}

// sums[i] = Σ_k weights[k] · rows[k · row_bytes + i]: contiguous, so the compiler vectorises it.
void VerticalPass(const uint8_t* rows, size_t row_bytes, const float* weights, int count, size_t span, float* sums) {
  for (size_t i = 0; i < span; ++i) sums[i] = weights[0] * rows[i];
  for (int k = 1; k < count; ++k) {
    rows += row_bytes;
    for (size_t i = 0; i < span; ++i) sums[i] += weights[k] * rows[i];
  }
}

// Four floats as one SIMD register (GCC/Clang vector extension: SSE on x86-64, NEON on Arm), for one RGB pixel
// plus a lane that is ignored.
typedef float Float4 __attribute__((vector_size(16)));

Float4 LoadFloat4(const float* p) {
  Float4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// One output row from the vertically filtered, interleaved row `sums` (which starts at input column
// `column_lo`): each tap is one 4-wide multiply-add on a whole pixel. The fourth lane reads the next pixel's red
// (or the padding after the row) and is dropped.
void Store(float value, float* to) { *to = value; }
void Store(float value, uint8_t* to) {
  *to = static_cast<uint8_t>(std::min(255.0f, std::max(0.0f, value + 0.5f)));
}

template <typename T>
void HorizontalPass(const FilterTaps& taps, int column_lo, const float* sums, int width, const ResampleOutput& out,
                    T* row_out) {
  const Float4 scale = {out.scale[0], out.scale[1], out.scale[2], 0};
  const Float4 offset = {out.offset[0], out.offset[1], out.offset[2], 0};
  for (int x = 0; x < width; ++x) {
    const float* w = &taps.weights[static_cast<size_t>(x) * taps.stride];
    const float* p = sums + static_cast<size_t>(taps.first[x] - column_lo) * 3;
    Float4 sum = {0, 0, 0, 0};
    for (int k = 0; k < taps.count[x]; ++k) sum += w[k] * LoadFloat4(p + 3 * k);
    const Float4 value = sum * scale + offset;
    T* pixel = row_out + x * out.pixel_stride;
    Store(value[0], pixel);
    Store(value[1], pixel + out.channel_stride);
    Store(value[2], pixel + 2 * out.channel_stride);
  }
}

}  // namespace

void ResampleRegion(const RgbImage& image, const Region& region, int width, int height, const ResampleOutput& out) {
  const FilterTaps across = ComputeTaps(region.x, region.width, image.width, width);
  const FilterTaps down = ComputeTaps(region.y, region.height, image.height, height);
  // Vertical pass first, one output row at a time, over only the columns the horizontal taps read: it runs on
  // contiguous bytes (the compiler vectorises it), and the gathering horizontal pass then sees `height` rows, not
  // every row of the region.
  const int column_lo = across.first.front();
  const int column_hi = across.first.back() + across.count.back();
  const size_t span = static_cast<size_t>(column_hi - column_lo) * 3;
  thread_local std::vector<float> column_sums;
  column_sums.assign(span + 1, 0.0f);  // one float of padding for the last pixel's 4-wide load
  const size_t image_row = static_cast<size_t>(image.width) * 3;
  const uint8_t* first_column = image.pixels.data() + static_cast<size_t>(column_lo) * 3;
  for (int y = 0; y < height; ++y) {
    float* sums = column_sums.data();
    VerticalPass(first_column + static_cast<size_t>(down.first[y]) * image_row, image_row,
                 &down.weights[static_cast<size_t>(y) * down.stride], down.count[y], span, sums);
    if (out.byte_origin != nullptr) {
      HorizontalPass(across, column_lo, sums, width, out, out.byte_origin + y * out.row_stride);
    } else {
      HorizontalPass(across, column_lo, sums, width, out, out.origin + y * out.row_stride);
    }
  }
}

void ResampleRegion(const RgbImage& image, const Region& region, int width, int height, float* out) {
  ResampleOutput interleaved;
  interleaved.origin = out;
  interleaved.row_stride = static_cast<std::ptrdiff_t>(width) * 3;
  ResampleRegion(image, region, width, height, interleaved);
}

}  // namespace strobe
