// strobe: data-parallel image-classification training over MPI.
//   strobe train [flags]            (world size 1)
//   mpirun -np N strobe train ...   or   srun --mpi=pmix -n N strobe train ...
//   strobe eval --model=CKPT|PATH.pt | strobe inspect CKPT | strobe export CKPT OUT
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <torch/version.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "app/checkpoint_commands.h"
#include "app/command_line_check.h"
#include "app/eval_command.h"
#include "app/image_folder_command.h"
#include "app/lr_commands.h"
#include "app/plan_command.h"
#include "app/plot_command.h"
#include "app/run_setup.h"
#include "app/same_job.h"
#include "app/train_command.h"
#include "ops/heap_policy.h"
#include "ops/distributed_context.h"
#include "ops/startup_roll_call.h"
#include "ops/startup_watchdog.h"

ABSL_FLAG(double, startup_timeout_s, 300,
          "Stop with an error if not every rank of the job has started within this many seconds.");

namespace {

constexpr int kExitUsage = 2;

constexpr char kUsage[] =
    "strobe COMMAND [--flag=value ...] [--flagfile=FILE]\n"
    "\n"
    "Commands:\n"
    "  train              data-parallel training; run under mpirun/srun for several ranks\n"
    "  inspect CKPT       print what a checkpoint holds and verify its checksums\n"
    "  eval               exact distributed evaluation of a checkpoint or TorchScript file (--model): top-1, top-5,\n"
    "                     per-class accuracy (--output=FILE.json)\n"
    "  export CKPT OUT    write the checkpoint's model to OUT: TorchScript for torch.jit.load, or a state_dict\n"
    "                     for torch.load (--format=auto|torchscript|state_dict)\n"
    "  lr-find            LR range test across all ranks: loss against an exponentially growing LR, a suggestion\n"
    "  lr-plot            draw the configured LR schedule (--output=FILE.png) before launching\n"
    "  plot RUN_DIR...    charts of runs' loss, accuracy, LR, throughput by step and wall time (--output=DIR)\n"
    "  plan               project step time and scaling efficiency to 1024 GPUs (--output=FILE.png)\n"
    "  make-image-folder OUT  write the IDX dataset as an ImageNet-layout folder of JPEGs (a demo ImageNet)\n"
    "\n"
    "Examples:\n"
    "  strobe train --run_dir=runs/fmnist\n"
    "  mpirun -np 2 strobe train --model=resnet20 --epochs=1 --run_dir=runs/fmnist2\n"
    "  mpirun -np 2 strobe train --run_dir=runs/fmnist2 --resume=auto   (continue after a stop or crash)\n"
    "  strobe inspect runs/fmnist2/checkpoints/step-000000468\n"
    "  mpirun -np 2 strobe train --model=resnet18.pt --run_dir=runs/tv   (a TorchScript model: script_model.py)\n"
    "  mpirun -np 2 strobe eval --model=runs/fmnist2/checkpoints/step-000000468 --output=eval.json\n"
    "  mpirun -np 2 strobe lr-find --run_dir=runs/lrfind\n"
    "  strobe lr-plot --lr_schedule=onecycle --epochs=5 --output=onecycle.png\n"
    "  strobe plot runs/cutmix runs/mixup --output=compare   (one line per run on each chart)\n"
    "\n"
    "Run 'strobe --helpfull' for every flag.";

// Before MPI starts, the launcher's environment is the only way to know the rank: one error line per job, not one
// per rank. A process started without a launcher is rank 0.
bool LaunchedAsRankZero() {
  for (const char* variable : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* rank = std::getenv(variable); rank != nullptr) return std::string(rank) == "0";
  }
  return true;
}

int Usage(const std::string& problem) {
  std::fprintf(stderr, "strobe: %s\n\nusage: %s\n", problem.c_str(), kUsage);
  return kExitUsage;
}

// Joins this process to the job, or ends it with the names of the ranks that never came.
strobe::DistributedContext StartDistributed(int* argc, char*** argv) {
  std::unique_ptr<strobe::StartupRollCall> roll_call = strobe::StartupRollCall::Announce();
  strobe::StartupWatchdog watchdog(absl::GetFlag(FLAGS_startup_timeout_s), roll_call.get());
  strobe::DistributedContext context = strobe::InitDistributed(argc, argv);  // ends in a collective of all ranks
  watchdog.Disarm();
  return context;
}

// Commands that run on every rank of an MPI job; `command_line` is the command and its operands.
int RunDistributed(int argc, char** argv, const std::vector<std::string>& command_line,
                   int (*command)(const strobe::DistributedContext&)) {
  strobe::RetainFreedHeapMemory();
  const strobe::DistributedContext context = StartDistributed(&argc, &argv);
  int exit_code = 0;
  try {
    // Before any command's logic, so that its checks reach the same verdict on every rank.
    const absl::Status one_job = strobe::CheckRanksRunOneJob(context, command_line);
    exit_code = one_job.ok() ? command(context) : strobe::Fail(context, one_job, strobe::ExitCodeFor(one_job));
  } catch (const std::exception& error) {
    // An exception on one rank leaves the others waiting in a collective: report, then end the whole job.
    std::fprintf(stderr, "strobe: rank %d on %s: fatal: %s\n", context.rank, context.host.c_str(), error.what());
    strobe::AbortDistributed(1);
  }
  strobe::FinalizeDistributed();
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  absl::FlagsUsageConfig usage_config;
  // Abseil's own --version line describes how Abseil was compiled ("Debug build"), not this program.
  usage_config.version_string = [] {
    return std::string("strobe " STROBE_VERSION " (LibTorch " TORCH_VERSION ")\n");
  };
  absl::SetFlagsUsageConfig(usage_config);
  if (absl::Status checked = strobe::CheckCommandLine(argc, argv); !checked.ok()) {
    if (LaunchedAsRankZero()) std::fprintf(stderr, "strobe: error: %s\n", std::string(checked.message()).c_str());
    return kExitUsage;
  }
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  const std::string command = positional.size() > 1 ? positional[1] : "";
  const size_t operands = positional.size() > 2 ? positional.size() - 2 : 0;
  const std::vector<std::string> command_line(positional.begin() + 1, positional.end());
  if (command == "train" && operands == 0) return RunDistributed(argc, argv, command_line, strobe::RunTrainCommand);
  if (command == "eval" && operands == 0) return RunDistributed(argc, argv, command_line, strobe::RunEvalCommand);
  if (command == "lr-find" && operands == 0) return RunDistributed(argc, argv, command_line, strobe::RunLrFindCommand);
  if (command == "lr-plot" && operands == 0) return strobe::RunLrPlotCommand();
  if (command == "plan" && operands == 0) return strobe::RunPlanCommand();
  if (command == "inspect" && operands == 1) return strobe::RunInspectCommand(positional[2]);
  if (command == "export" && operands == 2) return strobe::RunExportCommand(positional[2], positional[3]);
  if (command == "make-image-folder" && operands == 1) return strobe::RunImageFolderCommand(positional[2]);
  if (command == "plot" && operands >= 1) {
    return strobe::RunPlotCommand(std::vector<std::string>(positional.begin() + 2, positional.end()));
  }
  if (command == "train" || command == "eval" || command == "inspect" || command == "export" || command == "lr-find" ||
      command == "lr-plot" || command == "plan" || command == "make-image-folder" || command == "plot") {
    return Usage("wrong number of operands for '" + command + "'");
  }
  return Usage(command.empty() ? "expected a command" : "unknown command '" + command + "'");
}
