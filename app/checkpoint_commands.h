#ifndef STROBE_APP_CHECKPOINT_COMMANDS_H_
#define STROBE_APP_CHECKPOINT_COMMANDS_H_

#include <string>

namespace strobe {

// `strobe inspect CKPT`: prints what a checkpoint holds and checks every file against its manifest checksum.
// Returns 0 when the checkpoint is valid, 1 when any part is missing, truncated or corrupted.
int RunInspectCommand(const std::string& checkpoint_path);

// `strobe export CKPT OUT`: writes the model's state_dict (rank-averaged BatchNorm statistics) to OUT, a file that
// Python's torch.load reads, with torchvision's names for resnet18/resnet50 (worker/models/torchvision_names.h)
// and Strobe's for resnet20. Only from a checkpoint that verifies; never overwrites OUT.
int RunExportCommand(const std::string& checkpoint_path, const std::string& output_path);

}  // namespace strobe

#endif  // STROBE_APP_CHECKPOINT_COMMANDS_H_
