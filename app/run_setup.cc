#include "app/run_setup.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "ops/cpu_share.h"
#include "ops/option_checks.h"
#include "ops/status_agreement.h"
#include "worker/cpu_bf16.h"
#include "worker/fused_cpu_kernels.h"
#include "worker/data/idx_reader.h"
#include "worker/data/in_memory_source.h"
#include "worker/imagenet/encoded_image_source.h"
#include "worker/imagenet/image_folder_index.h"
#include "worker/imagenet/tar_shards.h"
#include "worker/file_system.h"

namespace strobe {

int ExitCodeFor(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument ? kExitBadFlags : kExitFailure;
}

int Fail(const DistributedContext& context, const absl::Status& status, int exit_code) {
  if (context.rank == 0) std::fprintf(stderr, "strobe: error: %s\n", std::string(status.message()).c_str());
  return exit_code;
}

void SetCpuThreads(const TrainConfig& config, const DistributedContext& context) {
  at::set_num_threads(config.device.threads > 0 ? config.device.threads : ThisRankCpuShare(context).Usable());
}

namespace {

// Collective: each rank's `mine` (of one length on every rank), indexed by rank.
std::vector<std::vector<int64_t>> GatherFromEveryRank(Communicator& communicator, const std::vector<int64_t>& mine) {
  const at::Tensor all = communicator.AllGather(at::tensor(at::ArrayRef<int64_t>(mine), at::kLong)).contiguous();
  const int64_t* values = all.data_ptr<int64_t>();
  std::vector<std::vector<int64_t>> ranks(communicator.world_size());
  for (size_t rank = 0; rank < ranks.size(); ++rank) {
    ranks[rank].assign(values + rank * mine.size(), values + (rank + 1) * mine.size());
  }
  return ranks;
}

void PrintWarning(const std::string& warning) {
  if (!warning.empty()) std::fprintf(stderr, "strobe: warning: %s\n", warning.c_str());
}

}  // namespace

void WarnAboutNarrowBindings(Communicator& communicator, const DistributedContext& context) {
  const CpuShare mine = ThisRankCpuShare(context);
  const std::vector<std::vector<int64_t>> all =
      GatherFromEveryRank(communicator, {mine.host_cores, mine.allowed_cores, mine.local_ranks});
  if (context.rank != 0) return;
  std::vector<CpuShare> ranks;
  for (const std::vector<int64_t>& rank : all) {
    ranks.push_back(CpuShare{static_cast<int>(rank[0]), static_cast<int>(rank[1]), static_cast<int>(rank[2])});
  }
  PrintWarning(DescribeNarrowedRanks(ranks));
}

absl::Status CheckCpuBf16(Communicator& communicator, const DistributedContext& context) {
  absl::Status probed = ProbeCpuAutocastBf16();
  if (!probed.ok()) {
    probed = absl::FailedPreconditionError(absl::StrFormat("on %s: %s", context.host, probed.message()));
  }
  if (absl::Status agreed = AgreeOnStatus(communicator, probed); !agreed.ok()) return agreed;
  const std::vector<std::vector<int64_t>> all = GatherFromEveryRank(communicator, {CpuComputesBf16() ? 1 : 0});
  if (context.rank != 0) return absl::OkStatus();
  std::vector<bool> computes_bf16;
  for (const std::vector<int64_t>& rank : all) computes_bf16.push_back(rank[0] != 0);
  PrintWarning(DescribeRanksEmulatingBf16(computes_bf16));
  return absl::OkStatus();
}

void WarnAboutUnfusedCpuKernels(Communicator& communicator, const DistributedContext& context,
                                const TrainConfig& config, const c10::Device& device) {
  if (!device.is_cpu()) return;
  const FusedCpuKernels mine = FusedCpuKernelsOfThisProcess();
  const std::vector<std::vector<int64_t>> all =
      GatherFromEveryRank(communicator, {mine.avx2_fma, mine.batch_norm_relu, mine.sgd_step});
  if (context.rank != 0) return;
  std::vector<FusedCpuKernels> ranks;
  for (const std::vector<int64_t>& rank : all) {
    ranks.push_back(FusedCpuKernels{rank[0] != 0, rank[1] != 0, rank[2] != 0});
  }
  const FusedCpuKernelUse use{
      config.device.amp == Precision::kFloat32 && !config.device.channels_last && !config.model.sync_bn,
      config.optimizer.optimizer == OptimizerKind::kSgd};
  PrintWarning(DescribeRanksWithoutFusedCpuKernels(ranks, use, TORCH_VERSION));
}

absl::StatusOr<std::unique_ptr<Communicator>> ConnectRanks(const DistributedContext& context,
                                                           const c10::Device& device, Precision amp) {
  absl::StatusOr<std::unique_ptr<Communicator>> communicator = MakeCommunicator(CommBackend::kMpi, context);
  if (!communicator.ok()) return communicator;
  WarnAboutNarrowBindings(**communicator, context);
  if (device.is_cpu() && amp == Precision::kBFloat16) {
    if (absl::Status bf16 = CheckCpuBf16(**communicator, context); !bf16.ok()) return bf16;
  }
  if (device.is_cpu()) return communicator;
  return MakeCommunicator(CommBackend::kNccl, context);
}

namespace {

// A limit beyond the split would quietly train or evaluate on fewer samples than asked for.
absl::Status CheckSampleLimit(const char* flag, int64_t limit, int64_t available, const std::string& split) {
  if (limit <= available) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("--%s=%d is more than the %d images of %s", flag, limit, available, split));
}

// IDX images have one size, at which they are evaluated: a schedule can shrink them for training, up to that size,
// and --image_size must say it, as it does for JPEG input.
absl::Status CheckIdxSizeSchedule(const DataOptions& data, const ImageDataset& train, const ImageDataset& test) {
  const ImageSizeSchedule schedule = data.TrainSizeSchedule();
  if (schedule.empty()) return absl::OkStatus();
  const int64_t side = train.images.size(2);
  if (train.images.size(3) != side || test.images.size(2) != side || test.images.size(3) != side) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--image_size_schedule=%s: %s holds IDX images of %d x %d (training) and %d x %d (test); progressive "
        "resizing needs square images of one size in both",
        schedule.ToString(), data.dir, train.images.size(2), train.images.size(3), test.images.size(2),
        test.images.size(3)));
  }
  if (data.image_size != side || schedule.largest() > side) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--image_size_schedule=%s: %s holds %d x %d IDX images, evaluated at that size; progressive resizing needs "
        "--image_size=%d and training sizes up to %d",
        schedule.ToString(), data.dir, side, side, side, side));
  }
  return absl::OkStatus();
}

