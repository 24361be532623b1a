#include "worker/output/progress.h"

#include <cmath>

#include "absl/strings/str_format.h"
#include "worker/output/json_line.h"

namespace strobe {

std::string FormatDuration(double seconds) {
  const auto total = static_cast<int64_t>(std::max(0.0, std::round(seconds)));
  return absl::StrFormat("%d:%02d:%02d", total / 3600, (total / 60) % 60, total % 60);
}

ProgressReporter::ProgressReporter(std::FILE* out, bool is_terminal, const std::string& metrics_path)
    : out_(out), is_terminal_(is_terminal) {
  if (!metrics_path.empty()) metrics_ = std::fopen(metrics_path.c_str(), "a");
}

ProgressReporter::~ProgressReporter() {
  if (metrics_ != nullptr) std::fclose(metrics_);
}

void ProgressReporter::AppendMetrics(const std::string& json_line) {
  if (metrics_ == nullptr) return;
  std::fprintf(metrics_, "%s\n", json_line.c_str());
  std::fflush(metrics_);
}

void ProgressReporter::Train(const TrainProgress& p) {
  const std::string line = absl::StrFormat(
      "epoch %d/%d step %d/%d loss %.4f lr %.5f %.0f img/s data wait %.0f%% eta %s", p.epoch + 1, p.epochs, p.step,
      p.total_steps, p.loss, p.lr, p.images_per_s, 100 * p.data_wait, FormatDuration(p.eta_seconds));
  if (is_terminal_) {
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    line_open_ = true;
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
  AppendMetrics(JsonLine()
                    .Add("kind", "train")
                    .Add("epoch", p.epoch)
                    .Add("step", p.step)
                    .Add("loss", p.loss)
                    .Add("lr", p.lr)
                    .Add("images_per_s", p.images_per_s)
                    .Add("data_wait", p.data_wait)
                    .str());
}

void ProgressReporter::Eval(const EvalProgress& p) {
  if (line_open_) std::fprintf(out_, "\n");
  line_open_ = false;
  std::fputs(absl::StrFormat("epoch %d test accuracy %.4f loss %.4f (%d images)\n", p.epoch + 1, p.test_accuracy,
                             p.test_loss, p.samples)
                 .c_str(),
             out_);
  std::fflush(out_);
  AppendMetrics(JsonLine()
                    .Add("kind", "eval")
                    .Add("epoch", p.epoch)
                    .Add("step", p.step)
                    .Add("test_loss", p.test_loss)
                    .Add("test_accuracy", p.test_accuracy)
                    .Add("test_samples", p.samples)
                    .str());
}

void ProgressReporter::Event(const std::string& kind, int64_t step, const std::string& message) {
  if (line_open_) std::fprintf(out_, "\n");
  line_open_ = false;
  std::fprintf(out_, "strobe: %s\n", message.c_str());
  std::fflush(out_);
  Record(kind, step, message);
}

void ProgressReporter::Record(const std::string& kind, int64_t step, const std::string& message) {
  AppendMetrics(JsonLine().Add("kind", kind).Add("step", step).Add("message", message).str());
}

}  // namespace strobe
