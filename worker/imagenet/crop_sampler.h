#ifndef STROBE_WORKER_IMAGENET_CROP_SAMPLER_H_
#define STROBE_WORKER_IMAGENET_CROP_SAMPLER_H_

#include <cstdint>

#include "worker/imagenet/image_decoder.h"

namespace strobe {

// torchvision's RandomResizedCrop: area fraction uniform in [scale_min, scale_max], log aspect ratio uniform in
// [log ratio_min, log ratio_max], whole-pixel sizes, up to 10 tries, then a centre crop clamped to the ratio range.
struct RandomResizedCropOptions {
  double scale_min = 0.08;
  double scale_max = 1.0;
  double ratio_min = 3.0 / 4.0;
  double ratio_max = 4.0 / 3.0;
};

// One draw for an image of width × height. `sample_seed` names the draw (derived from run seed, epoch and sample
// index), so a sample gets the same crop whichever rank or thread decodes it and after a resume.
Region SampleRandomResizedCrop(int width, int height, const RandomResizedCropOptions& options, uint64_t sample_seed);

// Validation: the region that torchvision's Resize(resize_to) then CenterCrop(crop_to) keeps, in the original
// image's pixels (e.g. 256 and 224: the central 87.5% of the shorter side, as a square).
Region CenterCropRegion(int width, int height, int resize_to, int crop_to);

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_CROP_SAMPLER_H_
