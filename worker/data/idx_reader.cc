#include "worker/data/idx_reader.h"

#include <ATen/ATen.h>
#include <zlib.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "worker/file_system.h"

namespace strobe {
namespace {

constexpr int kMnistClasses = 10;
constexpr uint8_t kUnsignedByteType = 0x08;

uint32_t BigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

absl::StatusOr<std::string> ReadMaybeGzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return absl::NotFoundError(absl::StrFormat("%s: cannot open: %s", path, std::strerror(errno)));
  std::string bytes;
  char chunk[1 << 16];
  while (true) {
    const int n = gzread(file, chunk, sizeof(chunk));
    if (n < 0) {
      int code = 0;
      const std::string reason = gzerror(file, &code);
      gzclose(file);
      return absl::DataLossError(absl::StrFormat("%s: corrupt or unreadable gzip data: %s", path, reason));
    }
    if (n == 0) break;
    bytes.append(chunk, n);
  }
  // gzread reports a stream cut short as end of file; gzclose_r's result tells the two apart.
  const int close_result = gzclose_r(file);
  if (close_result == Z_BUF_ERROR) {
    return absl::DataLossError(absl::StrFormat("%s: truncated gzip data", path));
  }
  if (close_result != Z_OK) return absl::DataLossError(absl::StrFormat("%s: corrupt gzip data", path));
  return bytes;
}

std::string FindFile(const std::string& directory, const std::string& name) {
  const std::string gz = JoinPath(directory, name + ".gz");
  return PathExists(gz) ? gz : JoinPath(directory, name);
}

}  // namespace

absl::StatusOr<IdxArray> ParseIdx(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 4) return absl::DataLossError(absl::StrFormat("%s: too short for an IDX header", name));
  const uint32_t magic = BigEndian32(bytes.data());
  const uint32_t type = (magic >> 8) & 0xFF;
  const uint32_t ndim = magic & 0xFF;
  if ((magic >> 16) != 0 || ndim == 0 || ndim > 4) {
    return absl::DataLossError(absl::StrFormat("%s: bad IDX magic number 0x%08x", name, magic));
  }
  if (type != kUnsignedByteType) {
    return absl::DataLossError(
        absl::StrFormat("%s: IDX data type 0x%02x is not unsigned byte (0x08)", name, type));
  }
  const size_t header = 4 + 4 * ndim;
  if (bytes.size() < header) return absl::DataLossError(absl::StrFormat("%s: truncated IDX header", name));
  IdxArray array;
  uint64_t expected = 1;
  for (uint32_t d = 0; d < ndim; ++d) {
    const uint32_t size = BigEndian32(bytes.data() + 4 + 4 * d);
    if (size == 0) return absl::DataLossError(absl::StrFormat("%s: dimension %d has size 0", name, d));
    array.dims.push_back(size);
    expected *= size;
  }
  const uint64_t found = bytes.size() - header;
  if (found != expected) {
    return absl::DataLossError(absl::StrFormat("%s: header promises %d data bytes but the file holds %d (%s)", name,
                                               expected, found, found < expected ? "truncated" : "trailing bytes"));
  }
  array.data.assign(bytes.begin() + header, bytes.end());
  return array;
}

absl::StatusOr<IdxArray> ReadIdxFile(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadMaybeGzip(path);
  if (!bytes.ok()) return bytes.status();
  return ParseIdx(*bytes, path);
}

absl::StatusOr<ImageDataset> LoadMnistSplit(const std::string& directory, MnistSplit split) {
  if (!IsDirectory(directory)) {
    return absl::NotFoundError(absl::StrFormat("--data=%s is not a directory", directory));
  }
  const std::string prefix = split == MnistSplit::kTrain ? "train" : "t10k";
  const std::string image_path = FindFile(directory, prefix + "-images-idx3-ubyte");
  const std::string label_path = FindFile(directory, prefix + "-labels-idx1-ubyte");
  absl::StatusOr<IdxArray> images = ReadIdxFile(image_path);
  if (!images.ok()) return images.status();
  absl::StatusOr<IdxArray> labels = ReadIdxFile(label_path);
  if (!labels.ok()) return labels.status();
  if (images->dims.size() != 3) {
    return absl::DataLossError(absl::StrFormat("%s: expected N x H x W images, found %d dimensions", image_path,
                                               images->dims.size()));
  }
  if (labels->dims.size() != 1) {
    return absl::DataLossError(absl::StrFormat("%s: expected a vector of labels", label_path));
  }
  if (images->dims[0] != labels->dims[0]) {
    return absl::DataLossError(absl::StrFormat("%s holds %d images but %s holds %d labels", image_path,
                                               images->dims[0], label_path, labels->dims[0]));
  }
  for (size_t i = 0; i < labels->data.size(); ++i) {
    if (labels->data[i] >= kMnistClasses) {
      return absl::DataLossError(absl::StrFormat("%s: label %d of sample %d is outside 0..%d", label_path,
                                                 labels->data[i], i, kMnistClasses - 1));
    }
  }
  const int64_t n = images->dims[0];
  ImageDataset dataset;
  dataset.images = at::from_blob(images->data.data(), {n, 1, images->dims[1], images->dims[2]}, at::kByte).clone();
  dataset.labels = at::from_blob(labels->data.data(), {n}, at::kByte).to(at::kLong);
  dataset.num_classes = kMnistClasses;
  return dataset;
}

}  // namespace strobe
