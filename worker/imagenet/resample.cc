#include "worker/imagenet/resample.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "ops/avx2.h"

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

#define ALWAYS_INLINE __attribute__((always_inline))

// Calls body(std::integral_constant<int, count>) for the tap counts of crops within 3x of the output size (1 to 7),
// so that the filter loops are unrolled for them, and body(std::integral_constant<int, 0>) for any other count. The
// body is inlined into the caller, whose AVX2 clone then compiles it for AVX2 too.
template <typename Body>
ALWAYS_INLINE inline void WithTapCount(int count, Body&& body) {
  switch (count) {
    case 1:
      return body(std::integral_constant<int, 1>());
    case 2:
      return body(std::integral_constant<int, 2>());
    case 3:
      return body(std::integral_constant<int, 3>());
    case 4:
      return body(std::integral_constant<int, 4>());
    case 5:
      return body(std::integral_constant<int, 5>());
    case 6:
      return body(std::integral_constant<int, 6>());
    case 7:
      return body(std::integral_constant<int, 7>());
    default:
      return body(std::integral_constant<int, 0>());
  }
}

// sums[i] = Σ_k weights[k] · rows[k · row_bytes + i]: contiguous, so the compiler vectorises it. kCount > 0 fixes
// the tap count at compile time, so that each vector of sums is accumulated in a register over unrolled taps.
template <int kCount>
ALWAYS_INLINE inline void VerticalPassOf(const uint8_t* rows, size_t row_bytes, const float* weights, int count,
                                         size_t span, float* sums) {
  if (kCount == 0) {
    for (size_t i = 0; i < span; ++i) sums[i] = weights[0] * rows[i];
    for (int k = 1; k < count; ++k) {
      rows += row_bytes;
      for (size_t i = 0; i < span; ++i) sums[i] += weights[k] * rows[i];
    }
    return;
  }
  for (size_t i = 0; i < span; ++i) {
    float sum = weights[0] * rows[i];
    for (int k = 1; k < kCount; ++k) sum += weights[k] * rows[k * row_bytes + i];
    sums[i] = sum;
  }
}

STROBE_ALSO_FOR_AVX2 void VerticalPass(const uint8_t* rows, size_t row_bytes, const float* weights, int count,
                                       size_t span, float* sums) {
  WithTapCount(count, [&](auto taps) ALWAYS_INLINE {
    VerticalPassOf<decltype(taps)::value>(rows, row_bytes, weights, count, span, sums);
  });
}

// Two RGB pixels side by side, one per 128-bit half (GCC/Clang vector extension: one AVX register in the AVX2
// build of the horizontal pass, two SSE or NEON registers otherwise). Each half's fourth lane reads the next
// pixel's red (or the padding after the row) and is dropped.
typedef float PixelPair __attribute__((vector_size(32)));

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define STROBE_HAS_SHUFFLEVECTOR 1
#endif
#endif

// The lanes listed in `...` out of the 16 in a then b (a's 0-7, b's 8-15), as __builtin_shufflevector; GCC 11 and
// earlier have only __builtin_shuffle, which takes them as a vector.
#if STROBE_HAS_SHUFFLEVECTOR
#define STROBE_SHUFFLE_PAIRS(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
typedef int32_t PairLanes __attribute__((vector_size(32)));
#define STROBE_SHUFFLE_PAIRS(a, b, ...) __builtin_shuffle(a, b, PairLanes{__VA_ARGS__})
#endif

// The 4 floats at `left` in the lower half of *pair, the 4 at `right` in the upper half. The filtered row is padded
// with 4 floats before it and 8 after, for the whole-register loads of compilers without __builtin_shufflevector.
ALWAYS_INLINE inline void LoadPixelPair(const float* left, const float* right, PixelPair* pair) {
#if STROBE_HAS_SHUFFLEVECTOR  // Clang, GCC 12 and later: one load and one insert
  typedef float Pixel __attribute__((vector_size(16)));
  Pixel l, r;
  std::memcpy(&l, left, sizeof(l));
  std::memcpy(&r, right, sizeof(r));
  *pair = __builtin_shufflevector(l, r, 0, 1, 2, 3, 4, 5, 6, 7);
#else  // GCC 11 and earlier: two loads and a bitwise blend
  typedef int32_t PairBits __attribute__((vector_size(32)));
  const PairBits lower_half = {-1, -1, -1, -1, 0, 0, 0, 0};
  PixelPair l, r;
  std::memcpy(&l, left, sizeof(l));
  std::memcpy(&r, right - 4, sizeof(r));
  *pair = (PixelPair)(((PairBits)l & lower_half) | ((PairBits)r & ~lower_half));
#endif
}

