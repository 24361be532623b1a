#include "worker/imagenet/block_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/str_format.h"

namespace strobe {

absl::StatusOr<std::string> ReadFileRange(int fd, int64_t offset, int64_t size, const std::string& path) {
  std::string data(static_cast<size_t>(size), '\0');
  int64_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd, data.data() + done, static_cast<size_t>(size - done), offset + done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return absl::DataLossError(absl::StrFormat("%s: cannot read %d bytes at offset %d: %s", path, size, offset,
                                                 got == 0 ? "the file ends first" : std::strerror(errno)));
    }
    done += got;
  }
  return data;
}

BlockReader::BlockReader(int64_t block_bytes, int64_t capacity_blocks)
    : block_bytes_(block_bytes), capacity_blocks_(std::max<int64_t>(1, capacity_blocks)) {}

int64_t BlockReader::blocks_read() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return blocks_read_;
}

BlockReader::Block BlockReader::Fetch(int32_t file, int fd, int64_t file_bytes, int64_t block,
                                      const std::string& path) {
  std::optional<std::promise<absl::StatusOr<std::shared_ptr<const std::string>>>> reading;  // made on a miss only
  Block mine;
  uint64_t ticket = 0;
  const auto key = std::make_pair(file, block);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto found = blocks_.find(key); found != blocks_.end()) {
      found->second.last_use = ++uses_;
      return found->second.data;
    }
    mine = reading.emplace().get_future().share();
    if (static_cast<int64_t>(blocks_.size()) >= capacity_blocks_) {
      const auto oldest = std::min_element(blocks_.begin(), blocks_.end(), [](const auto& a, const auto& b) {
        return a.second.last_use < b.second.last_use;
      });
      blocks_.erase(oldest);  // readers still holding it keep its data alive
    }
    ticket = ++blocks_read_;
    blocks_.emplace(key, Cached{mine, ++uses_, ticket});
  }
  const int64_t begin = block * block_bytes_;
  absl::StatusOr<std::string> data = ReadFileRange(fd, begin, std::min(block_bytes_, file_bytes - begin), path);
  if (data.ok()) {
    reading->set_value(std::make_shared<const std::string>(*std::move(data)));
    return mine;
  }
  {
    // A failed read is not kept: the readers waiting now get the error, a later read tries the file again.
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto found = blocks_.find(key); found != blocks_.end() && found->second.read == ticket) blocks_.erase(found);
  }
  reading->set_value(data.status());
  return mine;
}

absl::StatusOr<std::string> BlockReader::Read(int32_t file, int fd, int64_t file_bytes, int64_t offset, int64_t size,
                                              const std::string& path) {
  if (offset < 0 || size < 0 || offset + size > file_bytes) {
    return absl::DataLossError(absl::StrFormat("%s: cannot read %d bytes at offset %d: the file ends first", path,
                                               size, offset));
  }
  std::string bytes;
  bytes.reserve(static_cast<size_t>(size));
  for (int64_t at = offset; at < offset + size;) {
    const int64_t block = at / block_bytes_;
    const Block fetched = Fetch(file, fd, file_bytes, block, path);
    const absl::StatusOr<std::shared_ptr<const std::string>>& data = fetched.get();
    if (!data.ok()) return data.status();
    const int64_t within = at - block * block_bytes_;
    // Every block but the file's last is whole, and the range ends inside the file: take > 0.
    const int64_t take = std::min<int64_t>(offset + size - at, static_cast<int64_t>((*data)->size()) - within);
    bytes.append(**data, static_cast<size_t>(within), static_cast<size_t>(take));
    at += take;
  }
  return bytes;
}

}  // namespace strobe
