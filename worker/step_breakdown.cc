#include "worker/step_breakdown.h"

#include <algorithm>

namespace strobe {

std::string_view StepPartName(StepPart part) {
  static constexpr std::array<std::string_view, kStepParts> kNames = {
      "data_wait", "mixing", "forward", "backward", "allreduce", "optimizer", "control", "checkpoint", "other"};
  return kNames[static_cast<int>(part)];
}

double StepWindow::step_seconds() const {
  double total = 0.0;
  for (double seconds : seconds_per_step) total += seconds;
  return total;
}

double StepWindow::busy_seconds() const {
  return step_seconds() - seconds_per_step[static_cast<int>(StepPart::kAllReduce)] -
         seconds_per_step[static_cast<int>(StepPart::kControl)];
}

void StepTimer::BeginStep(bool sampled) {
  timing_ = times_every_step() || sampled;
  if (!timing_) return;
  if (device_sync_) device_sync_();
  last_mark_ = Clock::now();
}

void StepTimer::Mark(StepPart part) {
  if (!timing_) return;
  if (device_sync_) device_sync_();
  const Clock::time_point now = Clock::now();
  current_seconds_[static_cast<int>(part)] += std::chrono::duration<double>(now - last_mark_).count();
  last_mark_ = now;
}

void StepTimer::Move(StepPart from, StepPart to, double seconds) {
  if (!timing_) return;
  current_seconds_[static_cast<int>(from)] -= seconds;
  current_seconds_[static_cast<int>(to)] += seconds;
}

void StepTimer::EndStep() {
  if (!timing_) return;
  Mark(StepPart::kOther);
  for (int part = 0; part < kStepParts; ++part) seconds_[part] += current_seconds_[part];
  current_seconds_.fill(0.0);
  ++steps_;
  timing_ = false;
}

StepWindow StepTimer::TakeWindow() {
  StepWindow window;
  window.steps = steps_;
  for (int part = 0; part < kStepParts; ++part) {
    window.seconds_per_step[part] = steps_ > 0 ? seconds_[part] / static_cast<double>(steps_) : 0.0;
  }
  steps_ = 0;
  seconds_.fill(0.0);
  return window;
}

namespace {

Spread SpreadOf(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  const double median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return Spread{values.front(), median, values.back()};
}

}  // namespace

RankBreakdown ReduceBreakdown(const std::vector<StepWindow>& windows_by_rank) {
  RankBreakdown reduced;
  if (windows_by_rank.empty()) return reduced;
  std::vector<double> values(windows_by_rank.size());
  for (int part = 0; part < kStepParts; ++part) {
    for (size_t rank = 0; rank < windows_by_rank.size(); ++rank) {
      values[rank] = windows_by_rank[rank].seconds_per_step[part];
    }
    reduced.parts[part] = SpreadOf(values);
  }
  for (size_t rank = 0; rank < windows_by_rank.size(); ++rank) values[rank] = windows_by_rank[rank].step_seconds();
  reduced.step = SpreadOf(values);
  for (size_t rank = 0; rank < windows_by_rank.size(); ++rank) values[rank] = windows_by_rank[rank].busy_seconds();
  reduced.busy = SpreadOf(values);
  reduced.slowest_rank = static_cast<int>(std::max_element(values.begin(), values.end()) - values.begin());
  reduced.straggler = windows_by_rank.size() > 1 && reduced.busy.max > 1.1 * reduced.busy.median;
  return reduced;
}

}  // namespace strobe
