// ImageNet training input on one core: decode + RandomResizedCrop(224) + horizontal flip + normalise, for every
// JPEG in a directory (read into memory first, so the disk is not measured), repeated --rounds times.
// Run: build/bench/jpeg_pipeline_bench --images_dir=DIR [--rounds=5] [--size=224] [--threads=1] [--decode_only]
// With --threads=N, N decode threads share the files (as a rank's --decode_threads do). With --decode_only, only
// the decode of each crop's region (libjpeg-turbo, as the pipeline calls it) runs: the floor under its time.
// bench/jpeg_bench.sh runs it and the same pipeline in Python (PIL + torchvision) on the same files.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "worker/file_system.h"
#include "worker/imagenet/sample_transform.h"

ABSL_FLAG(std::string, images_dir, "", "Directory of JPEG files.");
ABSL_FLAG(int, rounds, 5, "Passes over the files.");
ABSL_FLAG(int, size, 224, "Output size.");
ABSL_FLAG(int, threads, 1, "Decode threads.");
ABSL_FLAG(bool, decode_only, false,
          "Only decode each random crop's region (what libjpeg-turbo costs), without the resample and normalise.");

namespace {

// CPU time of all the process's threads: per core, whatever share of the wall-clock time this shared machine gives
// the process (contention for caches and memory bandwidth still counts).
double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(absl::GetFlag(FLAGS_images_dir))) {
    files.push_back(entry.path().string());
  }
  std::vector<std::string> contents;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> data = strobe::ReadFile(file);
    if (!data.ok()) {
      std::fprintf(stderr, "jpeg_pipeline_bench: %s\n", std::string(data.status().message()).c_str());
      return 1;
    }
    contents.push_back(*std::move(data));
  }
  if (contents.empty()) {
    std::fprintf(stderr, "jpeg_pipeline_bench: no files in --images_dir\n");
    return 2;
  }
  strobe::SampleTransform transform;
  transform.size = absl::GetFlag(FLAGS_size);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const bool decode_only = absl::GetFlag(FLAGS_decode_only);
  std::atomic<bool> failed{false};
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ProcessCpuSeconds();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::vector<float> out(3 * static_cast<size_t>(transform.size) * transform.size);
      strobe::DecodedRegion decoded;
      for (int round = 0; round < rounds; ++round) {
        for (size_t i = t; i < contents.size(); i += threads) {
          const auto* data = reinterpret_cast<const uint8_t*>(contents[i].data());
          const size_t bytes = contents[i].size();
          const uint64_t seed = static_cast<uint64_t>(round) * contents.size() + i + 1;
          const absl::Status status = decode_only
                                          ? strobe::DecodeTrainRegion(data, bytes, transform, seed, &decoded)
                                          : strobe::TransformTrainSample(data, bytes, transform, seed, out.data());
          if (!status.ok()) {
            std::fprintf(stderr, "jpeg_pipeline_bench: %s: %s\n", files[i].c_str(),
                         std::string(status.message()).c_str());
            failed = true;
            return;
          }
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  if (failed) return 1;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_seconds = ProcessCpuSeconds() - cpu_start;
  const double images = static_cast<double>(rounds) * contents.size();
  std::printf(
      "strobe%s: %zu files x %d rounds, %d thread(s): %.1f img/s (%.3f ms/img per thread), CPU time %.3f ms/img\n",
      decode_only ? " (decode only)" : "", contents.size(), rounds, threads, images / seconds,
      1000 * seconds * threads / images, 1000 * cpu_seconds / images);
  return 0;
}
