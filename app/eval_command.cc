#include "app/eval_command.h"

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "app/checkpoint_model.h"
#include "app/gnuplot.h"
#include "app/run_setup.h"
#include "app/shared_model.h"
#include "app/train_flags.h"
#include "ops/status_agreement.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/device_placement.h"
#include "worker/evaluator.h"
#include "worker/file_system.h"
#include "worker/models/model_options.h"
#include "worker/models/torchscript_model.h"
#include "worker/output/json_line.h"
#include "worker/output/metrics_file.h"
#include "worker/trainer.h"

ABSL_FLAG(std::string, eval_split, "test", "eval: the split to evaluate, test (val/ for an image folder) or train.");

namespace strobe {
namespace {

struct EvaluatedModel {
  std::shared_ptr<Classifier> model;
  uint32_t identity = 0;  // a CRC-32 of what defines the weights (the checkpoint's model.pt, the TorchScript file)
};

// IDX data is normalised by the statistics of its training split as cut by --train_samples: a checkpoint is
// evaluated as it was trained only with the run's value.
absl::Status CheckSameNormalisation(const VerifiedCheckpoint& checkpoint, const DataOptions& data) {
  absl::StatusOr<MetricsLine> config = ParseMetricsLine(checkpoint.manifest.Get("config"));
  const std::optional<double> trained = config.ok() ? config->Get("train_samples") : std::nullopt;
  if (!trained.has_value() || static_cast<int64_t>(*trained) == data.train_samples) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "checkpoint %s was trained with --train_samples=%d, whose images' statistics normalise its inputs: pass "
      "--train_samples=%d to evaluate it as it was trained",
      checkpoint.path, static_cast<int64_t>(*trained), static_cast<int64_t>(*trained)));
}

// The model --model names, built on this rank: a checkpoint directory's trained model, or a TorchScript file.
absl::StatusOr<EvaluatedModel> LoadEvaluatedModel(const std::string& model, int64_t outputs,
                                                  const DataOptions& options, const SampleSource& data) {
  if (IsDirectory(model)) {
    absl::StatusOr<VerifiedCheckpoint> checkpoint = VerifyCheckpoint(model);
    if (!checkpoint.ok()) return checkpoint.status();
    if (absl::Status same = CheckSameNormalisation(*checkpoint, options); !same.ok()) return same;
    absl::StatusOr<std::shared_ptr<Classifier>> loaded =
        LoadCheckpointModel(*checkpoint, data.channels(), outputs, "", EmaFlag());
    if (!loaded.ok()) return loaded.status();
    uint32_t identity = 0;
    for (const ManifestFile& file : checkpoint->manifest.files()) {
      if (file.name == "model.pt" || (EmaFlag() && file.name == "ema.pt")) identity ^= file.crc32;
    }
    return EvaluatedModel{*loaded, identity};
  }
  if (EmaFlag()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--ema takes a checkpoint's moving average of the weights; --model=%s is not a checkpoint",
                        model));
  }
  if (IsTorchScriptPath(model)) {
    absl::StatusOr<std::shared_ptr<TorchScriptClassifier>> loaded = LoadTorchScriptModel(model);
    if (!loaded.ok()) return loaded.status();
    return EvaluatedModel{*loaded, (*loaded)->file_crc32()};
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "--model=%s: strobe eval needs trained weights: a checkpoint directory (RUN_DIR/checkpoints/step-N) or a "
      "TorchScript file (PATH.pt)",
      model));
}

double Ratio(int64_t part, int64_t whole) { return whole > 0 ? static_cast<double>(part) / whole : 0.0; }

std::string EvalJson(const std::string& model, const std::string& data, const std::string& split,
                     const EvalResult& result, const TaskOptions& task) {
  std::vector<std::string> classes;
  for (size_t c = 0; c < result.class_samples.size(); ++c) {
    classes.push_back(JsonLine()
                          .Add("class", static_cast<int64_t>(c))
                          .Add("images", result.class_samples[c])
                          .Add("correct", result.class_correct[c])
                          .Add("accuracy", Ratio(result.class_correct[c], result.class_samples[c]))
                          .str());
  }
  JsonLine json;
  json.Add("model", model).Add("data", data).Add("split", split).Add("task", TaskOptions::TaskName(task.task));
  json.Add("images", result.samples).Add("top1", result.accuracy());
  if (task.regression()) {
    json.Add("mae", result.mae()).Add("rmse", result.rmse());
  } else {
    json.Add("top5", result.top5_accuracy());
  }
  json.Add("loss", result.mean_loss()).AddJson("per_class", "[" + absl::StrJoin(classes, ",") + "]");
  return json.str() + "\n";
}

