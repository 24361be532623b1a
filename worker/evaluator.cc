#include "worker/evaluator.h"

#include <torch/torch.h>

#include "coordinator/shard_plan.h"
#include "ops/gradient_bucketer.h"

namespace strobe {

namespace {

// One batch's contribution: hits [3, n] (ones, top-1, top-5 per sample) and the sums of loss and errors.
struct BatchScores {
  torch::Tensor hits;
  torch::Tensor sums;  // double [3]: loss x n, |error|, error^2 (the errors for regression only)
};

BatchScores Score(const torch::Tensor& outputs, const torch::Tensor& labels, const TaskOptions& task,
                  int64_t classes) {
  const double n = static_cast<double>(labels.size(0));
  const double loss = task.Loss(outputs, task.Targets(labels)).item<double>() * n;
  if (task.regression()) {
    const torch::Tensor predicted = outputs.squeeze(1);
    const torch::Tensor rounded = predicted.round().clamp(0, classes - 1).to(torch::kLong);
    const torch::Tensor errors = (predicted - labels.to(torch::kFloat)).to(torch::kDouble);
    return {torch::stack({torch::ones_like(labels), rounded.eq(labels).to(torch::kLong), torch::zeros_like(labels)}),
            torch::tensor({loss, errors.abs().sum().item<double>(), errors.square().sum().item<double>()},
                          torch::kDouble)};
  }
  const torch::Tensor top_k = std::get<1>(outputs.topk(std::min<int64_t>(5, outputs.size(1)), 1));
  return {torch::stack({torch::ones_like(labels), outputs.argmax(1).eq(labels).to(torch::kLong),
                        top_k.eq(labels.unsqueeze(1)).any(1).to(torch::kLong)}),
          torch::tensor({loss, 0.0, 0.0}, torch::kDouble)};
}

}  // namespace

EvalResult EvaluateDistributed(Classifier& model, SampleSource& dataset, Communicator& communicator,
                               int64_t batch_size, const Placement& placement, const TaskOptions& task) {
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  // Ranks share out whole batches of the split's fixed batching, so every image is computed in the same batch at
  // any world size: its outputs, and every count, are bitwise those of one process.
  const int64_t batches = (dataset.size() + batch_size - 1) / batch_size;
  const SampleRange my_batches = EvalShard(batches, communicator.rank(), communicator.world_size());
  // Counts by label: [samples, top-1 correct, top-5 correct] for each class, summed over ranks in one all-reduce.
  const int64_t classes = dataset.num_classes();
  torch::Tensor counts = torch::zeros({3, classes}, torch::kLong);
  torch::Tensor sums = torch::zeros({3}, torch::kDouble);
  for (int64_t b = my_batches.begin; b < my_batches.end; ++b) {
    const int64_t begin = b * batch_size;
    const int64_t end = std::min(dataset.size(), begin + batch_size);
    const Batch batch = FetchBatch(dataset, torch::arange(begin, end, torch::kLong), BatchDraw{});
    torch::Tensor outputs;
    {
      AutocastScope autocast(placement.device.type(), placement.precision);
      outputs = model.forward(placement.Images(dataset.Normalize(placement.ToDevice(batch.images))));
    }
    const BatchScores scores = Score(outputs.to(torch::kFloat), placement.ToDevice(batch.labels), task, classes);
    counts.index_add_(1, batch.labels, scores.hits.cpu());
    sums += scores.sums;
  }
  model.train(was_training);

  communicator.AllReduce(counts, ReduceOp::kSum);
  communicator.AllReduce(sums, ReduceOp::kSum);
  const torch::Tensor totals = counts.sum(1);
  EvalResult result{totals[0].item<int64_t>(), totals[1].item<int64_t>(), sums[0].item<double>(),
                    totals[2].item<int64_t>()};
  const torch::Tensor by_class = counts.contiguous();
  const int64_t* data = by_class.data_ptr<int64_t>();
  result.class_samples.assign(data, data + classes);
  result.class_correct.assign(data + classes, data + 2 * classes);
  result.abs_error_sum = sums[1].item<double>();
  result.squared_error_sum = sums[2].item<double>();
  return result;
}

void SyncModelBuffers(Classifier& model, Communicator& communicator) {
  AverageTensors(communicator, model.buffers());
}

}  // namespace strobe
