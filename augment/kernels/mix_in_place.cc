#include "augment/kernels/mix_in_place.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "ops/avx2.h"
#include "augment/kernels/mix_plan_check.h"

namespace strobe {
namespace {

constexpr const char* kCaller = "MixImagesInPlace";
// Rows are mixed in bands of about this many pixels per image (16 KiB), the unit of parallel work: a cycle of a
// random permutation typically holds most of the batch, and on large images it still splits into many units (on
// 224x224x3, 3 channels x 13 bands; small single-channel images stay one unit per cycle).
constexpr int64_t kBandPixels = 4096;
// A thread gets at least this many pixels of work: on 128x1x28x28 (100K pixels) two threads ran 6-7 us against
// 4 us for one, the cost of waking the second thread exceeding the work it takes over.
constexpr int64_t kPixelsPerThread = 1 << 18;

// The samples whose mixes must run together, chain c being members[starts[c], starts[c + 1]). In-batch partners:
// one cycle of the permutation, each member's partner the next member and the last one's the first. A separate
// partner batch: one sample each.
struct Chains {
  std::vector<int64_t> members;
  std::vector<int64_t> starts{0};

  int64_t count() const { return static_cast<int64_t>(starts.size()) - 1; }
};

Chains FindChains(const std::vector<SampleMix>& plan, bool in_batch) {
  const auto n = static_cast<int64_t>(plan.size());
  Chains chains;
  chains.members.reserve(n);
  chains.starts.reserve(n + 1);
  if (!in_batch) {
    for (int64_t i = 0; i < n; ++i) {
      chains.members.push_back(i);
      chains.starts.push_back(i + 1);
    }
    return chains;
  }
  enum : uint8_t { kTaken = 1, kPlaced = 2 };
  std::vector<uint8_t> state(n, 0);
  for (const SampleMix& s : plan) {
    CheckMix(kCaller, !(state[s.partner] & kTaken), "in-batch partners must be a permutation of the batch");
    state[s.partner] |= kTaken;
  }
  for (int64_t start = 0; start < n; ++start) {
    if (state[start] & kPlaced) continue;
    for (int64_t i = start; !(state[i] & kPlaced); i = plan[i].partner) {
      state[i] |= kPlaced;
      chains.members.push_back(i);
    }
    chains.starts.push_back(static_cast<int64_t>(chains.members.size()));
  }
  return chains;
}

struct Columns {
  int64_t begin = 0;
  int64_t end = 0;
  bool empty() const { return end <= begin; }
};

// The columns of row y that the mix takes from the partner: the only ones it reads there and writes.
Columns ColumnsFromPartner(const SampleMix& s, int64_t y, int64_t width) {
  switch (s.kind) {
    case SampleMix::kBox:
      return y >= s.y0 && y < s.y1 ? Columns{s.x0, s.x1} : Columns{};
    case SampleMix::kBlend:
    case SampleMix::kMask:
      return Columns{0, width};
    default:
      return Columns{};
  }
}

// o = a*o + b*p: the arithmetic of MixImages's blend, so both give the same bits.
STROBE_ALSO_FOR_AVX2 void BlendInPlace(float a, float b, int64_t n, float* __restrict o, const float* __restrict p) {
  for (int64_t i = 0; i < n; ++i) o[i] = a * o[i] + b * p[i];
}

// Two samples that are each other's partner and share one box (flip partners in batch or pair lambda mode): the
// box is swapped, `rows` rows of n pixels `stride` apart, reading and writing each pixel once, with no buffer.
void SwapRows(int64_t rows, int64_t n, int64_t stride, float* __restrict a, float* __restrict b) {
  for (int64_t y = 0; y < rows; ++y, a += stride, b += stride) {
    for (int64_t i = 0; i < n; ++i) {
      const float t = a[i];
      a[i] = b[i];
      b[i] = t;
    }
  }
}

#if defined(__x86_64__)
// The same with 8-pixel vectors. The last partial vector of a box row is swapped as a whole vector that stays inside
// the row, its lanes outside the box written back unchanged (no other thread owns this row): on 28x28 images a box
// row is 2-3 vectors, and the compiler's loop spent more on its scalar remainder than on the vectors (7 -> 4 us on
// 128x1x28x28). On this CPU (AMD EPYC) AVX2 masked stores ran as fast as this, AVX-512 masked ones at half the
// speed; masked stores are microcoded on older AMD CPUs, which this form avoids. Rows are at least 8 pixels wide.
__attribute__((target("avx2"))) void SwapRowsAvx2(int64_t rows, int64_t x0, int64_t x1, int64_t width,
                                                  float* __restrict a, float* __restrict b) {
  const int64_t whole_end = x0 + (x1 - x0) / 8 * 8;
  const int64_t window = std::min(whole_end, width - 8);
  const __m256 tail = LanesIn(window, whole_end, x1);
  for (int64_t y = 0; y < rows; ++y, a += width, b += width) {
    for (int64_t i = x0; i < whole_end; i += 8) {
      const __m256 va = _mm256_loadu_ps(a + i);
      const __m256 vb = _mm256_loadu_ps(b + i);
      _mm256_storeu_ps(a + i, vb);
      _mm256_storeu_ps(b + i, va);
    }
    if (whole_end < x1) {
      const __m256 va = _mm256_loadu_ps(a + window);
      const __m256 vb = _mm256_loadu_ps(b + window);
      _mm256_storeu_ps(a + window, _mm256_blendv_ps(va, vb, tail));
      _mm256_storeu_ps(b + window, _mm256_blendv_ps(vb, va, tail));
    }
  }
}
#endif

// Rows of two planes starting at a and b, `width` pixels apart: the columns [x0, x1) of each row are swapped.
void SwapBoxRows(int64_t rows, int64_t x0, int64_t x1, int64_t width, float* a, float* b) {
#if defined(__x86_64__)
  if (CpuHasAvx2() && width >= 8) {
    SwapRowsAvx2(rows, x0, x1, width, a, b);
    return;
  }
#endif
  SwapRows(rows, x1 - x0, width, a + x0, b + x0);
}

// Two samples that are each other's partner, both blended: each pixel pair is read once and both results written.
STROBE_ALSO_FOR_AVX2 void BlendPixelPair(float lam_a, float lam_b, int64_t n, float* __restrict a,
                                         float* __restrict b) {
  const float rest_a = 1.0f - lam_a;
  const float rest_b = 1.0f - lam_b;
  for (int64_t i = 0; i < n; ++i) {
    const float pa = a[i];
    const float pb = b[i];
    a[i] = lam_a * pa + rest_a * pb;
    b[i] = lam_b * pb + rest_b * pa;
  }
}

// One row of one sample: `row` holds its own pixels and receives the mix; `partner` is the partner's row.
void MixRow(const SampleMix& s, Columns columns, const uint8_t* __restrict mask, float* __restrict row,
            const float* __restrict partner) {
  switch (s.kind) {
    case SampleMix::kBox:
      std::memcpy(row + columns.begin, partner + columns.begin, (columns.end - columns.begin) * sizeof(float));
      return;
    case SampleMix::kBlend:
      BlendInPlace(s.lam, 1.0f - s.lam, columns.end - columns.begin, row + columns.begin, partner + columns.begin);
      return;
    case SampleMix::kMask:
      for (int64_t i = columns.begin; i < columns.end; ++i) {
        if (!mask[i]) row[i] = partner[i];
      }
      return;
    default:
      return;
  }
}

struct Planes {
  float* images;
  const float* partners;
  const uint8_t* masks;
  int64_t channels, height, width;

