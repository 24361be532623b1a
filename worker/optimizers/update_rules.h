#ifndef STROBE_WORKER_OPTIMIZERS_UPDATE_RULES_H_
#define STROBE_WORKER_OPTIMIZERS_UPDATE_RULES_H_

#include <memory>

#include "worker/models/classifier.h"
#include "worker/optimizer.h"
#include "worker/optimizer_options.h"

namespace strobe {

// One per --optimizer; MakeOptimizer (worker/optimizer.h) picks among them.
std::unique_ptr<Optimizer> MakeSgd(Classifier& model, const OptimizerOptions& options);
std::unique_ptr<Optimizer> MakeAdamW(Classifier& model, const OptimizerOptions& options);
std::unique_ptr<Optimizer> MakeLamb(Classifier& model, const OptimizerOptions& options);
std::unique_ptr<Optimizer> MakeLars(Classifier& model, const OptimizerOptions& options);

}  // namespace strobe

#endif  // STROBE_WORKER_OPTIMIZERS_UPDATE_RULES_H_
