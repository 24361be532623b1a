#include "worker/checkpoint/checkpoint_store.h"

#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "tests/unit/temp_dir.h"
#include "worker/checkpoint/manifest.h"
#include "worker/file_system.h"

namespace strobe {
namespace {

// A committed checkpoint of `step` in RUN_DIR with two files; `accuracy` < 0: no validation metric.
std::string MakeCheckpoint(const std::string& run_dir, int64_t step, double accuracy = -1) {
  const std::string path = JoinPath(CheckpointsDir(run_dir), CheckpointDirName(step));
  EXPECT_TRUE(MakeDirectories(path).ok());
  Manifest manifest;
  manifest.Set("step", std::to_string(step));
  if (accuracy >= 0) manifest.Set("val_accuracy", std::to_string(accuracy));
  for (const std::string name : {"model.pt", "rank-00000.pt"}) {
    const std::string contents = name + " of step " + std::to_string(step);
    testing::WriteFile(JoinPath(path, name), contents);
    manifest.AddFile(name, contents);
  }
  testing::WriteFile(JoinPath(path, kManifestFileName), manifest.Serialize());
  return path;
}

TEST(ManifestTest, RoundTripsMetadataAndFiles) {
  Manifest manifest;
  manifest.Set("step", "120");
  manifest.Set("config", "{\"a\": \"b c\"}");
  manifest.AddFile("model.pt", "weights");
  absl::StatusOr<Manifest> parsed = Manifest::Parse(manifest.Serialize(), "M");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Get("config"), "{\"a\": \"b c\"}");
  EXPECT_EQ(*parsed->GetInt("step"), 120);
  ASSERT_EQ(parsed->files().size(), 1u);
  EXPECT_EQ(parsed->files()[0].size, 7);
  EXPECT_EQ(parsed->files()[0].crc32, Crc32("weights"));
  EXPECT_EQ(Crc32("123456789"), 0xcbf43926u);  // the CRC-32 check value
  EXPECT_EQ(Crc32Extend(Crc32("1234"), "56789"), Crc32("123456789"));
}

TEST(ManifestTest, RejectsTruncatedTamperedAndNewer) {
  Manifest manifest;
  manifest.Set("step", "120");
  const std::string text = manifest.Serialize();
  EXPECT_EQ(Manifest::Parse(text.substr(0, text.size() - 12), "M").status().message(),
            "M: no checksum line at the end: the file is truncated or not a Strobe checkpoint manifest");
  std::string tampered = text;
  tampered.replace(tampered.find("120"), 3, "121");
  EXPECT_EQ(Manifest::Parse(tampered, "M").status().message(), "M: checksum mismatch: the manifest is corrupted");
  std::string newer = "strobe-checkpoint 2\n";
  newer += "crc32 " + absl::StrFormat("%08x", Crc32(newer)) + "\n";
  EXPECT_EQ(Manifest::Parse(newer, "M").status().message(),
            "M: checkpoint format version 2 is newer than this build of strobe reads (up to 1); use a newer strobe");
}

TEST(CheckpointStoreTest, VerifyNamesTheDamagedFile) {
  testing::TempDir run;
  const std::string path = MakeCheckpoint(run.path(), 5);
  ASSERT_TRUE(VerifyCheckpoint(path).ok());
  testing::WriteFile(JoinPath(path, "model.pt"), "model.pt of step 6");  // same size, other bytes
  EXPECT_EQ(VerifyCheckpoint(path).status().message(),
            "checkpoint " + path + ": model.pt fails its CRC-32 check (corrupted)");
  testing::WriteFile(JoinPath(path, "model.pt"), "model");
  EXPECT_EQ(VerifyCheckpoint(path).status().message(),
            "checkpoint " + path + ": model.pt has 5 bytes, the manifest says 18 (truncated?)");
  ASSERT_EQ(::unlink(JoinPath(path, "model.pt").c_str()), 0);
  EXPECT_EQ(VerifyCheckpoint(path).status().message(), "checkpoint " + path + ": model.pt is missing");
}

TEST(CheckpointStoreTest, NewestValidSkipsDamagedAndUncommitted) {
  testing::TempDir run;
  MakeCheckpoint(run.path(), 8);
  MakeCheckpoint(run.path(), 10);
  const std::string damaged = MakeCheckpoint(run.path(), 12);
  testing::WriteFile(JoinPath(damaged, "rank-00000.pt"), "");
  ASSERT_TRUE(MakeDirectories(JoinPath(CheckpointsDir(run.path()), CheckpointDirName(14) + ".partial")).ok());
  ASSERT_EQ(ListCheckpoints(run.path()).size(), 3u);  // .partial is not a checkpoint
  std::vector<std::string> skipped;
  absl::StatusOr<VerifiedCheckpoint> newest = FindNewestValidCheckpoint(run.path(), skipped);
  ASSERT_TRUE(newest.ok()) << newest.status();
  EXPECT_EQ(*newest->manifest.GetInt("step"), 10);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0], "checkpoint " + damaged + ": rank-00000.pt has 0 bytes, the manifest says 24 (truncated?)");

  testing::TempDir empty;
  EXPECT_TRUE(absl::IsNotFound(FindNewestValidCheckpoint(empty.path(), skipped).status()));
}

