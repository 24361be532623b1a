#include "worker/imagenet/tar_shards.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "coordinator/shard_plan.h"
#include "coordinator/streamed_order.h"
#include "tests/unit/temp_dir.h"

namespace strobe {
namespace {

constexpr int kShards = 6;
constexpr int kPerShard = 50;

// Image `i`'s bytes: distinct per image, 700-1500 bytes (tar pads each member to 512-byte blocks).
std::string ImageBytes(int i) { return std::string(700 + (i * 37) % 800, static_cast<char>('a' + i % 26)) + std::to_string(i); }

class TarShardsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int shard = 0; shard < kShards; ++shard) {
      auto writer = TarWriter::Create(dir_.Path(absl::StrFormat("shard-%06d.tar", shard)));
      ASSERT_TRUE(writer.ok()) << writer.status();
      for (int i = shard * kPerShard; i < (shard + 1) * kPerShard; ++i) {
        const std::string key = absl::StrFormat("sample-%06d", i);
        ASSERT_TRUE((*writer)->Add(key + ".jpg", ImageBytes(i)).ok());
        ASSERT_TRUE((*writer)->Add(key + ".cls", std::to_string(i % 10)).ok());
      }
      ASSERT_TRUE((*writer)->Close().ok());
    }
  }
  testing::TempDir dir_;
};

TEST_F(TarShardsTest, NumbersImagesInShardOrder) {
  auto images = TarShardImages::Open(dir_.path(), dir_.Path("index.tsv"));
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ((*images)->size(), kShards * kPerShard);
  for (int i = 0; i < kShards * kPerShard; ++i) {
    EXPECT_EQ((*images)->shard(i), i / kPerShard);
    EXPECT_EQ((*images)->label(i), i % 10);
  }
}

// Rank 0 of 2 reading its streams of a streamed epoch, window by window: every image comes back intact and every
// block its streams cover is read from the shards once.
TEST_F(TarShardsTest, AStreamedEpochReadsEachBlockOfARanksStreamsOnce) {
  auto images = TarShardImages::Open(dir_.path(), dir_.Path("index.tsv"));
  ASSERT_TRUE(images.ok()) << images.status();
  const int64_t block = 8192;
  const StreamedOrder streamed{4, 16};
  const int world_size = 2;
  (*images)->ReadInBlocks(block, streamed.streams / world_size, streamed.window);
  const int64_t global_batch = 8;
  const std::vector<int64_t> order =
      StreamedEpochOrder(std::vector<int64_t>(kShards, kPerShard), global_batch, streamed, 7, 2);
  const TrainShardPlan plan = *TrainShardPlan::Create(kShards * kPerShard, global_batch, world_size);
  std::set<std::pair<int32_t, int64_t>> blocks_touched;  // (shard, block) pairs the rank's images lie in
  for (int64_t step = 0; step < plan.steps_per_epoch(); ++step) {
    const SampleRange slice = plan.RankSlice(step, 0);
    for (int64_t position = slice.begin; position < slice.end; ++position) {
      const int64_t image = order[position];
      absl::StatusOr<std::string> bytes = (*images)->Read(image);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      ASSERT_EQ(*bytes, ImageBytes(static_cast<int>(image))) << "image " << image;
      const TarShardImages::Member& m = (*images)->member(image);
      for (int64_t b = m.offset / block; b <= (m.offset + m.size - 1) / block; ++b) blocks_touched.emplace(m.shard, b);
    }
  }
  // A block where one of the rank's streams ends and the next begins is met at the epoch's start and again at its
  // end, so it may be read twice; every other block is read once.
  EXPECT_GE((*images)->blocks_read(), static_cast<int64_t>(blocks_touched.size()));
  EXPECT_LE((*images)->blocks_read(), static_cast<int64_t>(blocks_touched.size()) + streamed.streams / world_size);
  int64_t all_blocks = 0;
  for (int shard = 0; shard < kShards; ++shard) {
    struct stat file;
    ASSERT_EQ(::stat(dir_.Path(absl::StrFormat("shard-%06d.tar", shard)).c_str(), &file), 0);
    all_blocks += (file.st_size + block - 1) / block;
  }
  EXPECT_LT((*images)->blocks_read(), all_blocks * 3 / 4) << "rank 0's streams are half of the epoch";
}

}  // namespace
}  // namespace strobe
