#ifndef STROBE_APP_GNUPLOT_H_
#define STROBE_APP_GNUPLOT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strobe {

// One line chart from columns of a comma-separated file with a header row.
struct LineChart {
  std::string csv_path;
  std::string png_path;
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  double y_max = 0.0;              // > 0: clip the y axis there (a diverging loss would flatten the rest)
  int x_column = 1;                // 1-based
  std::vector<int> y_columns;      // 1-based; each a line titled by its header
  std::vector<int> y2_columns;     // the same on a right-hand axis (e.g. momentum next to an LR)
  std::string marker_label;        // non-empty: a vertical line at marker_x with this label
  double marker_x = 0.0;
};

// The chart --output=FILE.png names and its data file FILE.csv, checked: a .png name, and nothing at either path.
struct ChartFiles {
  std::string png_path;
  std::string csv_path;
};
absl::StatusOr<ChartFiles> ChartFilesFor(const std::string& png_path);
// ChartFilesFor(--output), the flag lr-plot and plan share.
absl::StatusOr<ChartFiles> ChartFilesFromFlag();
// --output as given ("" when unset): `strobe plot` takes it as a directory.
std::string OutputFlag();

// Renders `chart` with gnuplot (Debian's gnuplot-nox, which deploy/install.sh installs). The error says how to get
// gnuplot when it is missing; the CSV stays either way.
absl::Status RenderLineChart(const LineChart& chart);

}  // namespace strobe

#endif  // STROBE_APP_GNUPLOT_H_