// The floats of padding before the filtered row, for the right pixels' loads that start 4 floats early.
constexpr size_t kRowPadding = 4;

// Output pixels are filtered in groups of 8, as four pairs: pixel p of the group with pixel p + 4. A 4 × 4
// transpose within each half of the four pairs then gives each channel's 8 values in order.
constexpr int kGroup = 8;

// The horizontal taps laid out for pairs of output pixels: for pair j and tap k, the left pixel's weight in the
// lower four lanes and the right pixel's in the upper four, every pair running the same `taps` taps (zero weights
// past a pixel's own count). The loop then has no per-pixel trip count, and each tap of two pixels is one load of
// weights, one gathered load of pixels and one multiply-add. Mirrored, the pairs run from the last output pixel to
// the first, so that a flipped row is written forwards, with the same vectorised stores as an unflipped one. The
// last group's places past the row's end repeat the row's last pixel in filtering order.
struct PairedTaps {
  std::vector<int> offsets;  // per pair, where its left and right pixels' first taps start in the filtered row
  std::vector<PixelPair> weights;
  int taps = 0;
};

PairedTaps PairTaps(const FilterTaps& filter, bool mirrored) {
  const int width = static_cast<int>(filter.first.size());
  PairedTaps paired;
  const int column_lo = filter.first.front();
  paired.taps = *std::max_element(filter.count.begin(), filter.count.end());
  const int pairs = (width + kGroup - 1) / kGroup * (kGroup / 2);
  paired.weights.resize(static_cast<size_t>(pairs) * paired.taps);
  const auto pixel_at = [&](int position) { return mirrored ? width - 1 - position : position; };
  for (int j = 0; j < pairs; ++j) {
    const int position = j / (kGroup / 2) * kGroup + j % (kGroup / 2);
    const int left = pixel_at(std::min(position, width - 1));
    const int right = pixel_at(std::min(position + kGroup / 2, width - 1));
    paired.offsets.push_back((filter.first[left] - column_lo) * 3);
    paired.offsets.push_back((filter.first[right] - column_lo) * 3);
    for (int k = 0; k < paired.taps; ++k) {
      const float l = filter.weights[static_cast<size_t>(left) * filter.stride + k];
      const float r = filter.weights[static_cast<size_t>(right) * filter.stride + k];
      paired.weights[static_cast<size_t>(j) * paired.taps + k] = PixelPair{l, l, l, l, r, r, r, r};
    }
  }
  return paired;
}

// The filtered, scaled and offset RGB of the pixel pair whose taps start at `offsets` in `sums` (through a pointer:
// a returned AVX vector would change the ABI of the baseline build).
template <int kTaps>
ALWAYS_INLINE inline void FilterPair(const int* offsets, const PixelPair* weights, int count, const float* sums,
                                     const PixelPair& scale, const PixelPair& offset, PixelPair* value) {
  const float* left = sums + offsets[0];
  const float* right = sums + offsets[1];
  PixelPair pixels;
  LoadPixelPair(left, right, &pixels);
  // Not 0 + the first product: one add fewer, and the same bits, as no product is negative and none is fused into a
  // multiply-add (-ffp-contract=off, worker/CMakeLists.txt).
  PixelPair sum = weights[0] * pixels;
  for (int k = 1; k < (kTaps > 0 ? kTaps : count); ++k) {
    LoadPixelPair(left + 3 * k, right + 3 * k, &pixels);
    sum += weights[k] * pixels;
  }
  *value = sum * scale + offset;
}

