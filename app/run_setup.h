#ifndef STROBE_APP_RUN_SETUP_H_
#define STROBE_APP_RUN_SETUP_H_

#include <c10/core/Device.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ops/communicator.h"
#include "ops/distributed_context.h"
#include "worker/train_config.h"
#include "worker/trainer.h"

namespace strobe {

// Exit codes shared by the commands (a stopped run's 75 is in app/stop_signals.h).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadFlags = 2;

// kExitBadFlags for InvalidArgument (what the user asked for cannot work), else kExitFailure.
int ExitCodeFor(const absl::Status& status);

// Prints "strobe: error: ..." once, on rank 0 (callers agree on the status first), and returns exit_code.
int Fail(const DistributedContext& context, const absl::Status& status, int exit_code);

// Intra-op threads per rank: --threads, or this host's cores shared by the ranks on it, within the cores the
// launcher bound the rank to (ops/cpu_share.h).
void SetCpuThreads(const TrainConfig& config, const DistributedContext& context);

// Collective: the data-plane communicator for tensors on `device` (MPI for the CPU; NCCL for CUDA tensors with MPI
// for the host's), after warning once when the launcher bound ranks to fewer cores than their share of their host
// (WarnAboutNarrowBindings); for `amp` bf16 on the CPU, also checking that every rank can compute in bf16
// (CheckCpuBf16). Every rank runs the same binary with the same flags by then (app/same_job.h, from main()).
absl::StatusOr<std::unique_ptr<Communicator>> ConnectRanks(const DistributedContext& context,
                                                           const c10::Device& device, Precision amp);

// Collective: rank 0 prints one "strobe: warning: ..." when any rank's CPU binding is narrower than its share of its
// host (ops/cpu_share.h), which starves data decoding and GPU launches without failing anything.
void WarnAboutNarrowBindings(Communicator& communicator, const DistributedContext& context);

// Collective, for --amp=bf16 on the CPU (worker/cpu_bf16.h): fails, naming the lowest such rank and its host, when a
// rank's LibTorch cannot compute bf16 convolutions there, which would otherwise stop the run at its first step with
// oneDNN's own message; and rank 0 prints one "strobe: warning: ..." when a rank's CPU lacks bf16 instructions, where
// bf16 is emulated and costs time instead of saving it.
absl::Status CheckCpuBf16(Communicator& communicator, const DistributedContext& context);

// Collective, on the CPU: rank 0 prints one "strobe: warning: ..." when a rank cannot run a fused CPU kernel the run
// would use (worker/fused_cpu_kernels.h): its steps take the slower separate operations, with the same results.
void WarnAboutUnfusedCpuKernels(Communicator& communicator, const DistributedContext& context,
                                const TrainConfig& config, const c10::Device& device);

// Whether --data is an ImageNet layout (a train/ folder of class folders or tar shards) rather than IDX files.
bool IsImageFolderDataset(const std::string& dir);

// The training and test splits of --data: IDX files held in memory (cut to their first --train_samples /
// --eval_samples, normalised by the training split's statistics), or an ImageNet layout (train/ and val/ class
// folders) decoded on the fly by --decode_threads per rank (--train_samples / --eval_samples images spread over
// the split). Call after SetCpuThreads.
absl::StatusOr<TrainData> LoadTrainData(const TrainConfig& config, int world_size);

}  // namespace strobe

#endif  // STROBE_APP_RUN_SETUP_H_
