#ifndef STROBE_APP_SHARED_INITIAL_WEIGHTS_H_
#define STROBE_APP_SHARED_INITIAL_WEIGHTS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "ops/communicator.h"
#include "worker/models/classifier.h"
#include "worker/models/initial_weights.h"
#include "worker/models/model_options.h"

namespace strobe {

// Collective: every rank loads `options.init_weights` into its model (LoadInitialWeights), and all must have read
// the same tensors (equal CRC-32s), so that a host holding another copy of the file stops the start instead of
// training silently from rank 0's. Errors name the rank (the lowest that failed) and the file.
absl::StatusOr<InitialWeights> LoadInitialWeightsOnEveryRank(Communicator& communicator, Classifier& model,
                                                             const ModelOptions& options, int64_t in_channels,
                                                             int64_t num_classes);

// "initial weights from F: 122 tensors, 11184990 values (torchvision's names), CRC-32 1a2b3c4d on every rank;
// kept at their initialisation: fc.weight, fc.bias".
std::string DescribeInitialWeights(const InitialWeights& loaded, const std::string& path);

}  // namespace strobe

#endif  // STROBE_APP_SHARED_INITIAL_WEIGHTS_H_