// One output row from the vertically filtered, interleaved row `sums` (which starts at the leftmost output pixel's
// first tap, and is zero-padded for `taps` pixels past its end): the filtered, scaled and offset values of channel
// c in planes[c · plane_stride ...], for the row's width rounded up to whole groups. kTaps > 0 fixes the tap count
// at compile time, so the taps are unrolled.
template <int kTaps>
ALWAYS_INLINE inline void FilterRowOf(const PairedTaps& taps, const float* sums, int width, const PixelPair& scale,
                                      const PixelPair& offset, float* planes, std::ptrdiff_t plane_stride) {
  const int count = kTaps > 0 ? kTaps : taps.taps;
  const PixelPair* weights = taps.weights.data();
  const int* offsets = taps.offsets.data();
  for (int x = 0; x < width; x += kGroup) {
    PixelPair pair[kGroup / 2];  // pair[p]: pixel x + p in the lower half, x + p + 4 in the upper
    for (int p = 0; p < kGroup / 2; ++p, offsets += 2, weights += count) {
      FilterPair<kTaps>(offsets, weights, count, sums, scale, offset, &pair[p]);
    }
    // rg01 = r0 r1 g0 g1 | r4 r5 g4 g5, b01 = b0 b1 - - | b4 b5 - -, and the same of pixels 2, 3, 6, 7.
    const PixelPair rg01 = STROBE_SHUFFLE_PAIRS(pair[0], pair[1], 0, 8, 1, 9, 4, 12, 5, 13);
    const PixelPair b01 = STROBE_SHUFFLE_PAIRS(pair[0], pair[1], 2, 10, 3, 11, 6, 14, 7, 15);
    const PixelPair rg23 = STROBE_SHUFFLE_PAIRS(pair[2], pair[3], 0, 8, 1, 9, 4, 12, 5, 13);
    const PixelPair b23 = STROBE_SHUFFLE_PAIRS(pair[2], pair[3], 2, 10, 3, 11, 6, 14, 7, 15);
    const PixelPair red = STROBE_SHUFFLE_PAIRS(rg01, rg23, 0, 1, 8, 9, 4, 5, 12, 13);
    const PixelPair green = STROBE_SHUFFLE_PAIRS(rg01, rg23, 2, 3, 10, 11, 6, 7, 14, 15);
    const PixelPair blue = STROBE_SHUFFLE_PAIRS(b01, b23, 0, 1, 8, 9, 4, 5, 12, 13);
    std::memcpy(planes + x, &red, sizeof(red));
    std::memcpy(planes + plane_stride + x, &green, sizeof(green));
    std::memcpy(planes + 2 * plane_stride + x, &blue, sizeof(blue));
  }
}

STROBE_ALSO_FOR_AVX2 void FilterRow(const PairedTaps& taps, const float* sums, int width, const PixelPair& scale,
                                    const PixelPair& offset, float* planes, std::ptrdiff_t plane_stride) {
  WithTapCount(taps.taps, [&](auto count) ALWAYS_INLINE {
    FilterRowOf<decltype(count)::value>(taps, sums, width, scale, offset, planes, plane_stride);
  });
}

void Store(float value, float* to) { *to = value; }
void Store(float value, uint8_t* to) {
  *to = static_cast<uint8_t>(std::min(255.0f, std::max(0.0f, value + 0.5f)));
}

// The row's channel planes (FilterRow's) into the output's layout.
template <typename T>
ALWAYS_INLINE inline void StoreRowOf(const float* planes, std::ptrdiff_t plane_stride, int width,
                                     const ResampleOutput& out, T* row_out) {
  for (int c = 0; c < 3; ++c) {
    const float* __restrict from = planes + c * plane_stride;
    T* __restrict to = row_out + c * out.channel_stride;
    if (out.pixel_stride == 1) {  // planar (CHW): contiguous, which the compiler vectorises
      for (int x = 0; x < width; ++x) Store(from[x], to + x);
    } else {
      for (int x = 0; x < width; ++x) Store(from[x], to + x * out.pixel_stride);
    }
  }
}

