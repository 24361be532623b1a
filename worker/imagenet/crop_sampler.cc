#include "worker/imagenet/crop_sampler.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace strobe {

Region SampleRandomResizedCrop(int width, int height, const RandomResizedCropOptions& options, uint64_t sample_seed) {
  std::mt19937_64 generator(sample_seed);
  std::uniform_real_distribution<double> area_fraction(options.scale_min, options.scale_max);
  std::uniform_real_distribution<double> log_ratio(std::log(options.ratio_min), std::log(options.ratio_max));
  const double area = static_cast<double>(width) * height;
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * area_fraction(generator);
    const double aspect = std::exp(log_ratio(generator));
    const int w = static_cast<int>(std::lround(std::sqrt(target_area * aspect)));
    const int h = static_cast<int>(std::lround(std::sqrt(target_area / aspect)));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const int top = std::uniform_int_distribution<int>(0, height - h)(generator);
      const int left = std::uniform_int_distribution<int>(0, width - w)(generator);
      return {double(left), double(top), double(w), double(h)};
    }
  }
  const double in_ratio = static_cast<double>(width) / height;
  int w = width;
  int h = height;
  if (in_ratio < options.ratio_min) {
    h = static_cast<int>(std::lround(w / options.ratio_min));
  } else if (in_ratio > options.ratio_max) {
    w = static_cast<int>(std::lround(h * options.ratio_max));
  }
  return {double((width - w) / 2), double((height - h) / 2), double(w), double(h)};
}

Region CenterCropRegion(int width, int height, int resize_to, int crop_to) {
  const double side = static_cast<double>(std::min(width, height)) * crop_to / resize_to;
  const double w = std::min<double>(side, width);
  const double h = std::min<double>(side, height);
  return {(width - w) / 2, (height - h) / 2, w, h};
}

}  // namespace strobe
