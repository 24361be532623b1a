#include "coordinator/control_file.h"

#include <gtest/gtest.h>

#include "tests/unit/temp_dir.h"

namespace strobe {
namespace {

TEST(ControlFileTest, ParsesEveryCommand) {
  absl::StatusOr<ControlCommand> command = ParseControlCommand("# operator\n  lr = 0.05  # lower\n\ncheckpoint\n");
  ASSERT_TRUE(command.ok()) << command.status();
  ASSERT_TRUE(command->lr.has_value());
  EXPECT_EQ(command->lr->kind, LrOverride::Kind::kAbsolute);
  EXPECT_EQ(command->lr->value, 0.05);
  EXPECT_TRUE(command->checkpoint);
  EXPECT_FALSE(command->stop);

  command = ParseControlCommand("lr_scale=0.5\nstop");
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->lr->kind, LrOverride::Kind::kScale);
  EXPECT_EQ(command->lr->Apply(0.2), 0.1);
  EXPECT_TRUE(command->stop);

  command = ParseControlCommand("lr = schedule\n");
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->lr->kind, LrOverride::Kind::kNone);
  EXPECT_EQ(command->lr->Apply(0.2), 0.2);

  command = ParseControlCommand("");
  ASSERT_TRUE(command.ok());
  EXPECT_FALSE(command->lr.has_value());
}

TEST(ControlFileTest, RejectsMalformedLinesByNumber) {
  EXPECT_EQ(ParseControlCommand("checkpoint\nlr = -1\n").status().message(),
            "line 2: lr needs a positive number, got '-1'");
  EXPECT_EQ(ParseControlCommand("lr = fast").status().message(), "line 1: lr needs a positive number, got 'fast'");
  EXPECT_EQ(ParseControlCommand("momentum = 0.8").status().message(),
            "line 1: unknown setting 'momentum' (expected lr or lr_scale)");
  EXPECT_EQ(ParseControlCommand("halt").status().message(),
            "line 1: unknown command 'halt' (expected lr = X, lr_scale = X, lr = schedule, checkpoint or stop)");
}

TEST(ControlFileTest, WatcherConsumesEachFileOnce) {
  testing::TempDir dir;
  ControlFileWatcher watcher(dir.path());
  EXPECT_FALSE(watcher.Poll().has_value());

  testing::WriteFile(dir.Path("control"), "lr = 0.01\n");
  std::optional<absl::StatusOr<ControlCommand>> polled = watcher.Poll();
  ASSERT_TRUE(polled.has_value());
  ASSERT_TRUE(polled->ok());
  EXPECT_EQ((*polled)->lr->value, 0.01);
  EXPECT_FALSE(PathExists(dir.Path("control")));
  EXPECT_TRUE(PathExists(dir.Path("control.applied")));
  EXPECT_FALSE(watcher.Poll().has_value());  // applied once only

  testing::WriteFile(dir.Path("control"), "lr = 0.01\nlr_scale = zero\n");
  polled = watcher.Poll();
  ASSERT_TRUE(polled.has_value());
  ASSERT_FALSE(polled->ok());
  EXPECT_EQ(polled->status().message(),
            dir.Path("control") + ": line 2: lr_scale needs a positive number, got 'zero'; ignored (moved to " +
                dir.Path("control.rejected") + ")");
  EXPECT_TRUE(PathExists(dir.Path("control.rejected")));
}

}  // namespace
}  // namespace strobe
