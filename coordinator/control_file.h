#ifndef STROBE_COORDINATOR_CONTROL_FILE_H_
#define STROBE_COORDINATOR_CONTROL_FILE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "coordinator/controller_state.h"

namespace strobe {

// An operator's command to a running job, written to RUN_DIR/control. One entry per line, '#' starts a comment:
//   lr = 0.05          absolute LR from the next step on (replaces the schedule until changed)
//   lr_scale = 0.5     multiply the schedule's LR from the next step on
//   lr = schedule      drop an earlier override: back to the schedule
//   checkpoint         save a checkpoint at the next step boundary
//   stop               save a checkpoint at the next step boundary and exit (exit code 75)
// Write it atomically (write control.tmp, then mv control.tmp control) so the job never reads half a file.
struct LrOverride {
  enum class Kind { kNone, kAbsolute, kScale };
  Kind kind = Kind::kNone;
  double value = 0.0;

  void SaveTo(ControllerState& out) const;
  // False when an entry is missing, unreadable or not a known kind.
  bool LoadFrom(const ControllerState& in);

  double Apply(double scheduled_lr) const {
    switch (kind) {
      case Kind::kNone:
        return scheduled_lr;
      case Kind::kAbsolute:
        return value;
      case Kind::kScale:
        return scheduled_lr * value;
    }
    return scheduled_lr;
  }
};

struct ControlCommand {
  std::optional<LrOverride> lr;  // set when the file changes the LR (kNone: back to the schedule)
  bool checkpoint = false;
  bool stop = false;
};

// The whole file is rejected, naming the line, if any line is malformed: a half-understood command is not applied.
absl::StatusOr<ControlCommand> ParseControlCommand(const std::string& text);

// Rank 0's view of RUN_DIR/control. Each file is consumed once: after reading, it is renamed to control.applied or
// (malformed) control.rejected, so the operator sees what happened and a command is never applied twice.
class ControlFileWatcher {
 public:
  explicit ControlFileWatcher(std::string run_dir);

  // Nothing when there is no new file; otherwise the parsed command or why it was rejected.
  std::optional<absl::StatusOr<ControlCommand>> Poll();

  const std::string& path() const { return path_; }

 private:
  std::string run_dir_;
  std::string path_;
};

}  // namespace strobe

#endif  // STROBE_COORDINATOR_CONTROL_FILE_H_