TEST(CheckpointStoreTest, StepsSortNumericallyPastTheirPadding) {
  testing::TempDir run;
  MakeCheckpoint(run.path(), 999999999);
  MakeCheckpoint(run.path(), 1000000000);  // one digit wider than the padding
  MakeCheckpoint(run.path(), 7);
  const std::vector<std::string> paths = ListCheckpoints(run.path());
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_NE(paths[0].find("step-000000007"), std::string::npos);
  EXPECT_NE(paths[2].find("step-1000000000"), std::string::npos);
}

TEST(CheckpointStoreTest, RetentionKeepsTheNewestAndTheBest) {
  testing::TempDir run;
  MakeCheckpoint(run.path(), 1, 0.50);
  const std::string best = MakeCheckpoint(run.path(), 2, 0.90);
  MakeCheckpoint(run.path(), 3, 0.70);
  MakeCheckpoint(run.path(), 4);
  MakeCheckpoint(run.path(), 5, 0.60);
  absl::StatusOr<std::vector<std::string>> deleted = ApplyRetention(run.path(), 2, /*keep_best=*/true);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->size(), 2u);  // steps 1 and 3
  const std::vector<std::string> kept = ListCheckpoints(run.path());
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0], best);
  EXPECT_NE(kept[1].find("step-000000004"), std::string::npos);
  EXPECT_NE(kept[2].find("step-000000005"), std::string::npos);

  ASSERT_TRUE(ApplyRetention(run.path(), 1, /*keep_best=*/false).ok());
  ASSERT_EQ(ListCheckpoints(run.path()).size(), 1u);
  EXPECT_NE(ListCheckpoints(run.path())[0].find("step-000000005"), std::string::npos);
}

TEST(CheckpointStoreTest, RetentionKeepsTheNewestCheckpointFromBeforeTheFirstNonFiniteStep) {
  testing::TempDir run;
  for (int64_t step : {2, 4, 6, 8, 10, 12}) MakeCheckpoint(run.path(), step);
  // The first non-finite step was 7: step 6 is the newest checkpoint from before it, whatever `keep_last` says.
  absl::StatusOr<std::vector<std::string>> deleted = ApplyRetention(run.path(), 2, /*keep_best=*/false, 7);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  std::vector<int64_t> kept;
  for (const std::string& path : ListCheckpoints(run.path())) kept.push_back(CheckpointStep(path));
  EXPECT_EQ(kept, (std::vector<int64_t>{6, 10, 12}));
  // A checkpoint at the first non-finite step itself holds the state that went non-finite: not protected.
  ASSERT_TRUE(ApplyRetention(run.path(), 1, /*keep_best=*/false, 10).ok());
  kept.clear();
  for (const std::string& path : ListCheckpoints(run.path())) kept.push_back(CheckpointStep(path));
  EXPECT_EQ(kept, (std::vector<int64_t>{6, 12}));
}

TEST(CheckpointStoreTest, ADivergedRunsLaterCheckpointsAreSetAsideAndResumeSkipsThem) {
  testing::TempDir run;
  for (int64_t step : {4, 8, 12, 16}) MakeCheckpoint(run.path(), step);
  absl::StatusOr<std::vector<std::string>> set_aside = SetAsideCheckpointsFrom(run.path(), 12);
  ASSERT_TRUE(set_aside.ok()) << set_aside.status();
  const std::string dir = CheckpointsDir(run.path());
  EXPECT_EQ(*set_aside, (std::vector<std::string>{JoinPath(dir, "step-000000012.nonfinite"),
                                                  JoinPath(dir, "step-000000016.nonfinite")}));
  EXPECT_TRUE(IsDirectory(JoinPath(dir, "step-000000016.nonfinite")));  // kept for a post-mortem
  std::vector<std::string> skipped;
  absl::StatusOr<VerifiedCheckpoint> newest = FindNewestValidCheckpoint(run.path(), skipped);
  ASSERT_TRUE(newest.ok()) << newest.status();
  EXPECT_EQ(CheckpointStep(newest->path), 8);
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_NE(skipped[0].find("set aside because training went non-finite"), std::string::npos) << skipped[0];

  // A content check (the weights' finiteness, in Strobe) passes over a checkpoint that verifies but fails it.
  skipped.clear();
  newest = FindNewestValidCheckpoint(run.path(), skipped, [](const VerifiedCheckpoint& checkpoint) {
    return CheckpointStep(checkpoint.path) == 8 ? absl::FailedPreconditionError("step 8 holds NaN")
                                                : absl::OkStatus();
  });
  ASSERT_TRUE(newest.ok()) << newest.status();
  EXPECT_EQ(CheckpointStep(newest->path), 4);
  EXPECT_EQ(skipped.back(), "step 8 holds NaN");
}

}  // namespace
}  // namespace strobe
