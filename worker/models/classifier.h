#ifndef STROBE_WORKER_MODELS_CLASSIFIER_H_
#define STROBE_WORKER_MODELS_CLASSIFIER_H_

#include <torch/nn/module.h>

namespace strobe {

// An image classifier: float images [N, C, H, W] in, logits [N, num_classes] out. The training loop and the
// evaluator see models only through this interface.
class Classifier : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor images) = 0;
};

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_CLASSIFIER_H_
