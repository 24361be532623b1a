#ifndef STROBE_WORKER_OUTPUT_PROGRESS_H_
#define STROBE_WORKER_OUTPUT_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

namespace strobe {

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
};

struct EvalProgress {
  int64_t epoch = 0;
  int64_t step = 0;
  int64_t samples = 0;
  double test_loss = 0.0;
  double test_accuracy = 0.0;
};

// What rank 0 tells the user and the run directory. On a terminal the training line is rewritten in place;
// otherwise (a log file, a batch system) each report is a plain line. Every report is also appended to the
// metrics file as one JSON object per line, flushed at once so a crashed run keeps its history.
class ProgressReporter {
 public:
  // An empty metrics_path writes no metrics file.
  ProgressReporter(std::FILE* out, bool is_terminal, const std::string& metrics_path);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

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

  void AppendMetrics(const std::string& json_line);
};

std::string FormatDuration(double seconds);

}  // namespace strobe

#endif  // STROBE_WORKER_OUTPUT_PROGRESS_H_
