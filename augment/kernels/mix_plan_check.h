#ifndef STROBE_AUGMENT_KERNELS_MIX_PLAN_CHECK_H_
#define STROBE_AUGMENT_KERNELS_MIX_PLAN_CHECK_H_

#include <ATen/core/Tensor.h>

#include <vector>

#include "augment/kernels/sample_mix.h"

namespace strobe {

// Throws std::invalid_argument("<caller>: ...") unless `images` and `partners` are contiguous float32 NCHW batches
// of one image shape on one device and every plan entry fits them: a partner row that exists, a box inside the
// image, a mask index into uint8 `masks` [M, H, W].
void CheckMixPlan(const char* caller, const at::Tensor& images, const at::Tensor& partners,
                  const std::vector<SampleMix>& plan, const at::Tensor& masks);

// Throws std::invalid_argument("<caller>: <what>") unless ok.
void CheckMix(const char* caller, bool ok, const char* what);

}  // namespace strobe

#endif  // STROBE_AUGMENT_KERNELS_MIX_PLAN_CHECK_H_
