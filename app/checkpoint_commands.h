#ifndef STROBE_APP_CHECKPOINT_COMMANDS_H_
#define STROBE_APP_CHECKPOINT_COMMANDS_H_

#include <string>

namespace strobe {

// `strobe inspect CKPT`: prints what a checkpoint holds and checks every file against its manifest checksum.
// Returns 0 when the checkpoint is valid, 1 when any part is missing, truncated or corrupted.
int RunInspectCommand(const std::string& checkpoint_path);

// `strobe export CKPT OUT [--format=auto|torchscript|state_dict]`: writes the model (rank-averaged BatchNorm
// statistics) to OUT. state_dict: a file that Python's torch.load reads, with torchvision's names for
// resnet18/resnet50 (worker/models/torchvision_names.h), Strobe's for resnet20, the module's own for TorchScript
// models. torchscript (TorchScript models' default): the trained module itself, in eval mode, for torch.jit.load;
// it is built from the file the run trained (or --model=PATH.pt). Only from a checkpoint that verifies; never
// overwrites OUT.
int RunExportCommand(const std::string& checkpoint_path, const std::string& output_path);

}  // namespace strobe

#endif  // STROBE_APP_CHECKPOINT_COMMANDS_H_
