#ifndef STROBE_APP_STOP_SIGNALS_H_
#define STROBE_APP_STOP_SIGNALS_H_

#include <cstdint>

namespace strobe {

// Exit code of a run that stopped on request (SIGTERM, SIGUSR1, or `stop` in the control file) after saving a
// checkpoint: EX_TEMPFAIL, "try again later". deploy/slurm requeues a job that exits with it.
inline constexpr int kExitStoppedForResume = 75;

// Installs handlers for SIGTERM and SIGUSR1 (what Slurm and Kubernetes send before preemption or a time limit)
// that only record the request; the training loop turns it into "save at the next step boundary, then exit".
void InstallStopSignalHandlers();

// kStepFlagStop once a stop signal arrived on this process, else 0.
uint32_t PendingStopRequest();

}  // namespace strobe

#endif  // STROBE_APP_STOP_SIGNALS_H_