  float* Row(int64_t sample, int64_t channel, int64_t y) const {
    return images + ((sample * channels + channel) * height + y) * width;
  }
  const float* PartnerRow(int64_t sample, int64_t channel, int64_t y) const {
    return partners + ((sample * channels + channel) * height + y) * width;
  }
  const uint8_t* MaskRow(const SampleMix& s, int64_t y) const {
    return s.kind == SampleMix::kMask ? masks + (s.mask * height + y) * width : nullptr;
  }
};

bool SameBox(const SampleMix& a, const SampleMix& b) {
  return a.kind == SampleMix::kBox && b.kind == SampleMix::kBox && a.y0 == b.y0 && a.y1 == b.y1 && a.x0 == b.x0 &&
         a.x1 == b.x1;
}

// Whether every sample mixes with its mirror (flip partners) through one box shared by the whole batch: batch lambda
// mode under flip, the default.
bool MirroredWithOneBox(const std::vector<SampleMix>& plan) {
  const auto n = static_cast<int64_t>(plan.size());
  for (int64_t i = 0; i < n; ++i) {
    if (plan[i].partner != n - 1 - i || !SameBox(plan[i], plan[0])) return false;
  }
  return true;
}

// Each sample swaps the shared box with its mirror; an odd batch's middle sample is its own mirror and keeps its
// pixels. One unit per pair and channel, with neither the cycle search nor the chain and band bookkeeping, which on
// 28x28 images cost about as much as the swaps themselves (docs/mixing.md).
void SwapMirroredBoxes(const Planes& batch, int64_t samples, const SampleMix& box) {
  const int64_t rows = box.y1 - box.y0;
  if (rows <= 0 || box.x1 <= box.x0) return;
  const int64_t units = samples / 2 * batch.channels;
  const int64_t grain = std::max<int64_t>(1, kPixelsPerThread / (2 * rows * (box.x1 - box.x0)));
  at::parallel_for(0, units, grain, [&](int64_t begin, int64_t end) {
    for (int64_t unit = begin; unit < end; ++unit) {
      const int64_t sample = unit / batch.channels;
      const int64_t channel = unit % batch.channels;
      SwapBoxRows(rows, box.x0, box.x1, batch.width, batch.Row(sample, channel, box.y0),
                  batch.Row(samples - 1 - sample, channel, box.y0));
    }
  });
}

// Rows [y_begin, y_end) of one channel of a chain of two samples that are each other's partner, when a fast path
// fits; false otherwise.
bool MixPairRows(const Planes& batch, const SampleMix& a, const SampleMix& b, int64_t sample_a, int64_t sample_b,
                 int64_t channel, int64_t y_begin, int64_t y_end) {
  if (SameBox(a, b)) {
    const int64_t first_row = std::max<int64_t>(y_begin, a.y0);
    const int64_t rows = std::min<int64_t>(y_end, a.y1) - first_row;
    if (rows > 0) {
      SwapBoxRows(rows, a.x0, a.x1, batch.width, batch.Row(sample_a, channel, first_row),
                  batch.Row(sample_b, channel, first_row));
    }
    return true;
  }
  if (a.kind == SampleMix::kBlend && b.kind == SampleMix::kBlend) {
    BlendPixelPair(a.lam, b.lam, (y_end - y_begin) * batch.width, batch.Row(sample_a, channel, y_begin),
                   batch.Row(sample_b, channel, y_begin));
    return true;
  }
  return false;
}

// Rows [y_begin, y_end) of one channel of one chain, members [first, last). In-batch, each member reads the next
// member's row before that member is mixed, and the last reads the first's original row, saved in `saved`
// beforehand.
void MixChainRows(const Planes& batch, const std::vector<SampleMix>& plan, const int64_t* first, const int64_t* last,
                  bool in_batch, int64_t channel, int64_t y_begin, int64_t y_end, float* saved) {
  if (in_batch && last - first == 2 &&
      MixPairRows(batch, plan[first[0]], plan[first[1]], first[0], first[1], channel, y_begin, y_end)) {
    return;
  }
  const SampleMix& closing = plan[last[-1]];
  for (int64_t y = y_begin; y < y_end; ++y) {
    if (in_batch) {
      const Columns needed = ColumnsFromPartner(closing, y, batch.width);
      if (!needed.empty()) {
        std::memcpy(saved + needed.begin, batch.Row(*first, channel, y) + needed.begin,
                    (needed.end - needed.begin) * sizeof(float));
      }
    }
    for (const int64_t* member = first; member != last; ++member) {
      const SampleMix& s = plan[*member];
      const Columns columns = ColumnsFromPartner(s, y, batch.width);
      if (columns.empty()) continue;
      const float* partner = !in_batch             ? batch.PartnerRow(s.partner, channel, y)
                             : member + 1 != last ? batch.Row(member[1], channel, y)
                                                  : saved;
      MixRow(s, columns, batch.MaskRow(s, y), batch.Row(*member, channel, y), partner);
    }
  }
}

}  // namespace

void MixImagesInPlace(at::Tensor& images, const at::Tensor& partners, const std::vector<SampleMix>& plan,
                      const at::Tensor& masks) {
  CheckMixPlan(kCaller, images, partners, plan, masks);
  CheckMix(kCaller, images.device().is_cpu(), "CPU tensors only (CUDA batches use MixImages)");
  const bool in_batch = partners.is_alias_of(images);
  CheckMix(kCaller, !in_batch || (partners.data_ptr() == images.data_ptr() && partners.sizes() == images.sizes()),
           "partners overlap the images without being the same batch");
  if (images.numel() == 0) return;
  const Planes batch{images.data_ptr<float>(), partners.data_ptr<float>(),
                    masks.defined() ? masks.data_ptr<uint8_t>() : nullptr, images.size(1), images.size(2),
                    images.size(3)};
  if (in_batch && MirroredWithOneBox(plan)) {
    SwapMirroredBoxes(batch, static_cast<int64_t>(plan.size()), plan[0]);
    return;
  }
  const Chains chains = FindChains(plan, in_batch);
  const int64_t band_rows = std::max<int64_t>(1, kBandPixels / batch.width);
  const int64_t bands = (batch.height + band_rows - 1) / band_rows;
  const int64_t units = chains.count() * batch.channels * bands;
  // The pixels a unit visits, on average: an upper bound on its work (a swapped pair touches only its box).
  const int64_t pixels_per_unit =
      static_cast<int64_t>(plan.size()) / chains.count() * std::min(band_rows, batch.height) * batch.width;
  const int64_t grain = std::max<int64_t>(1, kPixelsPerThread / pixels_per_unit);
  at::parallel_for(0, units, grain, [&](int64_t begin, int64_t end) {
    std::vector<float> saved(in_batch ? batch.width : 0);
    // Units run chain by chain, channel by channel, band by band. Counting them up spares three integer divisions
    // per unit: on 28x28 images a unit is a few hundred pixels (the small-batch CutMix went 85-90 -> 91-92 GB/s).
    int64_t band = begin % bands;
    int64_t channel = begin / bands % batch.channels;
    int64_t chain = begin / bands / batch.channels;
    for (int64_t unit = begin; unit < end; ++unit) {
      MixChainRows(batch, plan, &chains.members[chains.starts[chain]], &chains.members[0] + chains.starts[chain + 1],
                   in_batch, channel, band * band_rows, std::min(batch.height, (band + 1) * band_rows),
                   saved.data());
      if (++band == bands) {
        band = 0;
        if (++channel == batch.channels) {
          channel = 0;
          ++chain;
        }
      }
    }
  });
}

}  // namespace strobe
