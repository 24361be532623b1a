#include "app/run_setup.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/strings/str_format.h"
#include "ops/status_agreement.h"
#include "worker/checkpoint/manifest.h"
#include "worker/data/idx_reader.h"
#include "worker/file_system.h"

namespace strobe {

int Fail(const DistributedContext& context, const absl::Status& status, int exit_code) {
  if (context.rank == 0) std::fprintf(stderr, "strobe: error: %s\n", std::string(status.message()).c_str());
  return exit_code;
}

void SetCpuThreads(const TrainConfig& config, const DistributedContext& context) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = config.threads > 0 ? config.threads : std::max(1, cores / context.local_size);
  at::set_num_threads(threads);
}

absl::Status CheckSameBinary(Communicator& communicator, const DistributedContext& context) {
  absl::StatusOr<std::string> binary = ReadFile("/proc/self/exe");
  const int64_t crc = binary.ok() ? static_cast<int64_t>(Crc32(*binary)) : -1;
  const at::Tensor all = communicator.AllGather(at::full({1}, crc, at::kLong));
  absl::Status status = absl::OkStatus();
  const int64_t reference = all[0].item<int64_t>();
  if (all[context.rank].item<int64_t>() != reference) {
    status = absl::FailedPreconditionError(absl::StrFormat(
        "its strobe binary on %s differs from rank 0's (CRC-32 %08x vs %08x): install the same build at the same "
        "path on every host",
        context.host, all[context.rank].item<int64_t>(), reference));
  }
  return AgreeOnStatus(communicator, status);
}

absl::StatusOr<std::unique_ptr<Communicator>> ConnectRanks(const DistributedContext& context) {
  absl::StatusOr<std::unique_ptr<Communicator>> communicator = MakeCommunicator(CommBackend::kMpi, context);
  if (!communicator.ok()) return communicator;
  if (absl::Status same = CheckSameBinary(**communicator, context); !same.ok()) return same;
  return communicator;
}

absl::StatusOr<TrainData> LoadTrainData(const TrainConfig& config) {
  TrainData data;
  absl::StatusOr<ImageDataset> train = LoadMnistSplit(config.data_dir, MnistSplit::kTrain);
  if (!train.ok()) return train.status();
  absl::StatusOr<ImageDataset> test = LoadMnistSplit(config.data_dir, MnistSplit::kTest);
  if (!test.ok()) return test.status();
  data.train = *std::move(train);
  data.test = *std::move(test);
  if (config.train_samples > 0 && config.train_samples < data.train.size()) {
    data.train.images = data.train.images.slice(0, 0, config.train_samples);
    data.train.labels = data.train.labels.slice(0, 0, config.train_samples);
  }
  if (config.eval_samples > 0 && config.eval_samples < data.test.size()) {
    data.test.images = data.test.images.slice(0, 0, config.eval_samples);
    data.test.labels = data.test.labels.slice(0, 0, config.eval_samples);
  }
  data.norm = ComputeNormalization(data.train);
  return data;
}

}  // namespace strobe