void PrintResult(const std::string& model, const std::string& split, const EvalResult& result, int world_size,
                 const TaskOptions& task) {
  const std::string scores =
      task.regression() ? absl::StrFormat("MAE %.4f, RMSE %.4f, rounded accuracy %.4f", result.mae(), result.rmse(),
                                          result.accuracy())
                        : absl::StrFormat("top-1 %.4f, top-5 %.4f", result.accuracy(), result.top5_accuracy());
  std::printf("strobe: eval of %s on the %s split: %d images on %d rank(s), %s, loss %.4f\n", model.c_str(),
              split.c_str(), static_cast<int>(result.samples), world_size, scores.c_str(), result.mean_loss());
  for (size_t c = 0; c < result.class_samples.size(); ++c) {
    std::printf("  class %3d: %.4f (%d of %d)\n", static_cast<int>(c),
                Ratio(result.class_correct[c], result.class_samples[c]), static_cast<int>(result.class_correct[c]),
                static_cast<int>(result.class_samples[c]));
  }
}

}  // namespace

int RunEvalCommand(const DistributedContext& context) {
  absl::StatusOr<TrainConfig> parsed = TrainConfigFromFlags();
  if (!parsed.ok()) return Fail(context, parsed.status(), kExitBadFlags);
  const TrainConfig& config = *parsed;
  const std::string split = absl::GetFlag(FLAGS_eval_split);
  const std::string output = OutputFlag();
  absl::Status flags = config.data.Validate();
  if (flags.ok()) flags = config.device.Validate();
  if (flags.ok() && split != "test" && split != "train") {
    flags = absl::InvalidArgumentError(absl::StrFormat("--eval_split=%s is not one of test, train", split));
  }
  if (flags.ok() && !output.empty()) flags = CheckNothingAt(output);
  if (!flags.ok()) return Fail(context, flags, kExitBadFlags);
  SetCpuThreads(config, context);
  absl::StatusOr<c10::Device> device = ResolveTrainingDevice(config.device.device, context);
  if (!device.ok()) return Fail(context, device.status(), kExitBadFlags);
  absl::StatusOr<std::unique_ptr<Communicator>> communicator = ConnectRanks(context, *device, config.device.amp);
  if (!communicator.ok()) return Fail(context, communicator.status(), kExitFailure);
  Communicator& comm = **communicator;

  absl::StatusOr<TrainData> data = LoadTrainData(config, context.world_size);
  if (absl::Status agreed = AgreeOnStatus(comm, data.status()); !agreed.ok()) return Fail(context, agreed, 1);
  SampleSource& evaluated = split == "test" ? *data->test : *data->train;
  absl::StatusOr<EvaluatedModel> model =
      LoadEvaluatedModel(config.model.name, config.task.ModelOutputs(evaluated.num_classes()), config.data, evaluated);
  if (absl::Status agreed = AgreeOnStatus(comm, model.status()); !agreed.ok()) {
    return Fail(context, agreed, ExitCodeFor(agreed));
  }
  absl::Status same = CheckSameFileEverywhere(comm, config.model.name, model->identity);
  if (same.ok()) same = CheckTakesTheData(comm, *model->model, config.model.name, config.task, evaluated);
  if (!same.ok()) return Fail(context, same, ExitCodeFor(same));

  const Placement placement{*device, config.device.channels_last, config.device.amp};
  PlaceModel(*model->model, placement);
  const EvalResult result =
      EvaluateDistributed(*model->model, evaluated, comm, config.data.eval_batch, placement, config.task);
  absl::Status written;
  if (context.rank == 0) {
    PrintResult(config.model.name, split, result, context.world_size, config.task);
    if (!output.empty()) {
      written = WriteFileAtomically(output, EvalJson(config.model.name, config.data.dir, split, result, config.task));
      if (written.ok()) std::printf("strobe: wrote %s\n", output.c_str());
    }
  }
  if (absl::Status agreed = AgreeOnStatus(comm, written); !agreed.ok()) return Fail(context, agreed, kExitFailure);
  return 0;
}

}  // namespace strobe
