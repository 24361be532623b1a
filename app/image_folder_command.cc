#include "app/image_folder_command.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "app/train_flags.h"
#include "worker/data/idx_reader.h"
#include "worker/file_system.h"
#include "worker/imagenet/jpeg_encoder.h"
#include "worker/imagenet/resample.h"
#include "worker/imagenet/tar_shards.h"

ABSL_FLAG(int, folder_image_size, 64, "make-image-folder: side of the written (upscaled) images, pixels.");
ABSL_FLAG(std::string, folder_format, "folders",
          "make-image-folder: folders (SPLIT/class_NN/NNNNN.JPEG) or tar (WebDataset shards SPLIT/shard-NNNNNN.tar "
          "of <key>.jpg + <key>.cls).");
ABSL_FLAG(int, folder_shard_size, 1000, "make-image-folder --folder_format=tar: samples per shard.");

namespace strobe {
namespace {

// One greyscale IDX image as an RGB image of side `size` (bilinear upscaling), encoded as JPEG.
std::vector<uint8_t> UpscaledJpeg(const at::Tensor& grey, int size) {
  const int height = static_cast<int>(grey.size(-2));
  const int width = static_cast<int>(grey.size(-1));
  RgbImage rgb;
  rgb.width = width;
  rgb.height = height;
  rgb.pixels.resize(static_cast<size_t>(width) * height * 3);
  const uint8_t* pixels = grey.data_ptr<uint8_t>();
  for (int i = 0; i < width * height; ++i) rgb.pixels[3 * i] = rgb.pixels[3 * i + 1] = rgb.pixels[3 * i + 2] = pixels[i];
  std::vector<float> scaled(static_cast<size_t>(size) * size * 3);
  ResampleRegion(rgb, Region{0, 0, double(width), double(height)}, size, size, scaled.data());
  std::vector<uint8_t> bytes(scaled.size());
  for (size_t i = 0; i < scaled.size(); ++i) {
    bytes[i] = static_cast<uint8_t>(std::lround(std::min(255.0f, std::max(0.0f, scaled[i]))));
  }
  return EncodeJpeg(bytes.data(), size, size, 3, JpegEncodeOptions{});
}

// WebDataset shards: SPLIT/shard-NNNNNN.tar, each holding --folder_shard_size samples <key>.jpg + <key>.cls.
absl::Status WriteShards(const ImageDataset& dataset, int64_t count, int size, const std::string& dir) {
  if (absl::Status made = MakeDirectories(dir); !made.ok()) return made;
  const int64_t per_shard = std::max(1, absl::GetFlag(FLAGS_folder_shard_size));
  const at::Tensor images = dataset.images.contiguous();
  std::unique_ptr<TarWriter> shard;
  for (int64_t i = 0; i < count; ++i) {
    if (i % per_shard == 0) {
      if (shard != nullptr) {
        if (absl::Status closed = shard->Close(); !closed.ok()) return closed;
      }
      absl::StatusOr<std::unique_ptr<TarWriter>> created =
          TarWriter::Create(JoinPath(dir, absl::StrFormat("shard-%06d.tar", i / per_shard)));
      if (!created.ok()) return created.status();
      shard = *std::move(created);
    }
    const std::vector<uint8_t> jpeg = UpscaledJpeg(images[i][0], size);
    const std::string key = absl::StrFormat("sample-%06d", i);
    for (absl::Status added : {shard->Add(key + ".jpg", std::string(jpeg.begin(), jpeg.end())),
                               shard->Add(key + ".cls", absl::StrCat(dataset.labels[i].item<int64_t>()))}) {
      if (!added.ok()) return added;
    }
  }
  return shard != nullptr ? shard->Close() : absl::OkStatus();
}

absl::Status WriteSplit(const ImageDataset& dataset, int64_t limit, int size, const std::string& dir) {
  const int64_t count = limit > 0 ? std::min(limit, dataset.size()) : dataset.size();
  if (absl::GetFlag(FLAGS_folder_format) == "tar") return WriteShards(dataset, count, size, dir);
  const at::Tensor images = dataset.images.contiguous();
  for (int64_t label = 0; label < dataset.num_classes; ++label) {
    if (absl::Status made = MakeDirectories(JoinPath(dir, absl::StrFormat("class_%02d", label))); !made.ok()) {
      return made;
    }
  }
  for (int64_t i = 0; i < count; ++i) {
    const std::vector<uint8_t> jpeg = UpscaledJpeg(images[i][0], size);
    const std::string path = JoinPath(
        dir, absl::StrFormat("class_%02d/%05d.JPEG", dataset.labels[i].item<int64_t>(), i));
    if (absl::Status written = WriteFile(path, std::string(jpeg.begin(), jpeg.end())); !written.ok()) {
      return written;
    }
  }
  return absl::OkStatus();
}

absl::Status MakeImageFolder(const std::string& out_dir) {
  const int size = absl::GetFlag(FLAGS_folder_image_size);
  if (size < 8 || size > 1024) {
    return absl::InvalidArgumentError(absl::StrFormat("--folder_image_size=%d must lie in [8, 1024]", size));
  }
  const std::string format = absl::GetFlag(FLAGS_folder_format);
  if (format != "folders" && format != "tar") {
    return absl::InvalidArgumentError(absl::StrFormat("--folder_format=%s is not one of folders, tar", format));
  }
  if (absl::Status free = CheckNothingAt(out_dir); !free.ok()) return free;
  // The data flags mean what they mean to `strobe train`.
  absl::StatusOr<TrainConfig> config = TrainConfigFromFlags();
  if (!config.ok()) return config.status();
  const std::string& data = config->data.dir;
  absl::StatusOr<ImageDataset> train = LoadMnistSplit(data, MnistSplit::kTrain);
  if (!train.ok()) return train.status();
  absl::StatusOr<ImageDataset> test = LoadMnistSplit(data, MnistSplit::kTest);
  if (!test.ok()) return test.status();
  if (train->images.size(1) != 1) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: expected greyscale images", data));
  }
  if (absl::Status written = WriteSplit(*train, config->data.train_samples, size, JoinPath(out_dir, "train"));
      !written.ok()) {
    return written;
  }
  return WriteSplit(*test, config->data.eval_samples, size, JoinPath(out_dir, "val"));
}

}  // namespace

int RunImageFolderCommand(const std::string& out_dir) {
  if (absl::Status made = MakeImageFolder(out_dir); !made.ok()) {
    std::fprintf(stderr, "strobe: error: %s\n", std::string(made.message()).c_str());
    return 1;
  }
  std::printf("wrote %s/train and %s/val (%s, RGB JPEG, %d x %d)\n", out_dir.c_str(), out_dir.c_str(),
              absl::GetFlag(FLAGS_folder_format) == "tar" ? "WebDataset tar shards" : "ImageNet folder layout",
              absl::GetFlag(FLAGS_folder_image_size), absl::GetFlag(FLAGS_folder_image_size));
  return 0;
}

}  // namespace strobe
