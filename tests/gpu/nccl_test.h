#ifndef STROBE_TESTS_GPU_NCCL_TEST_H_
#define STROBE_TESTS_GPU_NCCL_TEST_H_

// What every GPU test starts from: skipped without a visible GPU, else the job's NCCL communicator and this rank's
// GPU (made its current device).
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <memory>

#include "ops/communicator.h"
#include "tests/mpi/mpi_test_env.h"
#include "worker/device_placement.h"

namespace strobe {

class NcclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible";
    auto made = MakeCommunicator(CommBackend::kNccl, testing::Context());
    ASSERT_TRUE(made.ok()) << made.status();
    comm_ = *std::move(made);
    rank_ = comm_->rank();
    world_ = comm_->world_size();
    absl::StatusOr<c10::Device> device = ResolveTrainingDevice("cuda", testing::Context());
    ASSERT_TRUE(device.ok()) << device.status();
    device_ = *device;
  }

  at::TensorOptions OnGpu(at::ScalarType dtype) const { return at::TensorOptions().dtype(dtype).device(device_); }

  std::unique_ptr<Communicator> comm_;
  int rank_ = 0;
  int world_ = 1;
  c10::Device device_ = c10::Device(c10::kCPU);
};

}  // namespace strobe

#endif  // STROBE_TESTS_GPU_NCCL_TEST_H_
