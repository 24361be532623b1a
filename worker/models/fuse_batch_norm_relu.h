#ifndef STROBE_WORKER_MODELS_FUSE_BATCH_NORM_RELU_H_
#define STROBE_WORKER_MODELS_FUSE_BATCH_NORM_RELU_H_

#include <cstdint>

#include "worker/models/torchscript_model.h"

namespace strobe {

// Makes a TorchScript model's training forward run each `relu(batch_norm(x))` and `relu(batch_norm(x) + residual)`
// of its code (torchvision's and timm's ResNet blocks: `bn`, then `relu` or `+= identity` and `relu`, in place or
// not) as one strobe::batch_norm_relu call, which computes the same bits faster on the CPU where it can
// (worker/models/batch_norm_relu.h) and the original operations everywhere else. Left as written: a pair whose
// intermediate result is used elsewhere, an add that writes into the residual (`identity += out`), and a BatchNorm
// that the JIT's alias analysis cannot prove may move to the add. That analysis takes every tensor read from the
// module (weights, buffers) as possibly aliasing every other, and BatchNorm writes its running statistics: so any
// operation between the block's last BatchNorm and the add that reads module tensors keeps the pair apart, such as
// a shortcut convolution computed there (torchvision's downsampling blocks). The module, its code and what it saves
// are unchanged; evaluation runs the module's own forward. Returns how many pairs it fused (0: the model keeps its
// own forward). Call it only where the fused kernel can run (the CPU, float32, NCHW): elsewhere it gains nothing.
int64_t FuseBatchNormReLU(TorchScriptClassifier& model);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_FUSE_BATCH_NORM_RELU_H_
