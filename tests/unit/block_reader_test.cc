#include "worker/imagenet/block_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/temp_dir.h"

namespace strobe {
namespace {

class BlockReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 10000; ++i) bytes_.push_back(static_cast<char>((i * 131 + i / 7) & 0xFF));
    path_ = dir_.Path("shard.tar");
    testing::WriteFile(path_, bytes_);
    fd_ = ::open(path_.c_str(), O_RDONLY);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override { ::close(fd_); }

  std::string Expected(int64_t offset, int64_t size) const { return bytes_.substr(offset, size); }

  testing::TempDir dir_;
  std::string bytes_;
  std::string path_;
  int fd_ = -1;
};

TEST_F(BlockReaderTest, RangesAcrossBlocksAndAtTheEndMatchTheFile) {
  BlockReader reader(1024, 3);
  for (const auto& [offset, size] : std::vector<std::pair<int64_t, int64_t>>{
           {0, 10}, {1000, 100}, {1020, 3000}, {9990, 10}, {0, 10000}, {5000, 0}}) {
    absl::StatusOr<std::string> got = reader.Read(0, fd_, 10000, offset, size, path_);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, Expected(offset, size)) << offset << "+" << size;
  }
  const absl::StatusOr<std::string> past = reader.Read(0, fd_, 10000, 9990, 11, path_);
  EXPECT_EQ(past.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(past.status().message().find(path_), std::string::npos);
}

// 100 members of 100 bytes visited window by window (20 members, about 2 blocks), shuffled within each window: the
// file is read front to back, every block exactly once, from 2 threads at a time.
TEST_F(BlockReaderTest, AStreamedVisitReadsEveryBlockOnce) {
  BlockReader reader(1024, 4);
  std::vector<int> members(100);
  for (int i = 0; i < 100; ++i) members[i] = i;
  std::mt19937 shuffle(5);
  for (int window = 0; window < 100; window += 20) {
    std::shuffle(members.begin() + window, members.begin() + window + 20, shuffle);
  }
  for (int window = 0; window < 100; window += 20) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        for (int i = window + t; i < window + 20; i += 2) {
          absl::StatusOr<std::string> got = reader.Read(0, fd_, 10000, members[i] * 100, 100, path_);
          EXPECT_TRUE(got.ok() && *got == Expected(members[i] * 100, 100)) << "member " << members[i];
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  EXPECT_EQ(reader.blocks_read(), 10);
}

TEST_F(BlockReaderTest, AFileShorterThanItsIndexSaysIsAnErrorNamingIt) {
  BlockReader reader(1024, 2);
  const absl::StatusOr<std::string> got = reader.Read(0, fd_, 12000, 10100, 500, path_);  // block 9 ends at 10000
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(got.status().message().find(path_ + ": cannot read"), std::string::npos) << got.status();
}

// A failed block is not kept: once the file has its bytes, the same read succeeds.
TEST_F(BlockReaderTest, AFailedBlockIsReadAgainNextTime) {
  BlockReader reader(1024, 4);
  EXPECT_FALSE(reader.Read(0, fd_, 12000, 10100, 500, path_).ok());
  std::FILE* file = std::fopen(path_.c_str(), "ab");
  ASSERT_NE(file, nullptr);
  const std::string more(2000, 'z');
  ASSERT_EQ(std::fwrite(more.data(), 1, more.size(), file), more.size());
  std::fclose(file);
  const absl::StatusOr<std::string> got = reader.Read(0, fd_, 12000, 10100, 500, path_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, std::string(500, 'z'));
}

}  // namespace
}  // namespace strobe