absl::StatusOr<TrainData> LoadIdxData(const DataOptions& data) {
  absl::StatusOr<ImageDataset> train = LoadMnistSplit(data.dir, MnistSplit::kTrain);
  if (!train.ok()) return train.status();
  absl::StatusOr<ImageDataset> test = LoadMnistSplit(data.dir, MnistSplit::kTest);
  if (!test.ok()) return test.status();
  if (absl::Status fits = FirstError({
          CheckSampleLimit("train_samples", data.train_samples, train->size(), data.dir + "'s training split"),
          CheckSampleLimit("eval_samples", data.eval_samples, test->size(), data.dir + "'s test split")});
      !fits.ok()) {
    return fits;
  }
  if (data.train_samples > 0 && data.train_samples < train->size()) {
    train->images = train->images.slice(0, 0, data.train_samples);
    train->labels = train->labels.slice(0, 0, data.train_samples);
  }
  if (data.eval_samples > 0 && data.eval_samples < test->size()) {
    test->images = test->images.slice(0, 0, data.eval_samples);
    test->labels = test->labels.slice(0, 0, data.eval_samples);
  }
  const Normalization norm = ComputeNormalization(*train);
  if (absl::Status fits = CheckIdxSizeSchedule(data, *train, *test); !fits.ok()) return fits;
  return TrainData{std::make_shared<InMemorySource>(*std::move(train), norm, data.TrainSizeSchedule()),
                   std::make_shared<InMemorySource>(*std::move(test), norm)};
}

// Streamed reads fetch tar shards in blocks this large: few enough requests for a network file system, small enough
// that the blocks a rank keeps (its streams' shuffle windows) stay a modest share of its memory.
constexpr int64_t kStreamBlockBytes = 4 << 20;

// The split's file index is cached next to the data when that directory is writable, else in the run directory.
std::string IndexCachePath(const TrainConfig& config, const std::string& split) {
  const std::string& dir = config.data.dir;
  if (::access(dir.c_str(), W_OK) == 0) return JoinPath(dir, ".strobe-index-" + split + ".tsv");
  return JoinPath(config.run.run_dir, "image-index-" + split + ".tsv");
}

EncodedImageOptions ImageOptions(const TrainConfig& config) {
  EncodedImageOptions options;
  const DataOptions& data = config.data;
  options.transform.size = static_cast<int>(data.image_size);
  options.train_sizes = data.TrainSizeSchedule();
  options.transform.resize_to = static_cast<int>(data.val_resize);
  options.transform.crop.scale_min = data.crop_scale_min;
  options.transform.channels_last = config.device.channels_last;
  options.transform.uint8_output = data.uint8_batches;
  options.decode_threads = data.decode_threads > 0 ? data.decode_threads : at::get_num_threads();
  options.max_unreadable = data.max_bad_images;
  options.max_unreadable_fraction = data.max_bad_fraction;
  options.prefetch_limit = std::max<int64_t>(1, data.prefetch_batches);
  return options;
}

