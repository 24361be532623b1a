#include "coordinator/step_control.h"

#include <ATen/ATen.h>

#include "absl/strings/str_format.h"

namespace strobe {

StepCoordinator::StepCoordinator(Communicator& communicator, LrController controller, CheckpointCadence cadence,
                                 std::optional<ControlFileWatcher> control_file, c10::Device control_device)
    : communicator_(communicator),
      controller_(std::move(controller)),
      cadence_(cadence),
      control_file_(communicator.rank() == 0 ? std::move(control_file) : std::nullopt),
      word_(at::zeros({4}, at::TensorOptions().dtype(at::kDouble))),
      control_device_(control_device) {}

uint32_t StepCoordinator::ControlFileRequests(int64_t step, std::string& notice) {
  uint32_t flags = 0;
  if (!control_file_.has_value()) return flags;
  if (std::optional<absl::StatusOr<ControlCommand>> polled = control_file_->Poll(); polled.has_value()) {
    if (!polled->ok()) {
      notice = std::string(polled->status().message());
    } else {
      const ControlCommand& command = **polled;
      if (command.lr.has_value()) controller_.SetOverride(*command.lr);
      if (command.checkpoint) flags |= kStepFlagCheckpoint;
      if (command.stop) flags |= kStepFlagStop;
      notice = absl::StrFormat("%s applied from step %d", control_file_->path(), step);
    }
  }
  return flags;
}

bool StepCoordinator::CheckpointDue(int64_t boundary) const {
  if (boundary == last_checkpoint_step_) return false;
  const bool due_by_steps = cadence_.every_steps > 0 && boundary % cadence_.every_steps == 0;
  const bool due_by_time =
      cadence_.every_minutes > 0 &&
      std::chrono::duration<double>(Clock::now() - last_checkpoint_time_).count() >= cadence_.every_minutes * 60;
  return due_by_steps || due_by_time;
}

void StepCoordinator::Begin(int64_t step, uint32_t local_requests) {
  // The LR override a control file sets applies to this step; its checkpoint or stop, and the cadence's, to the
  // step boundary after it.
  StartWord(step, local_requests, step + 1);
}

StepControl StepCoordinator::AtStart(int64_t step, uint32_t local_requests) {
  StartWord(step, local_requests, std::nullopt);
  return Finish();
}

void StepCoordinator::StartWord(int64_t step, uint32_t local_requests, std::optional<int64_t> cadence_boundary) {
  uint32_t requests = local_requests;
  double* word = word_.data_ptr<double>();
  constexpr double kNoMomentum = -1.0;
  word[0] = 0.0;
  word[1] = kNoMomentum;
  notice_.clear();
  if (communicator_.rank() == 0) {
    requests |= ControlFileRequests(step, notice_);
    if (cadence_boundary.has_value() && CheckpointDue(*cadence_boundary)) requests |= kStepFlagCheckpoint;
    word[0] = controller_.LrAt(step);
    word[1] = controller_.MomentumAt(step).value_or(kNoMomentum);
  }
  word[2] = (requests & kStepFlagStop) != 0 ? 1.0 : 0.0;
  word[3] = (requests & kStepFlagCheckpoint) != 0 ? 1.0 : 0.0;
  on_wire_ = word_.to(control_device_);  // the same tensor when the control device is the CPU
  communicator_.StartAllReduce(on_wire_, ReduceOp::kMax, at::kDouble);
}

StepControl StepCoordinator::Finish() {
  communicator_.FinishAllReduces();
  word_.copy_(on_wire_);
  const double* word = word_.data_ptr<double>();
  StepControl control;
  control.notice = std::move(notice_);
  control.lr = word[0];
  if (word[1] >= 0) control.momentum = word[1];
  if (word[2] > 0) control.flags |= kStepFlagStop;
  if (word[3] > 0) control.flags |= kStepFlagCheckpoint;
  return control;
}

bool StepCoordinator::ObserveGlobal(PlateauMetric metric, double value) {
  return communicator_.rank() == 0 && controller_.Observe(metric, value);
}

void StepCoordinator::CheckpointSaved(int64_t step) {
  last_checkpoint_step_ = step;
  last_checkpoint_time_ = Clock::now();
}

}  // namespace strobe
