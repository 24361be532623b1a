#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/temp_dir.h"
#include "worker/output/tensorboard/event.pb.h"
#include "worker/output/tensorboard/event_file_writer.h"
#include "worker/output/tensorboard/record_file.h"

namespace strobe {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

TEST(RecordFileTest, Crc32cMatchesTheCastagnoliCheckValueAndTfRecordsMask) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);  // the standard check value of CRC-32C
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(MaskCrc32c(0u), 0xA282EAD8u);
  EXPECT_EQ(MaskCrc32c(0xE3069283u), ((0xE3069283u >> 15) | (0xE3069283u << 17)) + 0xA282EAD8u);
}

TEST(RecordFileTest, FramesLengthAndChecksumsAndReadsThemBack) {
  const std::string framed = FrameRecord("abc");
  ASSERT_EQ(framed.size(), 8u + 4u + 3u + 4u);
  EXPECT_EQ(framed.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));  // little-endian uint64 length
  TempDir root;
  WriteFile(root.Path("f"), framed + FrameRecord("") + FrameRecord("defg"));
  absl::StatusOr<RecordScan> scan = ReadRecords(root.Path("f"));
  ASSERT_TRUE(scan.ok()) << scan.status();
  ASSERT_EQ(scan->records.size(), 3u);
  EXPECT_EQ(scan->records[0].data, "abc");
  EXPECT_EQ(scan->records[1].data, "");
  EXPECT_EQ(scan->records[2].data, "defg");
  EXPECT_EQ(scan->records[2].offset, 19 + 16);
  EXPECT_EQ(scan->valid_bytes, 19 + 16 + 20);
}

TEST(RecordFileTest, StopsAtACutOrCorruptedRecord) {
  TempDir root;
  const std::string good = FrameRecord("abc");
  std::string bad = FrameRecord("xyz");
  bad[13] ^= 1;  // a flipped bit in the data: its CRC fails
  WriteFile(root.Path("flipped"), good + bad + good);
  EXPECT_EQ(ReadRecords(root.Path("flipped"))->valid_bytes, static_cast<int64_t>(good.size()));
  WriteFile(root.Path("cut"), good + good.substr(0, good.size() - 1));
  EXPECT_EQ(ReadRecords(root.Path("cut"))->records.size(), 1u);
  EXPECT_FALSE(ReadRecords(root.Path("missing")).ok());
}

// The events of every file in `directory`: (step, "tag=value" ...) per event, the file version first.
std::vector<tensorboard::Event> ReadEvents(const std::string& directory) {
  std::vector<tensorboard::Event> events;
  const absl::StatusOr<std::vector<std::string>> paths = ListEventFiles(directory);
  for (const std::string& path : *paths) {
    const absl::StatusOr<RecordScan> scan = ReadRecords(path);
    EXPECT_TRUE(scan.ok()) << scan.status();
    for (const Record& record : scan->records) {
      tensorboard::Event event;
      EXPECT_TRUE(event.ParseFromString(record.data));
      events.push_back(event);
    }
  }
  return events;
}

