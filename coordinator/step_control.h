#ifndef STROBE_COORDINATOR_STEP_CONTROL_H_
#define STROBE_COORDINATOR_STEP_CONTROL_H_

#include <c10/core/Device.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "coordinator/control_file.h"
#include "coordinator/lr_controller.h"
#include "ops/communicator.h"

namespace strobe {

enum StepFlag : uint32_t {
  kStepFlagCheckpoint = 1u << 0,  // save a checkpoint at the step boundary after this step
  kStepFlagStop = 1u << 1,        // save a checkpoint at the step boundary after this step, then exit
};

// What every rank must agree on before a step runs.
struct StepControl {
  double lr = 0.0;
  std::optional<double> momentum;  // set by schedules that cycle momentum (one-cycle)
  uint32_t flags = 0;
  std::string notice;  // rank 0 only: what the coordinator did this step (an override applied, a file rejected)
};

// When rank 0 asks for periodic checkpoints (epoch ends and the last step are the trainer's, not these).
struct CheckpointCadence {
  int64_t every_steps = 0;     // 0: never by step count
  double every_minutes = 0.0;  // 0: never by time
};

// The coordinator's per-step decision.
//
// Design:
//  1. Only rank 0 consults the LR controller, the operator's control file and the checkpoint cadence, so dynamic
//     state fed by globally reduced statistics exists once and cannot drift between ranks.
//  2. Every rank calls Begin(step, local_requests) once per step, in step order, before its forward pass, and
//     Finish() before its optimizer: together a collective. `local_requests` carries what only this rank may know (a
//     SIGTERM delivered to it alone).
//  3. The control word is four float64 slots [lr, momentum, stop, checkpoint] combined with one all-reduce(max)
//     through the communicator (NCCL in CUDA builds, MPI on CPU): rank 0 alone fills the LR and momentum slots
//     (others put 0 and -1, below any valid value; -1 from rank 0 too means "no momentum from the schedule"), so
//     every rank applies bit-identical values, and a request raised on any rank reaches all of them in the same
//     step. One collective, the same cost as a broadcast.
//  4. The word travels while the step computes: Begin() starts its all-reduce ahead of the step's gradient buckets
//     and Finish() collects it after them, so it adds no round trip of its own to a step. Hence the LR is known
//     only at the optimizer, and a checkpoint or stop is for the step boundary after the step it was decided in:
//     a request is carried out one step after it was seen (AtStart() covers those made before the first step).
class StepCoordinator {
 public:
  // `control_device`: where the control word travels from (the training device: on GPUs it goes over NCCL).
  StepCoordinator(Communicator& communicator, LrController controller, CheckpointCadence cadence,
                  std::optional<ControlFileWatcher> control_file, c10::Device control_device = c10::kCPU);

  // Fills and starts this step's control word.
  void Begin(int64_t step, uint32_t local_requests);
  // Waits for every all-reduce started since Begin() (the step's gradient buckets too) and returns the word.
  StepControl Finish();
  // Begin() and Finish() at once, for callers with nothing to overlap.
  StepControl Decide(int64_t step, uint32_t local_requests) {
    Begin(step, local_requests);
    return Finish();
  }
  // Collective, once as a run starts at `step`: what was requested before it (a control file written for the
  // resume, a signal during start-up), for the boundary the run starts from; no checkpoint falls due by cadence.
  StepControl AtStart(int64_t step, uint32_t local_requests);

  // Every rank reports global metrics (identical on all ranks); rank 0's controller acts on them. Returns true
  // on rank 0 when the LR was reduced.
  bool ObserveGlobal(PlateauMetric metric, double value);
  // Every rank reports each step's (globally reduced) gradient statistics when the controller uses them.
  void ObserveGradients(const GradientStatistics& statistics) {
    if (communicator_.rank() == 0) controller_.ObserveGradients(statistics);
  }
  // Every rank calls this after a checkpoint was committed at `step`, to restart the cadence.
  void CheckpointSaved(int64_t step);

  const LrController& controller() const { return controller_; }
  LrController& controller() { return controller_; }

 private:
  using Clock = std::chrono::steady_clock;
  // Fills and starts the word for `step`; `cadence_boundary`: where the checkpoint cadence is judged (the
  // checkpoint's step number), none for AtStart().
  void StartWord(int64_t step, uint32_t local_requests, std::optional<int64_t> cadence_boundary);
  uint32_t ControlFileRequests(int64_t step, std::string& notice);
  bool CheckpointDue(int64_t boundary) const;

  Communicator& communicator_;
  LrController controller_;  // consulted on rank 0 only
  CheckpointCadence cadence_;
  std::optional<ControlFileWatcher> control_file_;  // rank 0 only
  int64_t last_checkpoint_step_ = -1;
  Clock::time_point last_checkpoint_time_ = Clock::now();
  at::Tensor word_;  // on the host, where rank 0 fills it and every rank reads it
  at::Tensor on_wire_;  // the word on the control device while its all-reduce runs (word_ itself on the CPU)
  std::string notice_;  // rank 0's notice for the step begun
  c10::Device control_device_;
};

}  // namespace strobe

#endif  // STROBE_COORDINATOR_STEP_CONTROL_H_
