// strobe: data-parallel image-classification training over MPI.
//   strobe train [flags]            (world size 1)
//   mpirun -np N strobe train ...   or   srun --mpi=pmix -n N strobe train ...
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "app/train_command.h"
#include "ops/distributed_context.h"

namespace {

constexpr char kUsage[] =
    "strobe COMMAND [--flag=value ...] [--flagfile=FILE]\n"
    "\n"
    "Commands:\n"
    "  train   data-parallel training; run under mpirun/srun for several ranks\n"
    "\n"
    "Examples:\n"
    "  strobe train --run_dir=runs/fmnist\n"
    "  mpirun -np 2 strobe train --model=resnet20 --epochs=1 --run_dir=runs/fmnist2\n"
    "\n"
    "Run 'strobe --helpfull' for every flag.";

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() != 2 || std::strcmp(positional[1], "train") != 0) {
    std::fprintf(stderr, "strobe: expected exactly one command, 'train'\n\nusage: %s\n", kUsage);
    return 2;
  }

  strobe::DistributedContext context = strobe::InitDistributed(&argc, &argv);
  int exit_code = 0;
  try {
    exit_code = strobe::RunTrainCommand(context);
  } catch (const std::exception& error) {
    // An exception on one rank leaves the others waiting in a collective: report, then end the whole job.
    std::fprintf(stderr, "strobe: rank %d on %s: fatal: %s\n", context.rank, context.host.c_str(), error.what());
    strobe::AbortDistributed(1);
  }
  strobe::FinalizeDistributed();
  return exit_code;
}
