#include "app/stop_signals.h"

#include <csignal>

#include "coordinator/step_control.h"

namespace strobe {
namespace {

volatile std::sig_atomic_t stop_signal_received = 0;

extern "C" void RecordStopSignal(int) { stop_signal_received = 1; }

}  // namespace

void InstallStopSignalHandlers() {
  struct sigaction action = {};
  action.sa_handler = RecordStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // a signal must not fail the blocking I/O and MPI calls it interrupts
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGUSR1, &action, nullptr);
}

uint32_t PendingStopRequest() { return stop_signal_received != 0 ? static_cast<uint32_t>(kStepFlagStop) : 0u; }

}  // namespace strobe
