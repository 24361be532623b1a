#ifndef STROBE_APP_PLOT_COMMAND_H_
#define STROBE_APP_PLOT_COMMAND_H_

#include <string>
#include <vector>

namespace strobe {

// `strobe plot RUN_DIR... [--output=DIR]`: the curves of one or more runs from their metrics.jsonl, one line per
// run on each chart (e.g. a CutMix run against a Mixup run): train loss, test accuracy, LR with momentum,
// throughput with data wait, and the step time breakdown, each against steps (NAME.png) and against wall-clock
// minutes (NAME_time.png), with the data of each chart in NAME.csv next to it. Works on a live run (the report
// being written is left out). DIR defaults to the first run's RUN_DIR/plots; the command rewrites its own chart
// files there and nothing else.
int RunPlotCommand(const std::vector<std::string>& run_dirs);

}  // namespace strobe

#endif  // STROBE_APP_PLOT_COMMAND_H_