TEST(EventFileWriterTest, WritesAVersionRecordThenOneEventOfScalarsPerReport) {
  TempDir root;
  {
    auto writer = EventFileWriter::Open(root.Path("tb"), -1, "node7");
    ASSERT_TRUE(writer.ok()) << writer.status();
    EXPECT_NE((*writer)->path().find("/tb/events.out.tfevents."), std::string::npos);
    EXPECT_EQ((*writer)->path().substr((*writer)->path().size() - 6), ".node7");
    ASSERT_TRUE((*writer)->WriteScalars(10, 1.5e9, {{"train/loss", 0.25}, {"train/lr", 0.1}}).ok());
  }
  const std::vector<tensorboard::Event> events = ReadEvents(root.Path("tb"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  EXPECT_EQ(events[1].step(), 10);
  EXPECT_DOUBLE_EQ(events[1].wall_time(), 1.5e9);
  ASSERT_EQ(events[1].summary().value_size(), 2);
  EXPECT_EQ(events[1].summary().value(0).tag(), "train/loss");
  EXPECT_EQ(events[1].summary().value(0).simple_value(), 0.25f);
  EXPECT_EQ(events[1].summary().value(1).simple_value(), 0.1f);
}

std::vector<int64_t> Steps(const std::vector<tensorboard::Event>& events) {
  std::vector<int64_t> steps;
  for (const tensorboard::Event& event : events) {
    if (event.has_summary()) steps.push_back(event.step());
  }
  return steps;
}

TEST(EventFileWriterTest, AResumeCutsTheStepsItTrainsAgainAndAppendsToTheSameFile) {
  TempDir root;
  const std::string dir = root.Path("tb");
  std::string first_path;
  {
    auto writer = EventFileWriter::Open(dir, -1, "h");
    first_path = (*writer)->path();
    for (int64_t step : {10, 20, 30, 40}) ASSERT_TRUE((*writer)->WriteScalars(step, 1.0, {{"train/loss", 1}}).ok());
  }
  {
    auto writer = EventFileWriter::Open(dir, 20, "h");  // the checkpoint after 20 steps: the report of 30 comes again
    ASSERT_TRUE(writer.ok()) << writer.status();
    EXPECT_EQ((*writer)->path(), first_path);
    ASSERT_TRUE((*writer)->WriteScalars(30, 2.0, {{"train/loss", 2}}).ok());
  }
  const std::vector<tensorboard::Event> events = ReadEvents(dir);
  EXPECT_EQ(Steps(events), (std::vector<int64_t>{10, 20, 30}));
  EXPECT_EQ(events.front().file_version(), "brain.Event:2");
  EXPECT_EQ(events.back().summary().value(0).simple_value(), 2.0f);
  EXPECT_EQ(ListEventFiles(dir)->size(), 1u);
}

TEST(EventFileWriterTest, DropsARecordACrashLeftHalfWritten) {
  TempDir root;
  const std::string dir = root.Path("tb");
  std::string path;
  {
    auto writer = EventFileWriter::Open(dir, -1, "h");
    path = (*writer)->path();
    ASSERT_TRUE((*writer)->WriteScalars(10, 1.0, {{"train/loss", 1}}).ok());
  }
  const std::string whole = ReadFile(path);
  tensorboard::Event torn;
  torn.set_step(20);
  WriteFile(path, whole + FrameRecord(torn.SerializeAsString()).substr(0, 10));
  {
    auto writer = EventFileWriter::Open(dir, 10, "h");
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->WriteScalars(20, 2.0, {{"train/loss", 2}}).ok());
  }
  EXPECT_EQ(Steps(ReadEvents(dir)), (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(ReadRecords(path)->valid_bytes, static_cast<int64_t>(ReadFile(path).size()));
}

TEST(EventFileWriterTest, AFreshStartOverAnOldFileKeepsOnlyItsVersionRecord) {
  TempDir root;
  const std::string dir = root.Path("tb");
  {
    auto writer = EventFileWriter::Open(dir, -1, "h");
    ASSERT_TRUE((*writer)->WriteScalars(0, 1.0, {{"train/loss", 1}}).ok());
    ASSERT_TRUE((*writer)->WriteScalars(10, 1.0, {{"train/loss", 1}}).ok());
  }
  ASSERT_TRUE(EventFileWriter::Open(dir, -1, "h").ok());  // --resume=auto found no checkpoint: from scratch
  const std::vector<tensorboard::Event> events = ReadEvents(dir);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
}

TEST(EventFileWriterTest, AnUnwritableDirectoryIsAnErrorNamingIt) {
  TempDir root;
  WriteFile(root.Path("file"), "x");
  auto writer = EventFileWriter::Open(root.Path("file/tb"), -1, "h");
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find("file/tb"), std::string::npos) << writer.status();
}

}  // namespace
}  // namespace strobe
