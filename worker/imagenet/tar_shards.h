#ifndef STROBE_WORKER_IMAGENET_TAR_SHARDS_H_
#define STROBE_WORKER_IMAGENET_TAR_SHARDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/imagenet/encoded_images.h"

namespace strobe {

class BlockReader;

// True when `dir` holds a file whose name ends in ".tar".
bool HoldsTarShards(const std::string& dir);

// The images of a split stored as WebDataset tar shards (DIR/*.tar, in name order). A sample is the members that
// share a key — the member's path up to the first '.' of its file name — among them one image (.jpg, .jpeg, .png,
// any case) and its class (.cls, a decimal label); other members (.json, .txt, ...) are ignored. The shards are
// walked once header by header (only the small .cls members are read) and the index cached at `cache_path`,
// checked on later starts against each shard's size and modification time; images are then read by offset, so the
// training loop's shuffled order needs no shuffle buffer and resumes sample-exactly.
class TarShardImages : public EncodedImages {
 public:
  static absl::StatusOr<std::unique_ptr<TarShardImages>> Open(const std::string& dir, const std::string& cache_path);
  ~TarShardImages() override;

  int64_t size() const override { return static_cast<int64_t>(members_.size()); }
  int64_t num_classes() const override { return num_classes_; }
  int32_t label(int64_t image) const override { return members_[image].label; }
  std::string name(int64_t image) const override;
  std::string location() const override { return dir_; }
  absl::StatusOr<std::string> Read(int64_t image) const override;
  int32_t shard(int64_t image) const override { return members_[image].shard; }

  // From now on images are read as whole aligned blocks of `block_bytes`, keeping enough of them for `streams`
  // readers each going front to back through shuffle windows spanning `window` consecutive images of the split (a
  // streamed epoch order), so a network file system sees large sequential reads. Call before reading starts.
  void ReadInBlocks(int64_t block_bytes, int64_t streams, int64_t window);
  int64_t blocks_read() const;  // by ReadInBlocks' reader

  // One image member of a shard, as the index stores it.
  struct Member {
    int32_t shard = 0;
    int64_t offset = 0;  // of the member's data in the shard
    int64_t size = 0;
    int32_t label = 0;
    std::string key;
  };
  const Member& member(int64_t image) const { return members_[image]; }

 private:
  TarShardImages(std::string dir, std::vector<std::string> shards);
  void SetMembers(std::vector<Member> members);

  const std::string dir_;
  const std::vector<std::string> shards_;  // file names in dir_
  std::vector<Member> members_;
  int64_t num_classes_ = 0;
  std::vector<int> descriptors_;  // one open file per shard, read with pread from any thread
  std::vector<int64_t> shard_bytes_;
  std::unique_ptr<BlockReader> block_reader_;  // set by ReadInBlocks
};

// Writes a tar archive member by member (POSIX ustar), as the WebDataset tools do; for making shards.
class TarWriter {
 public:
  static absl::StatusOr<std::unique_ptr<TarWriter>> Create(const std::string& path);
  ~TarWriter();
  absl::Status Add(const std::string& member, const std::string& contents);
  absl::Status Close();  // the two zero blocks that end an archive

 private:
  explicit TarWriter(std::FILE* file) : file_(file) {}
  std::FILE* file_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_TAR_SHARDS_H_
