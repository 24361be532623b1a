#include "app/lr_commands.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "app/gnuplot.h"
#include "app/run_setup.h"
#include "app/shared_initial_weights.h"
#include "app/shared_model.h"
#include "app/train_flags.h"
#include "coordinator/lr_options.h"
#include "coordinator/shard_plan.h"
#include "ops/status_agreement.h"
#include "worker/file_system.h"
#include "worker/lr_range_test.h"

ABSL_FLAG(double, lr_find_min, 1e-7, "lr-find: the first LR.");
ABSL_FLAG(double, lr_find_max, 10.0, "lr-find: the last LR.");
ABSL_FLAG(int64_t, lr_find_steps, 100, "lr-find: steps from the first to the last LR (exponential spacing).");
ABSL_FLAG(double, lr_find_divergence, 4.0, "lr-find: stop once the smoothed loss exceeds this x its minimum.");

namespace strobe {
namespace {

LrRangeOptions RangeOptionsFromFlags() {
  LrRangeOptions options;
  options.min_lr = absl::GetFlag(FLAGS_lr_find_min);
  options.max_lr = absl::GetFlag(FLAGS_lr_find_max);
  options.steps = absl::GetFlag(FLAGS_lr_find_steps);
  options.divergence = absl::GetFlag(FLAGS_lr_find_divergence);
  return options;
}

// Rank 0: the CSV, the chart and the summary of a finished range test.
absl::Status ReportLrRange(const TrainConfig& config, const LrRangeResult& result, const std::string& csv_path) {
  std::string csv = "step,lr,loss,smoothed_loss\n";
  for (const LrRangePoint& p : result.points) {
    absl::StrAppendFormat(&csv, "%d,%.9g,%.9g,%.9g\n", p.step, p.lr, p.loss, p.smoothed_loss);
  }
  if (absl::Status written = WriteFileAtomically(csv_path, csv); !written.ok()) return written;
  const std::string png_path = JoinPath(config.run.run_dir, "lr_find.png");
  const absl::Status drawn = RenderLineChart(LineChart{
      csv_path, png_path,
      absl::StrFormat("LR range test: %s, global batch %d", config.model.name, config.run.global_batch),
      "learning rate", "training loss (mean over ranks)", /*log_x=*/true, 2.0 * result.points.front().smoothed_loss, 2, {3, 4}, {},
      absl::StrFormat("suggested %.3g", result.suggested_lr), result.suggested_lr});
  const LrOptions& lr = config.lr;
  const double base_lr =
      lr.scale_lr ? result.suggested_lr * lr.reference_batch / config.run.global_batch : result.suggested_lr;
  std::printf(
      "strobe: lr-find: %d steps%s; lowest smoothed loss at LR %.3g, steepest descent at LR %.3g\n"
      "strobe: suggested peak LR %.3g (lowest-loss LR / 10) for global batch %d: --lr=%.3g%s\n"
      "strobe: wrote %s%s\n",
      static_cast<int>(result.points.size()), result.diverged ? " (stopped: the loss diverged)" : "",
      result.minimum_lr, result.steepest_lr, result.suggested_lr, static_cast<int>(config.run.global_batch), base_lr,
      lr.scale_lr ? absl::StrFormat(" with --scale_lr (reference batch %d)", lr.reference_batch).c_str() : "",
      csv_path.c_str(), drawn.ok() ? (" and " + png_path).c_str() : "");
  if (!drawn.ok()) std::fprintf(stderr, "strobe: warning: %s\n", std::string(drawn.message()).c_str());
  return absl::OkStatus();
}

}  // namespace

int RunLrFindCommand(const DistributedContext& context) {
  absl::StatusOr<TrainConfig> parsed = TrainConfigFromFlags();
  if (!parsed.ok()) return Fail(context, parsed.status(), kExitBadFlags);
  const TrainConfig& config = *parsed;
  const LrRangeOptions options = RangeOptionsFromFlags();
  for (const absl::Status& valid : {config.Validate(context.world_size), ValidateLrRangeOptions(options)}) {
    if (!valid.ok()) return Fail(context, valid, kExitBadFlags);
  }
  const std::string csv_path = JoinPath(config.run.run_dir, "lr_find.csv");
  if (absl::Status nothing = CheckNothingAt(csv_path); !nothing.ok()) return Fail(context, nothing, kExitBadFlags);
  SetCpuThreads(config, context);
  absl::StatusOr<std::unique_ptr<Communicator>> communicator = ConnectRanks(context, c10::kCPU, config.device.amp);
  if (!communicator.ok()) return Fail(context, communicator.status(), kExitFailure);
  Communicator& comm = **communicator;
  WarnAboutUnfusedCpuKernels(comm, context, config, c10::kCPU);
  absl::StatusOr<TrainData> data = LoadTrainData(config, context.world_size);
  absl::Status ready = data.status();
  if (ready.ok() && context.rank == 0) ready = MakeDirectories(config.run.run_dir);
  if (absl::Status agreed = AgreeOnStatus(comm, ready); !agreed.ok()) return Fail(context, agreed, kExitFailure);
  absl::StatusOr<TrainShardPlan> plan =
      TrainShardPlan::Create(data->train->size(), config.run.global_batch, context.world_size);
  if (!plan.ok()) return Fail(context, plan.status(), kExitFailure);

  torch::manual_seed(config.run.seed);
  absl::StatusOr<std::shared_ptr<Classifier>> model =
      MakeSharedModel(comm, config.model, config.task, *data->train, context.rank == 0);
  if (!model.ok()) return Fail(context, model.status(), ExitCodeFor(model.status()));
  if (absl::Status started = StartFromInitialWeights(comm, **model, config.model, data->train->channels(),
                                                     config.task.ModelOutputs(data->train->num_classes()),
                                                     context.rank == 0);
      !started.ok()) {
    return Fail(context, started, kExitFailure);
  }
  absl::StatusOr<LrRangeResult> result = RunLrRangeTest(config, *data, *plan, **model, comm, options);
  if (!result.ok()) return Fail(context, result.status(), kExitFailure);
  absl::Status reported = context.rank == 0 ? ReportLrRange(config, *result, csv_path) : absl::OkStatus();
  if (absl::Status agreed = AgreeOnStatus(comm, reported); !agreed.ok()) return Fail(context, agreed, kExitFailure);
  return 0;
}

int RunLrPlotCommand() {
  const DistributedContext alone{};
  absl::StatusOr<TrainConfig> parsed = TrainConfigFromFlags();
  if (!parsed.ok()) return Fail(alone, parsed.status(), kExitBadFlags);
  TrainConfig config = *parsed;
  absl::StatusOr<ChartFiles> files = ChartFilesFromFlag();
  if (!files.ok()) return Fail(alone, files.status(), kExitBadFlags);
  const std::string& png_path = files->png_path;
  const std::string& csv_path = files->csv_path;
  config.run.run_dir = config.run.run_dir.empty() ? "(lr-plot)" : config.run.run_dir;
  if (absl::Status valid = config.Validate(1); !valid.ok()) return Fail(alone, valid, kExitBadFlags);
  absl::StatusOr<TrainData> data = LoadTrainData(config, 1);
  if (!data.ok()) return Fail(alone, data.status(), kExitFailure);
  absl::StatusOr<TrainShardPlan> plan = TrainShardPlan::Create(data->train->size(), config.run.global_batch, 1);
  if (!plan.ok()) return Fail(alone, plan.status(), kExitFailure);
  const int64_t steps_per_epoch = plan->steps_per_epoch();
  const bool adascale = config.lr.adascale;
  config.lr.adascale = false;  // its gain and progress come from the run's gradients
  absl::StatusOr<LrController> controller =
      MakeLrController(config.lr, LrRunShape{config.run.global_batch, steps_per_epoch, config.run.epochs, 1});
  if (!controller.ok()) return Fail(alone, controller.status(), kExitBadFlags);

  const bool has_momentum = controller->MomentumAt(0).has_value();
  std::string csv = has_momentum ? "step,epoch,lr,momentum\n" : "step,epoch,lr\n";
  double peak_lr = 0.0;
  for (int64_t step = 0; step < steps_per_epoch * config.run.epochs; ++step) {
    peak_lr = std::max(peak_lr, controller->LrAt(step));
    absl::StrAppendFormat(&csv, "%d,%.6f,%.9g", step, static_cast<double>(step) / steps_per_epoch,
                          controller->LrAt(step));
    if (has_momentum) absl::StrAppendFormat(&csv, ",%.9g", *controller->MomentumAt(step));
    csv += "\n";
  }
  if (absl::Status written = WriteFileAtomically(csv_path, csv); !written.ok()) {
    return Fail(alone, written, kExitFailure);
  }
  LineChart chart{csv_path, png_path, "", "epoch", "learning rate", false, 0.0, 2, {3}, {}, "", 0.0};
  if (has_momentum) chart.y2_columns = {4};
  chart.title = absl::StrFormat("--lr_schedule=%s, global batch %d, %d steps/epoch", config.lr.schedule,
                                config.run.global_batch, steps_per_epoch);
  if (adascale || !config.lr.plateau_metric.empty()) chart.title += " (dynamic parts not shown)";
  const absl::Status drawn = RenderLineChart(chart);
  if (!drawn.ok()) return Fail(alone, drawn, kExitFailure);
  std::printf("strobe: wrote %s and %s (%d steps, peak LR %.4g)\n", png_path.c_str(), csv_path.c_str(),
              static_cast<int>(steps_per_epoch * config.run.epochs), peak_lr);
  return 0;
}

}  // namespace strobe
