#include "worker/data/idx_reader.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include "tests/unit/temp_dir.h"

namespace strobe {
namespace {

std::string IdxBytes(uint8_t type, std::vector<uint32_t> dims, size_t data_bytes) {
  std::string bytes = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((d >> shift) & 0xFF));
  }
  for (size_t i = 0; i < data_bytes; ++i) bytes.push_back(static_cast<char>(i % 10));
  return bytes;
}

void WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), bytes.size()), static_cast<int>(bytes.size()));
  gzclose(file);
}

class IdxReaderTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.Path(name); }

  void WriteSplit(const std::string& prefix, uint32_t n, uint32_t h, uint32_t w) {
    WriteGzip(Path(prefix + "-images-idx3-ubyte.gz"), IdxBytes(0x08, {n, h, w}, size_t{n} * h * w));
    WriteGzip(Path(prefix + "-labels-idx1-ubyte.gz"), IdxBytes(0x08, {n}, n));
  }

  testing::TempDir dir_;
};

TEST_F(IdxReaderTest, ParsesHeaderAndData) {
  absl::StatusOr<IdxArray> array = ParseIdx(IdxBytes(0x08, {3, 2, 2}, 12), "x");
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->dims, (std::vector<int64_t>{3, 2, 2}));
  ASSERT_EQ(array->data.size(), 12u);
  EXPECT_EQ(array->data[11], 1);
}

TEST_F(IdxReaderTest, RejectsCorruptHeadersAndSizes) {
  auto message = [](const std::string& bytes) { return std::string(ParseIdx(bytes, "f.idx").status().message()); };
  EXPECT_EQ(message("\x00\x00"), "f.idx: too short for an IDX header");
  std::string bad_magic = IdxBytes(0x08, {2}, 2);
  bad_magic[0] = 0x12;
  EXPECT_NE(message(bad_magic).find("bad IDX magic number 0x12000801"), std::string::npos);
  EXPECT_NE(message(IdxBytes(0x0D, {2}, 8)).find("data type 0x0d is not unsigned byte"), std::string::npos);
  EXPECT_NE(message(IdxBytes(0x08, {4, 2}, 7)).find("promises 8 data bytes but the file holds 7 (truncated)"),
            std::string::npos);
  EXPECT_NE(message(IdxBytes(0x08, {4}, 5)).find("trailing bytes"), std::string::npos);
  EXPECT_NE(message(IdxBytes(0x08, {0}, 0)).find("dimension 0 has size 0"), std::string::npos);
}

TEST_F(IdxReaderTest, LoadsASplitAsTensors) {
  WriteSplit("train", 5, 3, 4);
  absl::StatusOr<ImageDataset> data = LoadMnistSplit(dir_.path(), MnistSplit::kTrain);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->images.sizes(), (std::vector<int64_t>{5, 1, 3, 4}));
  EXPECT_EQ(data->images.scalar_type(), at::kByte);
  EXPECT_EQ(data->labels.scalar_type(), at::kLong);
  EXPECT_EQ(data->labels[4].item<int64_t>(), 4);
  EXPECT_EQ(data->num_classes, 10);
}

TEST_F(IdxReaderTest, ReadsUncompressedFiles) {
  testing::WriteFile(Path("t10k-images-idx3-ubyte"), IdxBytes(0x08, {2, 2, 2}, 8));
  testing::WriteFile(Path("t10k-labels-idx1-ubyte"), IdxBytes(0x08, {2}, 2));
  EXPECT_TRUE(LoadMnistSplit(dir_.path(), MnistSplit::kTest).ok());
}

TEST_F(IdxReaderTest, NamesTheMissingFile) {
  WriteGzip(Path("train-images-idx3-ubyte.gz"), IdxBytes(0x08, {2, 2, 2}, 8));
  const absl::Status status = LoadMnistSplit(dir_.path(), MnistSplit::kTrain).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find("train-labels-idx1-ubyte: cannot open"), std::string::npos) << status;
}

TEST_F(IdxReaderTest, RejectsMismatchedCountsAndBadLabels) {
  WriteGzip(Path("train-images-idx3-ubyte.gz"), IdxBytes(0x08, {3, 2, 2}, 12));
  WriteGzip(Path("train-labels-idx1-ubyte.gz"), IdxBytes(0x08, {2}, 2));
  EXPECT_NE(LoadMnistSplit(dir_.path(), MnistSplit::kTrain).status().message().find("holds 3 images but"),
            std::string::npos);
  std::string labels = IdxBytes(0x08, {3}, 3);
  labels.back() = 10;
  WriteGzip(Path("train-labels-idx1-ubyte.gz"), labels);
  EXPECT_NE(LoadMnistSplit(dir_.path(), MnistSplit::kTrain).status().message().find("label 10 of sample 2"),
            std::string::npos);
}

TEST_F(IdxReaderTest, RejectsTruncatedGzip) {
  const std::string full = Path("full.gz");
  WriteGzip(full, IdxBytes(0x08, {1000}, 1000));
  const std::string compressed = testing::ReadFile(full);
  testing::WriteFile(Path("cut.gz"), compressed.substr(0, compressed.size() / 2));
  const absl::Status status = ReadIdxFile(Path("cut.gz")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("cut.gz"), std::string::npos) << status;
}

TEST_F(IdxReaderTest, RejectsAMissingDirectory) {
  const absl::Status status = LoadMnistSplit(Path("nope"), MnistSplit::kTrain).status();
  EXPECT_NE(status.message().find("is not a directory"), std::string::npos);
}

}  // namespace
}  // namespace strobe
