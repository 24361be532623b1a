// Whether a CPU computes bf16, whether this LibTorch can, and the one warning for ranks that would emulate it.
#include "worker/cpu_bf16.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace strobe {
namespace {

// The kernel's own list of this CPU's features, as `lscpu` shows them.
std::string CpuinfoFlags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0) return line + " ";
  }
  return "";
}

TEST(CpuBf16Test, AgreesWithTheKernelsListOfCpuFeatures) {
#if defined(__x86_64__)
  const std::string flags = CpuinfoFlags();
  ASSERT_FALSE(flags.empty()) << "no flags line in /proc/cpuinfo";
  const bool listed = flags.find(" avx512_bf16 ") != std::string::npos || flags.find(" amx_bf16 ") != std::string::npos;
  EXPECT_EQ(CpuComputesBf16(), listed) << flags;
#else
  EXPECT_FALSE(CpuComputesBf16());
#endif
}

// This machine's CPU has AMX-BF16; where a CPU has no bf16 kernel at all, e2e_bad_input caps oneDNN's ISA to see the
// probe fail.
TEST(CpuBf16Test, ProbeComputesBf16WhereTheCpuHasTheInstructions) {
  if (!CpuComputesBf16()) GTEST_SKIP() << "this CPU has no bf16 instructions";
  const absl::Status probed = ProbeCpuAutocastBf16();
  EXPECT_TRUE(probed.ok()) << probed;
}

TEST(CpuBf16Test, OneWarningCountsTheRanksThatEmulateAndNamesTheFirst) {
  EXPECT_EQ(DescribeRanksEmulatingBf16({true, true}), "");
  EXPECT_EQ(DescribeRanksEmulatingBf16({}), "");
  const std::string warning = DescribeRanksEmulatingBf16({true, false, false});
  EXPECT_NE(warning.find("--amp=bf16 on the CPU: 2 of 3 ranks (the first: rank 1) run on CPUs without bf16 "
                         "instructions"),
            std::string::npos)
      << warning;
  EXPECT_NE(warning.find("--amp=off"), std::string::npos) << warning;
}

}  // namespace
}  // namespace strobe
