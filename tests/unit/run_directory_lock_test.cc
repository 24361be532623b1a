#include "worker/output/run_directory_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/unit/temp_dir.h"

namespace strobe {
namespace {

using testing::ReadFile;
using testing::TempDir;

// Runs `body` in a child process (record locks belong to processes, so contention needs a second one) and returns
// its exit code.
int InChildProcess(const std::function<int()>& body) {
  const pid_t child = fork();
  if (child == 0) _exit(body());
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST(RunDirectoryLockTest, ASecondProcessIsRefusedWithTheHoldersName) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<RunDirectoryLock>> lock = RunDirectoryLock::Acquire(dir.path(), "node7");
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_EQ((*lock)->taken_over_from(), "");
  const std::string holder = absl::StrCat("host node7, pid ", getpid(), ", started ");
  // Reading the file (opening and closing it) in the holding process must not drop the lock.
  EXPECT_EQ(ReadFile(dir.Path("lock")).rfind(holder, 0), 0u) << ReadFile(dir.Path("lock"));
  const int refused = InChildProcess([&] {
    absl::StatusOr<std::unique_ptr<RunDirectoryLock>> second = RunDirectoryLock::Acquire(dir.path(), "node8");
    if (second.ok()) return 1;
    const std::string expected = absl::StrCat("--run_dir=", dir.path(), " is in use by another strobe run (", holder);
    if (second.status().code() != absl::StatusCode::kFailedPrecondition) return 2;
    return second.status().message().find(expected) == 0 ? 0 : 3;
  });
  EXPECT_EQ(refused, 0) << "1: not refused, 2: wrong code, 3: the message does not name the holder";
}

TEST(RunDirectoryLockTest, ALockLeftByADeadProcessIsTakenOverAndReported) {
  TempDir dir;
  ASSERT_EQ(InChildProcess([&] {
              absl::StatusOr<std::unique_ptr<RunDirectoryLock>> lock = RunDirectoryLock::Acquire(dir.path(), "n1");
              if (!lock.ok()) return 1;
              lock->release();  // the process ends without the destructor, as a crash or kill -9 would
              return 0;
            }),
            0);
  const std::string left = ReadFile(dir.Path("lock"));
  ASSERT_EQ(left.rfind("host n1, pid ", 0), 0u) << left;
  absl::StatusOr<std::unique_ptr<RunDirectoryLock>> lock = RunDirectoryLock::Acquire(dir.path(), "n2");
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_EQ((*lock)->taken_over_from() + "\n", left);
}

TEST(RunDirectoryLockTest, AReleasedLockIsTakenSilently) {
  TempDir dir;
  { ASSERT_TRUE(RunDirectoryLock::Acquire(dir.path(), "n1").ok()); }
  EXPECT_EQ(ReadFile(dir.Path("lock")), "");
  absl::StatusOr<std::unique_ptr<RunDirectoryLock>> again = RunDirectoryLock::Acquire(dir.path(), "n1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->taken_over_from(), "");
}

TEST(RunDirectoryLockTest, AMissingDirectoryIsNamed) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<RunDirectoryLock>> lock = RunDirectoryLock::Acquire(dir.Path("absent"), "n1");
  ASSERT_FALSE(lock.ok());
  EXPECT_NE(lock.status().message().find("--run_dir=" + dir.Path("absent") + ": cannot open its lock file"),
            std::string::npos)
      << lock.status();
}

}  // namespace
}  // namespace strobe
