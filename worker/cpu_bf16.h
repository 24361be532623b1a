#ifndef STROBE_WORKER_CPU_BF16_H_
#define STROBE_WORKER_CPU_BF16_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace strobe {

// --amp=bf16 on the CPU. On AVX-512 CPUs autocast's bf16 convolutions and matrix products go to oneDNN, which
// computes them with AVX512-BF16 or AMX-BF16 instructions where the CPU has them (1.8x float32's throughput here),
// converts to float32 and back around them otherwise (2.7x slower than float32), and fails when held to an older
// instruction set; without AVX-512 LibTorch computes bf16 in its own kernels, slower still (docs/benchmarks.md,
// "Precision on the CPU").

// Whether this CPU has instructions that compute in bf16 (x86: AVX512-BF16 or AMX-BF16).
bool CpuComputesBf16();

// A bf16 convolution and matrix product, forward and backward, under CPU autocast, on a few numbers: an error
// naming what failed where this LibTorch has no bf16 kernel for this CPU, which a run would otherwise
// meet at its first step as "could not create a primitive descriptor iterator".
absl::Status ProbeCpuAutocastBf16();

// One warning for the job (indexed by rank, CpuComputesBf16 of each), or "" when every rank's CPU computes bf16.
std::string DescribeRanksEmulatingBf16(const std::vector<bool>& computes_bf16);

}  // namespace strobe

#endif  // STROBE_WORKER_CPU_BF16_H_
