#include "coordinator/step_control.h"

#include <ATen/ATen.h>

namespace strobe {

StepCoordinator::StepCoordinator(Communicator& communicator, std::unique_ptr<LrSchedule> schedule)
    : communicator_(communicator),
      schedule_(std::move(schedule)),
      word_(at::zeros({2}, at::TensorOptions().dtype(at::kDouble))) {}

StepControl StepCoordinator::Decide(int64_t step) {
  double* word = word_.data_ptr<double>();
  if (communicator_.rank() == 0) {
    word[0] = schedule_->LrAt(step);
    word[1] = 0.0;
  }
  communicator_.Broadcast(word_, /*root=*/0);
  return StepControl{word[0], static_cast<uint32_t>(word[1])};
}

}  // namespace strobe
