#ifndef STROBE_WORKER_IMAGENET_BLOCK_READER_H_
#define STROBE_WORKER_IMAGENET_BLOCK_READER_H_

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace strobe {

// Bytes [offset, offset + size) of an open file, read with pread from any thread; a file that ends first is an
// error naming `path`.
absl::StatusOr<std::string> ReadFileRange(int fd, int64_t offset, int64_t size, const std::string& path);

// Reads byte ranges of files as whole, aligned blocks and keeps the most recently used blocks, so that members
// visited in a streamed order (a window of a shard at a time, in any order within the window) reach the file
// system as large reads front to back, each block read once. Many threads may read at once; a block being read
// by one is waited for by the others, not read twice.
class BlockReader {
 public:
  BlockReader(int64_t block_bytes, int64_t capacity_blocks);

  // Bytes [offset, offset + size) of file number `file` (open as `fd`, `file_bytes` long).
  absl::StatusOr<std::string> Read(int32_t file, int fd, int64_t file_bytes, int64_t offset, int64_t size,
                                   const std::string& path);

  int64_t block_bytes() const { return block_bytes_; }
  int64_t blocks_read() const;  // from the file system, since construction

 private:
  using Block = std::shared_future<absl::StatusOr<std::shared_ptr<const std::string>>>;
  Block Fetch(int32_t file, int fd, int64_t file_bytes, int64_t block, const std::string& path);

  const int64_t block_bytes_;
  const int64_t capacity_blocks_;
  mutable std::mutex mutex_;
  struct Cached {
    Block data;
    uint64_t last_use = 0;
    uint64_t read = 0;  // which read made it: a failed read removes its own entry only
  };
  std::map<std::pair<int32_t, int64_t>, Cached> blocks_;  // by (file, block)
  uint64_t uses_ = 0;
  int64_t blocks_read_ = 0;
};

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_BLOCK_READER_H_
