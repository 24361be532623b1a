// A rank's CPU cores: its share of the host within its launcher binding, and the one warning for narrow bindings.
#include "ops/cpu_share.h"

#include <gtest/gtest.h>
#include <sched.h>

namespace strobe {
namespace {

TEST(CpuShareTest, UsableCoresAreTheHostShareWithinTheBinding) {
  // Unbound: 16 cores, 4 ranks on the host.
  EXPECT_EQ((CpuShare{16, 16, 4}.Usable()), 4);
  EXPECT_FALSE((CpuShare{16, 16, 4}.Narrowed()));
  // mpirun -np 1 on a 16-core GPU host: bound to one core.
  EXPECT_EQ((CpuShare{16, 1, 1}.Usable()), 1);
  EXPECT_TRUE((CpuShare{16, 1, 1}.Narrowed()));
  // Bound to a socket of 8 cores shared by 4 of the host's 8 ranks: the host share, not the socket, limits.
  EXPECT_EQ((CpuShare{16, 8, 8}.Usable()), 2);
  EXPECT_FALSE((CpuShare{16, 8, 8}.Narrowed()));
  // --map-by ppr:4:node:PE=4: exactly the share.
  EXPECT_EQ((CpuShare{16, 4, 4}.Usable()), 4);
  EXPECT_FALSE((CpuShare{16, 4, 4}.Narrowed()));
  // More ranks than cores (oversubscribed): at least one thread, never narrowed.
  EXPECT_EQ((CpuShare{2, 2, 4}.Usable()), 1);
  EXPECT_FALSE((CpuShare{2, 2, 4}.Narrowed()));
}

TEST(CpuShareTest, OneWarningNamesHowManyRanksTheFirstOneAndTheFix) {
  EXPECT_EQ(DescribeNarrowedRanks({CpuShare{16, 16, 2}, CpuShare{16, 8, 2}}), "");
  const std::string warning =
      DescribeNarrowedRanks({CpuShare{16, 16, 3}, CpuShare{16, 1, 3}, CpuShare{16, 1, 3}});
  EXPECT_NE(warning.find("2 of 3 ranks may run on fewer CPU cores"), std::string::npos) << warning;
  EXPECT_NE(warning.find("rank 1: 1 of the host's 16 cores, where its share is 5"), std::string::npos) << warning;
  EXPECT_NE(warning.find("--bind-to none"), std::string::npos) << warning;
}

TEST(CpuShareTest, ReadsThisProcessBinding) {
  const DistributedContext context{0, 1, 0, 1, "host"};
  cpu_set_t original;
  ASSERT_EQ(sched_getaffinity(0, sizeof(original), &original), 0);
  EXPECT_EQ(ThisRankCpuShare(context).allowed_cores, CPU_COUNT(&original));
  // Bound to one core, as mpirun -np 1 would bind it.
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &original)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  const CpuShare bound = ThisRankCpuShare(context);
  ASSERT_EQ(sched_setaffinity(0, sizeof(original), &original), 0);
  EXPECT_EQ(bound.allowed_cores, 1);
  EXPECT_EQ(bound.Usable(), 1);
  EXPECT_EQ(bound.Narrowed(), CPU_COUNT(&original) > 1);  // its launcher kept all of the test's cores
}

}  // namespace
}  // namespace strobe