// One split: WebDataset tar shards when its directory holds .tar files, else class folders.
absl::StatusOr<std::unique_ptr<EncodedImages>> OpenSplit(const TrainConfig& config, const std::string& split,
                                                         int world_size) {
  const std::string dir = JoinPath(config.data.dir, split);
  if (HoldsTarShards(dir)) {
    absl::StatusOr<std::unique_ptr<TarShardImages>> shards = TarShardImages::Open(dir, IndexCachePath(config, split));
    if (!shards.ok()) return shards.status();
    // With --train_samples the samples are spread over the split: whole blocks would bring mostly images the run
    // skips, so those quick runs read image by image, in the same streamed order.
    if (split == "train" && config.data.streamed() && config.data.train_samples == 0) {
      const StreamedOrder order = config.data.EffectiveStreamedOrder(world_size);
      (*shards)->ReadInBlocks(kStreamBlockBytes, order.streams / world_size, order.window);
    }
    return std::unique_ptr<EncodedImages>(*std::move(shards));
  }
  absl::StatusOr<ImageFolderIndex> index = LoadImageFolderIndex(config.data.dir, split, IndexCachePath(config, split));
  if (!index.ok()) return index.status();
  return std::unique_ptr<EncodedImages>(std::make_unique<FolderImages>(dir, *std::move(index)));
}

// Both splits must name the same classes, or a label would mean one thing in training and another in evaluation.
absl::Status CheckSameClasses(const std::string& data_dir, const EncodedImages& train, const EncodedImages& val) {
  const std::vector<std::string> train_classes = train.class_names();
  const std::vector<std::string> val_classes = val.class_names();
  if (train_classes.empty() || val_classes.empty()) {  // tar shards: numeric labels, which training must know
    if (val.num_classes() <= train.num_classes()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: val/ has class %d, but train/ only classes 0 to %d", data_dir, val.num_classes() - 1,
        train.num_classes() - 1));
  }
  if (val_classes == train_classes) return absl::OkStatus();
  size_t i = 0;
  while (i < train_classes.size() && i < val_classes.size() && train_classes[i] == val_classes[i]) ++i;
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s: val/ and train/ hold different class folders (class %d: '%s' in train/, '%s' in val/); they must name "
      "the same classes", data_dir, i, i < train_classes.size() ? train_classes[i] : "none",
      i < val_classes.size() ? val_classes[i] : "none"));
}

absl::StatusOr<TrainData> LoadEncodedImageData(const TrainConfig& config, int world_size) {
  absl::StatusOr<std::unique_ptr<EncodedImages>> train = OpenSplit(config, "train", world_size);
  if (!train.ok()) return train.status();
  absl::StatusOr<std::unique_ptr<EncodedImages>> val = OpenSplit(config, "val", world_size);
  if (!val.ok()) return val.status();
  if (absl::Status same = CheckSameClasses(config.data.dir, **train, **val); !same.ok()) return same;
  if (absl::Status fits = FirstError({
          CheckSampleLimit("train_samples", config.data.train_samples, (*train)->size(), (*train)->location()),
          CheckSampleLimit("eval_samples", config.data.eval_samples, (*val)->size(), (*val)->location())});
      !fits.ok()) {
    return fits;
  }
  EncodedImageOptions options = ImageOptions(config);
  options.limit_samples = config.data.train_samples;
  auto train_source = std::make_shared<EncodedImageSource>(*std::move(train), options);
  options.limit_samples = config.data.eval_samples;
  return TrainData{train_source, std::make_shared<EncodedImageSource>(*std::move(val), options)};
}

}  // namespace

bool IsImageFolderDataset(const std::string& dir) { return IsDirectory(JoinPath(dir, "train")); }

absl::StatusOr<TrainData> LoadTrainData(const TrainConfig& config, int world_size) {
  absl::StatusOr<TrainData> data =
      IsImageFolderDataset(config.data.dir) ? LoadEncodedImageData(config, world_size) : LoadIdxData(config.data);
  if (data.ok() && config.data.streamed() && data->train->shard_sizes().empty()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--data_order=streamed reads WebDataset tar shards, and %s has none in train/ (use --data_order=shuffled)",
        config.data.dir));
  }
  return data;
}

}  // namespace strobe
