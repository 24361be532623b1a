#ifndef STROBE_AUGMENT_KERNELS_MIX_IN_PLACE_H_
#define STROBE_AUGMENT_KERNELS_MIX_IN_PLACE_H_

#include <ATen/core/Tensor.h>

#include <vector>

#include "augment/kernels/sample_mix.h"

namespace strobe {

// images[i] becomes mix(images[i], partners[plan[i].partner]) for every i, in place, with the result of MixImages
// bitwise. Only the pixels a mix takes from a partner are written (a CutMix box, plus up to 7 unchanged neighbours
// per box row rewritten by the last vector; an FMix mask's zeros; every pixel for Mixup) and nothing batch-sized is
// allocated, so a CutMix moves about as many bytes as its boxes hold rather than a whole copy of the batch.
// `partners` is a separate batch (a peer's) or `images` itself; then the plan's partners must be a permutation of
// the batch (flip, roll, permute): each cycle of it is mixed row by row through a one-row buffer, so every sample
// still mixes with its partner's original pixels.
// CPU tensors only (CUDA batches use MixImages). Throws std::invalid_argument on what does not fit.
void MixImagesInPlace(at::Tensor& images, const at::Tensor& partners, const std::vector<SampleMix>& plan,
                      const at::Tensor& masks);

}  // namespace strobe

#endif  // STROBE_AUGMENT_KERNELS_MIX_IN_PLACE_H_
