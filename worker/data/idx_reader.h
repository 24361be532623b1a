#ifndef STROBE_WORKER_DATA_IDX_READER_H_
#define STROBE_WORKER_DATA_IDX_READER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/data/image_dataset.h"

namespace strobe {

// An unsigned-byte IDX array (the MNIST file format: big-endian magic 0x0000 08 NDIM, NDIM big-endian sizes, data).
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Parses IDX bytes; `name` only labels error messages. Rejects a wrong magic, a data type other than unsigned
// byte, zero dimensions, and data shorter or longer than the header promises.
absl::StatusOr<IdxArray> ParseIdx(std::string_view bytes, const std::string& name);

// Reads and parses an IDX file, gzip-compressed or plain (zlib detects which).
absl::StatusOr<IdxArray> ReadIdxFile(const std::string& path);

enum class MnistSplit { kTrain, kTest };

// Loads one split of MNIST or Fashion-MNIST from `directory` (the files train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, or the same names without
// .gz). Checks that images are N x H x W, labels are N and every label is a digit class 0..9.
absl::StatusOr<ImageDataset> LoadMnistSplit(const std::string& directory, MnistSplit split);

}  // namespace strobe

#endif  // STROBE_WORKER_DATA_IDX_READER_H_
