#ifndef STROBE_APP_SHARED_INITIAL_WEIGHTS_H_
#define STROBE_APP_SHARED_INITIAL_WEIGHTS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ops/communicator.h"
#include "worker/models/classifier.h"
#include "worker/models/model_options.h"

namespace strobe {

// Collective, for the commands that train (train, lr-find); nothing without --init_weights. Every rank loads
// `options.init_weights` into its model (worker/models/initial_weights.h), and all must have read the same tensors
// (equal CRC-32s), so that a host holding another copy of the file stops the start instead of training silently
// from rank 0's. Errors name the rank (the lowest that failed) and the file. Rank 0 (`report`) prints
// "strobe: initial weights from F: 122 tensors, 11184990 values (torchvision's names), CRC-32 1a2b3c4d on every
// rank; kept at their initialisation: fc.weight, fc.bias".
absl::Status StartFromInitialWeights(Communicator& communicator, Classifier& model, const ModelOptions& options,
                                     int64_t in_channels, int64_t num_classes, bool report);

}  // namespace strobe

#endif  // STROBE_APP_SHARED_INITIAL_WEIGHTS_H_
