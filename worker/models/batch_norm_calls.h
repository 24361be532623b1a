#ifndef STROBE_WORKER_MODELS_BATCH_NORM_CALLS_H_
#define STROBE_WORKER_MODELS_BATCH_NORM_CALLS_H_

#include <torch/csrc/jit/ir/ir.h>

#include <vector>

namespace strobe {

// The aten::batch_norm calls in `graph` (a TorchScript model's inlined forward) and in the blocks inside it that
// normalise with batch statistics in training: every call but those whose `training` argument is a constant false
// (a model traced in eval mode). What --sync_bn synchronises and what FuseBatchNormReLU may fuse.
std::vector<torch::jit::Node*> BatchNormCalls(torch::jit::Graph& graph);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_BATCH_NORM_CALLS_H_
