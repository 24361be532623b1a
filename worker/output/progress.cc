#include "worker/output/progress.h"

#include <cmath>

#include "absl/strings/str_format.h"
#include "worker/wall_clock.h"

namespace strobe {
namespace {

void AddSpread(std::vector<ReportedNumber>& numbers, const std::string& name, const Spread& spread) {
  numbers.push_back({name + "_ms_min", 1e3 * spread.min});
  numbers.push_back({name + "_ms_median", 1e3 * spread.median});
  numbers.push_back({name + "_ms_max", 1e3 * spread.max});
}

JsonLine WithNumbers(JsonLine line, const std::vector<ReportedNumber>& numbers) {
  for (const ReportedNumber& number : numbers) {
    if (number.integer) {
      line.Add(number.key, static_cast<int64_t>(number.value));
    } else {
      line.Add(number.key, number.value);
    }
  }
  return line;
}

// " | straggler: rank 1 (node7) busy 230 ms per step, median 120 ms", or "" when no rank lags.
std::string StragglerNote(const TrainProgress& p) {
  if (!p.breakdown.has_value() || !p.breakdown->straggler) return "";
  const RankBreakdown& b = *p.breakdown;
  return absl::StrFormat(" | straggler: rank %d (%s) busy %.0f ms per step, median %.0f ms", b.slowest_rank,
                         p.slowest_host.empty() ? "host unknown" : p.slowest_host, 1e3 * b.busy.max,
                         1e3 * b.busy.median);
}

// "accuracy 0.9012 (top-5 0.9987) loss 0.2710", or for regression "MAE 0.4744 RMSE 0.9438 rounded accuracy
// 0.7625 loss 0.8907".
std::string DescribeScores(const EvalScores& s, bool regression) {
  return regression ? absl::StrFormat("MAE %.4f RMSE %.4f rounded accuracy %.4f loss %.4f", s.mae, s.rmse,
                                      s.accuracy, s.loss)
                    : absl::StrFormat("accuracy %.4f (top-5 %.4f) loss %.4f", s.accuracy, s.top5, s.loss);
}

// metrics.jsonl's keys for one evaluation: PREFIX + loss, accuracy, and top5 or mae and rmse.
std::vector<ReportedNumber> ScoreNumbers(const std::string& prefix, const EvalScores& s, bool regression) {
  std::vector<ReportedNumber> numbers = {{prefix + "loss", s.loss}, {prefix + "accuracy", s.accuracy}};
  if (regression) {
    numbers.push_back({prefix + "mae", s.mae});
    numbers.push_back({prefix + "rmse", s.rmse});
  } else {
    numbers.push_back({prefix + "top5", s.top5});
  }
  return numbers;
}

}  // namespace

std::string FormatDuration(double seconds) {
  const auto total = static_cast<int64_t>(std::max(0.0, std::round(seconds)));
  return absl::StrFormat("%d:%02d:%02d", total / 3600, (total / 60) % 60, total % 60);
}

std::vector<ReportedNumber> TrainNumbers(const TrainProgress& p) {
  std::vector<ReportedNumber> numbers = {
      {"samples", static_cast<double>(p.samples), true},
      {"loss", p.loss},
      {"lr", p.lr},
      {"momentum", p.momentum},
      {"images_per_s", p.images_per_s},
      {"data_wait", p.data_wait},
      {"skipped_steps", static_cast<double>(p.skipped_steps), true},
  };
  if (p.adascale_gain.has_value()) numbers.push_back({"adascale_gain", *p.adascale_gain});
  if (p.mix_lambda.has_value()) {
    numbers.push_back({"mix_lambda_mean", p.mix_lambda->mean});
    numbers.push_back({"mix_lambda_std", p.mix_lambda->std});
  }
  if (p.breakdown.has_value()) {
    const RankBreakdown& b = *p.breakdown;
    AddSpread(numbers, "step", b.step);
    for (int part = 0; part < kStepParts; ++part) {
      AddSpread(numbers, std::string(StepPartName(static_cast<StepPart>(part))), b.parts[part]);
    }
    AddSpread(numbers, "busy", b.busy);
    numbers.push_back({"slowest_rank", static_cast<double>(b.slowest_rank), true});
    numbers.push_back({"straggler", b.straggler ? 1.0 : 0.0, true});
  }
  return numbers;
}

ProgressReporter::ProgressReporter(std::FILE* out, bool is_terminal, const std::string& metrics_path)
    : out_(out), is_terminal_(is_terminal) {
  if (!metrics_path.empty()) metrics_ = std::fopen(metrics_path.c_str(), "a");
}

ProgressReporter::~ProgressReporter() {
  if (metrics_ != nullptr) std::fclose(metrics_);
}

void ProgressReporter::AppendMetrics(JsonLine line) {
  if (metrics_ == nullptr) return;
  line.AddTimes(start_);
  std::fprintf(metrics_, "%s\n", line.str().c_str());
  std::fflush(metrics_);
}

void ProgressReporter::WriteEvents(const std::string& kind, int64_t step, const std::vector<ReportedNumber>& numbers) {
  if (events_ == nullptr) return;
  std::vector<std::pair<std::string, double>> scalars;
  for (const ReportedNumber& number : numbers) scalars.emplace_back(kind + "/" + number.key, number.value);
  if (absl::Status written = events_->WriteScalars(step, UnixSecondsNow(), scalars); !written.ok()) {
    events_.reset();  // a half-written record ends the file's readable part: write no more after it
    Event("warning", step,
          absl::StrFormat("TensorBoard output stopped (training goes on): %s", written.message()));
  }
}

void ProgressReporter::Train(const TrainProgress& p) {
  const std::string line = absl::StrFormat(
      "epoch %d/%d step %d/%d loss %.4f lr %.5f %.0f img/s data wait %.0f%% eta %s%s", p.epoch + 1, p.epochs, p.step,
      p.total_steps, p.loss, p.lr, p.images_per_s, 100 * p.data_wait, FormatDuration(p.eta_seconds),
      StragglerNote(p));
  if (is_terminal_) {
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    line_open_ = true;
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
  const std::vector<ReportedNumber> numbers = TrainNumbers(p);
  AppendMetrics(WithNumbers(JsonLine().Add("kind", "train").Add("epoch", p.epoch).Add("step", p.step), numbers));
  WriteEvents("train", p.step, numbers);
}

void ProgressReporter::Eval(const EvalProgress& p) {
  if (line_open_) std::fprintf(out_, "\n");
  line_open_ = false;
  std::string line = absl::StrFormat("epoch %d test %s", p.epoch + 1, DescribeScores(p.test, p.regression));
  if (p.ema.has_value()) absl::StrAppend(&line, "; EMA ", DescribeScores(*p.ema, p.regression));
  std::fprintf(out_, "%s (%d images)\n", line.c_str(), static_cast<int>(p.samples));
  std::fflush(out_);
  std::vector<ReportedNumber> numbers = ScoreNumbers("test_", p.test, p.regression);
  if (p.ema.has_value()) {
    for (const ReportedNumber& number : ScoreNumbers("ema_test_", *p.ema, p.regression)) numbers.push_back(number);
  }
  numbers.push_back({"test_samples", static_cast<double>(p.samples), true});
  AppendMetrics(WithNumbers(JsonLine().Add("kind", "eval").Add("epoch", p.epoch).Add("step", p.step), numbers));
  WriteEvents("eval", p.step, numbers);
}

void ProgressReporter::Event(const std::string& kind, int64_t step, const std::string& message) {
  if (line_open_) std::fprintf(out_, "\n");
  line_open_ = false;
  std::fprintf(out_, "strobe: %s\n", message.c_str());
  std::fflush(out_);
  Record(kind, step, message);
}

void ProgressReporter::Record(const std::string& kind, int64_t step, const std::string& message) {
  AppendMetrics(JsonLine().Add("kind", kind).Add("step", step).Add("message", message));
}

}  // namespace strobe
