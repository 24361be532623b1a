#ifndef STROBE_WORKER_OUTPUT_PROGRESS_H_
#define STROBE_WORKER_OUTPUT_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "worker/output/json_line.h"
#include "worker/output/tensorboard/event_file_writer.h"
#include "worker/step_breakdown.h"

namespace strobe {

// The mixing weights λ (the share of each image's own pixels and target) drawn over a report window, all ranks.
struct MixLambdaStats {
  double mean = 0.0;
  double std = 0.0;
};

struct TrainProgress {
  int64_t epoch = 0;  // 0-based
  int64_t epochs = 0;
  int64_t step = 0;   // global step, 1-based count of steps done
  int64_t total_steps = 0;
  double loss = 0.0;  // averaged over ranks and the steps since the last report
  double lr = 0.0;
  double images_per_s = 0.0;  // over all ranks
  double data_wait = 0.0;     // share of the time the training step waited for its batch (the slowest rank's)
  double eta_seconds = 0.0;
  int64_t samples = 0;        // samples trained over all ranks since the run began (steps x global batch)
  double momentum = 0.0;      // of the last step
  int64_t skipped_steps = 0;  // non-finite steps skipped since this process started (or resumed)
  std::optional<double> adascale_gain;
  std::optional<MixLambdaStats> mix_lambda;  // when a mixing method is on
  std::optional<RankBreakdown> breakdown;    // once every rank has timed a step in the window
  std::string slowest_host;                  // the host of breakdown->slowest_rank, when known
};

// One number of a report: a key of its metrics.jsonl line and, as "KIND/KEY", a TensorBoard scalar.
struct ReportedNumber {
  std::string key;
  double value = 0.0;
  bool integer = false;
};
// The numbers of a training report, in the order metrics.jsonl lists them.
std::vector<ReportedNumber> TrainNumbers(const TrainProgress& progress);

// One evaluation's figures.
struct EvalScores {
  double loss = 0.0;
  double accuracy = 0.0;  // top-1; for regression, of the rounded prediction
  double top5 = 0.0;      // classification only
  double mae = 0.0;       // regression only
  double rmse = 0.0;      // regression only
};

struct EvalProgress {
  int64_t epoch = 0;
  int64_t step = 0;
  int64_t samples = 0;
  bool regression = false;
  EvalScores test;               // the trained weights
  std::optional<EvalScores> ema;  // their moving average (--ema_decay), evaluated the same way
};

// What rank 0 tells the user and the run directory. On a terminal the training line is rewritten in place;
// otherwise (a log file, a batch system) each report is a plain line. Every report is also appended to the
// metrics file as one JSON object per line, with the wall time ("time", seconds since the epoch) and "elapsed_s"
// (seconds since this process began reporting), flushed at once so a crashed run keeps its history; and, once
// WriteTensorBoard() is called, train and eval reports go to TensorBoard as scalars too.
class ProgressReporter {
 public:
  // An empty metrics_path writes no metrics file.
  ProgressReporter(std::FILE* out, bool is_terminal, const std::string& metrics_path);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // TensorBoard from now on. A write that fails (a full disk) is reported once and ends the TensorBoard output;
  // training and metrics.jsonl go on.
  void WriteTensorBoard(std::unique_ptr<EventFileWriter> events) { events_ = std::move(events); }

  void Train(const TrainProgress& progress);
  void Eval(const EvalProgress& progress);
  // Something the run did that a reader of the log must know (a resume, a checkpoint, an LR override, a rejected
  // control file): printed as "strobe: <message>" and recorded as {"kind": KIND, "step": STEP, "message": ...}.
  void Event(const std::string& kind, int64_t step, const std::string& message);
  // The same record in the metrics file only, for what the caller prints itself (the error that ends a run).
  void Record(const std::string& kind, int64_t step, const std::string& message);

 private:
  std::FILE* out_;
  bool is_terminal_;
  bool line_open_ = false;
  std::FILE* metrics_ = nullptr;
  std::unique_ptr<EventFileWriter> events_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();

  void AppendMetrics(JsonLine line);
  void WriteEvents(const std::string& kind, int64_t step, const std::vector<ReportedNumber>& numbers);
};

std::string FormatDuration(double seconds);

}  // namespace strobe

#endif  // STROBE_WORKER_OUTPUT_PROGRESS_H_