STROBE_ALSO_FOR_AVX2 void StoreRow(const float* planes, std::ptrdiff_t plane_stride, int width,
                                   const ResampleOutput& out, float* row_out) {
  StoreRowOf(planes, plane_stride, width, out, row_out);
}
STROBE_ALSO_FOR_AVX2 void StoreRow(const float* planes, std::ptrdiff_t plane_stride, int width,
                                   const ResampleOutput& out, uint8_t* row_out) {
  StoreRowOf(planes, plane_stride, width, out, row_out);
}

}  // namespace

void ResampleRegion(const RgbImage& image, const Region& region, int width, int height, const ResampleOutput& out) {
  const FilterTaps across = ComputeTaps(region.x, region.width, image.width, width);
  const FilterTaps down = ComputeTaps(region.y, region.height, image.height, height);
  const bool mirrored = out.pixel_stride < 0;
  const PairedTaps paired = PairTaps(across, mirrored);
  // A mirrored row is filtered last pixel first (PairTaps), so it is stored forwards from its leftmost value.
  ResampleOutput forwards = out;
  if (mirrored) {
    forwards.pixel_stride = -out.pixel_stride;
    const std::ptrdiff_t leftmost = (width - 1) * out.pixel_stride;
    if (out.byte_origin != nullptr) forwards.byte_origin += leftmost;
    if (out.origin != nullptr) forwards.origin += leftmost;
  }
  // Vertical pass first, one output row at a time, over only the columns the horizontal taps read: it runs on
  // contiguous bytes (the compiler vectorises it), and the gathering horizontal pass then sees `height` rows, not
  // every row of the region.
  const int column_lo = across.first.front();
  const int column_hi = across.first.back() + across.count.back();
  const size_t span = static_cast<size_t>(column_hi - column_lo) * 3;
  thread_local std::vector<float> column_sums;
  // Zeros around the row: before it for the right pixels' loads, which start 4 floats early, and after it for the
  // taps of zero weight past a pixel's count and the left pixels' loads, which read 8 floats.
  column_sums.assign(kRowPadding + span + 3 * static_cast<size_t>(paired.taps) + 8, 0.0f);
  // Planar float rows of whole groups (224 wide, CHW: the training input) are filtered straight into the output;
  // others go through planes of whole groups, then into their layout.
  const bool filter_into_output = forwards.byte_origin == nullptr && forwards.pixel_stride == 1 && width % kGroup == 0;
  const std::ptrdiff_t plane_stride = (width + kGroup - 1) / kGroup * kGroup;
  const std::ptrdiff_t filtered_stride = filter_into_output ? forwards.channel_stride : plane_stride;
  thread_local std::vector<float> row_planes;
  row_planes.resize(3 * static_cast<size_t>(plane_stride));
  const PixelPair scale = {out.scale[0], out.scale[1], out.scale[2], 0, out.scale[0], out.scale[1], out.scale[2], 0};
  const PixelPair offset = {out.offset[0], out.offset[1], out.offset[2], 0,
                            out.offset[0], out.offset[1], out.offset[2], 0};
  const size_t image_row = static_cast<size_t>(image.width) * 3;
  const uint8_t* first_column = image.pixels.data() + static_cast<size_t>(column_lo) * 3;
  for (int y = 0; y < height; ++y) {
    float* sums = column_sums.data() + kRowPadding;
    VerticalPass(first_column + static_cast<size_t>(down.first[y]) * image_row, image_row,
                 &down.weights[static_cast<size_t>(y) * down.stride], down.count[y], span, sums);
    float* filtered = filter_into_output ? forwards.origin + y * forwards.row_stride : row_planes.data();
    FilterRow(paired, sums, width, scale, offset, filtered, filtered_stride);
    if (filter_into_output) continue;
    if (forwards.byte_origin != nullptr) {
      StoreRow(row_planes.data(), plane_stride, width, forwards, forwards.byte_origin + y * forwards.row_stride);
    } else {
      StoreRow(row_planes.data(), plane_stride, width, forwards, forwards.origin + y * forwards.row_stride);
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
