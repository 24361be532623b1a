#include "app/plot_command.h"

#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "app/gnuplot.h"
#include "app/run_setup.h"
#include "worker/file_system.h"
#include "worker/output/metrics_file.h"
#include "worker/output/run_directory.h"

namespace strobe {
namespace {

// A run's reports by step; a resumed run trains some steps again and its later report of a step wins.
struct RunMetrics {
  std::string label;
  std::map<int64_t, MetricsLine> train;
  std::map<int64_t, MetricsLine> eval;
  double first_time = 0.0;  // of the run's first line: wall time is drawn as minutes since then
};

absl::StatusOr<RunMetrics> LoadRun(const std::string& run_dir, const std::string& label) {
  absl::StatusOr<std::vector<MetricsLine>> lines = ReadMetricsFile(JoinPath(run_dir, kMetricsFileName));
  if (!lines.ok()) return lines.status();
  RunMetrics run{label, {}, {}, 0.0};
  for (const MetricsLine& line : *lines) {
    const std::optional<double> step = line.Get("step");
    const std::optional<double> time = line.Get("time");
    if (time.has_value() && run.first_time == 0.0) run.first_time = *time;
    if (!step.has_value()) continue;
    if (line.kind == "train") run.train[static_cast<int64_t>(*step)] = line;
    if (line.kind == "eval") run.eval[static_cast<int64_t>(*step)] = line;
  }
  return run;
}

// One column of a chart: x -> y.
struct Series {
  std::string header;
  std::map<double, double> points;
};

enum class Axis { kSteps, kWallMinutes };

Series SeriesOf(const RunMetrics& run, const std::map<int64_t, MetricsLine>& lines, const std::string& key,
                Axis axis) {
  Series series{absl::StrCat(run.label, " ", key), {}};
  for (const auto& [step, line] : lines) {
    const std::optional<double> y = line.Get(key);
    const std::optional<double> time = line.Get("time");
    if (!y.has_value()) continue;
    if (axis == Axis::kSteps) {
      series.points[static_cast<double>(step)] = *y;
    } else if (time.has_value()) {
      series.points[(*time - run.first_time) / 60.0] = *y;
    }
  }
  return series;
}

// x in the first column, one column per series, rows at every x any series has (empty cells elsewhere: gnuplot
// draws each line through its own points).
absl::Status WriteCsv(const std::string& path, const std::string& x_header, const std::vector<Series>& columns) {
  std::set<double> xs;
  std::vector<std::string> headers = {x_header};
  for (const Series& series : columns) {
    headers.push_back(series.header);
    for (const auto& point : series.points) xs.insert(point.first);
  }
  std::string csv = absl::StrCat(absl::StrJoin(headers, ","), "\n");
  for (double x : xs) {
    absl::StrAppendFormat(&csv, "%.10g", x);
    for (const Series& series : columns) {
      const auto found = series.points.find(x);
      absl::StrAppend(&csv, ",", found == series.points.end() ? "" : absl::StrFormat("%.9g", found->second));
    }
    absl::StrAppend(&csv, "\n");
  }
  return WriteFileAtomically(path, csv);
}

struct ChartSpec {
  std::string name;
  std::string title;
  std::string y_label;
  bool from_eval;
  std::vector<std::string> keys;
  std::vector<std::string> y2_keys;  // on the right-hand axis
};

const std::vector<ChartSpec>& Charts() {
  static const std::vector<ChartSpec> kCharts = {
      {"loss", "training loss (mean over ranks)", "loss", false, {"loss"}, {}},
      {"accuracy", "test accuracy, top-1 and top-5", "accuracy", true, {"test_accuracy", "test_top5"}, {}},
      {"lr", "learning rate (solid) and momentum (dashed, right axis)", "learning rate", false, {"lr"}, {"momentum"}},
      {"throughput", "throughput (solid) and data wait share (dashed, right axis)", "images/s", false,
       {"images_per_s"}, {"data_wait"}},
      {"breakdown", "where a step's time goes (median over ranks)", "ms per step", false,
       {"step_ms_median", "data_wait_ms_median", "mixing_ms_median", "forward_ms_median", "backward_ms_median",
        "allreduce_ms_median", "optimizer_ms_median", "checkpoint_ms_median"},
       {}},
  };
  return kCharts;
}

// Draws one chart; false (with the reason printed) when no run has its data yet.
absl::StatusOr<bool> DrawChart(const ChartSpec& spec, Axis axis, const std::vector<RunMetrics>& runs,
                               const std::string& directory) {
  std::vector<Series> columns;
  for (const std::string& key : spec.keys) {
    for (const RunMetrics& run : runs) {
      columns.push_back(SeriesOf(run, spec.from_eval ? run.eval : run.train, key, axis));
    }
  }
  const size_t y_count = columns.size();
  for (const std::string& key : spec.y2_keys) {
    for (const RunMetrics& run : runs) columns.push_back(SeriesOf(run, run.train, key, axis));
  }
  bool any = false;
  for (size_t i = 0; i < y_count; ++i) any = any || !columns[i].points.empty();
  if (!any) return false;
  const std::string base = JoinPath(directory, spec.name + (axis == Axis::kSteps ? "" : "_time"));
  LineChart chart;
  chart.csv_path = base + ".csv";
  chart.png_path = base + ".png";
  chart.title = spec.title;
  chart.x_label = axis == Axis::kSteps ? "step" : "wall-clock minutes since the run's first report";
  chart.y_label = spec.y_label;
  if (absl::Status written = WriteCsv(chart.csv_path, axis == Axis::kSteps ? "step" : "minutes", columns);
      !written.ok()) {
    return written;
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].points.empty()) continue;  // gnuplot refuses a column without points
    (i < y_count ? chart.y_columns : chart.y2_columns).push_back(static_cast<int>(i) + 2);
  }
  if (absl::Status drawn = RenderLineChart(chart); !drawn.ok()) return drawn;
  return true;
}

