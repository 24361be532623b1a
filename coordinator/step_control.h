#ifndef STROBE_COORDINATOR_STEP_CONTROL_H_
#define STROBE_COORDINATOR_STEP_CONTROL_H_

#include <cstdint>
#include <memory>

#include "coordinator/lr_schedule.h"
#include "ops/communicator.h"

namespace strobe {

// What every rank must agree on before a step runs. Flags leave room for control that rank 0 decides
// (stop, checkpoint now) without changing the per-step protocol.
struct StepControl {
  double lr = 0.0;
  uint32_t flags = 0;
};

enum StepFlag : uint32_t {
  kStepFlagStop = 1u << 0,
};

// The coordinator's per-step decision, made on rank 0 and broadcast.
//
// Design:
//  1. Only rank 0 consults the schedule (dynamic schedules may hold state fed by globally reduced statistics).
//  2. Every rank calls Decide(step) once per step, in step order, before its forward pass: it is a collective.
//  3. The control word travels as one small float64 tensor through the communicator (NCCL in CUDA builds, MPI on
//     CPU), so all ranks apply bit-identical values.
class StepCoordinator {
 public:
  StepCoordinator(Communicator& communicator, std::unique_ptr<LrSchedule> schedule);

  StepControl Decide(int64_t step);

 private:
  Communicator& communicator_;
  std::unique_ptr<LrSchedule> schedule_;  // consulted on rank 0 only
  at::Tensor word_;
};

}  // namespace strobe

#endif  // STROBE_COORDINATOR_STEP_CONTROL_H_
