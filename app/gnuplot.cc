#include "app/gnuplot.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "worker/file_system.h"

ABSL_FLAG(std::string, output, "",
          "lr-plot and plan: the PNG to write (FILE.png; the data goes to FILE.csv). plot: the directory for the "
          "charts (default: the first run's RUN_DIR/plots). eval: the JSON file of the results (none by default).");

namespace strobe {

absl::StatusOr<ChartFiles> ChartFilesFromFlag() { return ChartFilesFor(absl::GetFlag(FLAGS_output)); }
std::string OutputFlag() { return absl::GetFlag(FLAGS_output); }
namespace {

// gnuplot strings are single-quoted; a quote inside is doubled.
std::string Quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

std::string Script(const LineChart& chart) {
  std::string script = absl::StrCat(
      "set terminal pngcairo size 900,560 noenhanced\n", "set output ", Quoted(chart.png_path), "\n",
      "set datafile separator ','\n", "set key autotitle columnhead\n", "set grid\n", "set title ",
      Quoted(chart.title), "\n", "set xlabel ", Quoted(chart.x_label), "\n", "set ylabel ", Quoted(chart.y_label),
      "\n");
  if (chart.log_x) absl::StrAppend(&script, "set logscale x\n");
  if (chart.y_max > 0) absl::StrAppendFormat(&script, "set yrange [0:%.17g]\n", chart.y_max);
  if (!chart.marker_label.empty()) {
    absl::StrAppendFormat(&script, "set arrow from %.17g, graph 0 to %.17g, graph 1 nohead dashtype 2\n",
                          chart.marker_x, chart.marker_x);
    absl::StrAppendFormat(&script, "set label %s at %.17g, graph 0.95 offset 1,0\n", Quoted(chart.marker_label),
                          chart.marker_x);
  }
  if (!chart.y2_columns.empty()) absl::StrAppend(&script, "set y2tics\nset ytics nomirror\n");
  std::vector<std::string> lines;
  for (int column : chart.y_columns) {
    lines.push_back(absl::StrFormat("%s using %d:%d with lines linewidth 2", Quoted(chart.csv_path),
                                    chart.x_column, column));
  }
  for (int column : chart.y2_columns) {
    lines.push_back(absl::StrFormat("%s using %d:%d axes x1y2 with lines linewidth 2 dashtype 3",
                                    Quoted(chart.csv_path), chart.x_column, column));
  }
  return absl::StrCat(script, "plot ", absl::StrJoin(lines, ", "), "\n");
}

}  // namespace

absl::StatusOr<ChartFiles> ChartFilesFor(const std::string& png_path) {
  if (!absl::EndsWith(png_path, ".png")) {
    return absl::InvalidArgumentError(absl::StrFormat("--output=%s must name a .png file", png_path));
  }
  ChartFiles files{png_path, absl::StrCat(absl::StripSuffix(png_path, ".png"), ".csv")};
  for (const std::string& path : {files.png_path, files.csv_path}) {
    if (absl::Status nothing = CheckNothingAt(path); !nothing.ok()) return nothing;
  }
  return files;
}

absl::Status RenderLineChart(const LineChart& chart) {
  // gnuplot's warnings (a one-point line's "empty x range") matter only when it fails: kept aside until then.
  char log_path[] = "/tmp/strobe_gnuplot_XXXXXX";
  const int log_fd = ::mkstemp(log_path);
  if (log_fd < 0) return absl::UnavailableError("cannot create a temporary file for gnuplot's messages");
  ::close(log_fd);
  std::FILE* gnuplot = ::popen(absl::StrCat("gnuplot 2>", log_path).c_str(), "w");
  if (gnuplot == nullptr) {
    ::unlink(log_path);
    return absl::UnavailableError("cannot start gnuplot");
  }
  const std::string script = Script(chart);
  std::fwrite(script.data(), 1, script.size(), gnuplot);
  const int status = ::pclose(gnuplot);
  const absl::StatusOr<std::string> messages = ReadFile(log_path);
  ::unlink(log_path);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    return absl::UnavailableError(absl::StrFormat(
        "gnuplot is not installed, so %s was not drawn (apt-get install gnuplot-nox; deploy/install.sh installs "
        "it); the data is in %s",
        chart.png_path, chart.csv_path));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrFormat("gnuplot failed to draw %s from %s: %s", chart.png_path,
                                               chart.csv_path, messages.ok() ? *messages : "(no message)"));
  }
  return absl::OkStatus();
}

}  // namespace strobe
