#include "app/run_setup.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "worker/data/idx_reader.h"

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