// Labels the runs by their directory names, or by their paths where two names are alike.
std::vector<std::string> RunLabels(const std::vector<std::string>& run_dirs) {
  std::map<std::string, int> name_count;
  std::vector<std::string> names;
  for (std::string dir : run_dirs) {
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    const size_t slash = dir.rfind('/');
    names.push_back(slash == std::string::npos ? dir : dir.substr(slash + 1));
    ++name_count[names.back()];
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (name_count[names[i]] > 1) names[i] = run_dirs[i];
  }
  return names;
}

// A single-process command: it fails as rank 0 of a job of one.
int Fail(const absl::Status& status) { return Fail(DistributedContext{}, status, kExitFailure); }

}  // namespace

int RunPlotCommand(const std::vector<std::string>& run_dirs) {
  const std::vector<std::string> labels = RunLabels(run_dirs);
  std::vector<RunMetrics> runs;
  for (size_t i = 0; i < run_dirs.size(); ++i) {
    absl::StatusOr<RunMetrics> run = LoadRun(run_dirs[i], labels[i]);
    if (!run.ok()) return Fail(run.status());
    runs.push_back(*std::move(run));
  }
  const std::string flag = OutputFlag();
  const std::string directory = flag.empty() ? JoinPath(run_dirs.front(), "plots") : flag;
  if (absl::Status made = MakeDirectories(directory); !made.ok()) return Fail(made);
  std::vector<std::string> drawn, empty;
  for (const ChartSpec& spec : Charts()) {
    for (const Axis axis : {Axis::kSteps, Axis::kWallMinutes}) {
      const std::string name = spec.name + (axis == Axis::kSteps ? ".png" : "_time.png");
      absl::StatusOr<bool> done = DrawChart(spec, axis, runs, directory);
      if (!done.ok()) return Fail(done.status());
      (*done ? drawn : empty).push_back(name);
    }
  }
  std::printf("strobe: plotted %zu run(s) into %s: %s\n", runs.size(), directory.c_str(),
              absl::StrJoin(drawn, ", ").c_str());
  if (!empty.empty()) std::printf("strobe: no data yet for %s\n", absl::StrJoin(empty, ", ").c_str());
  return 0;
}

}  // namespace strobe
