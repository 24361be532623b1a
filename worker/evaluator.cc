#include "worker/evaluator.h"

#include <torch/torch.h>

#include "coordinator/shard_plan.h"
#include "ops/cross_entropy.h"
#include "ops/gradient_bucketer.h"

namespace strobe {

EvalResult EvaluateDistributed(Classifier& model, SampleSource& dataset, Communicator& communicator,
                               int64_t batch_size, const Placement& placement) {
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  // Ranks share out whole batches of the split's fixed batching, so every image is computed in the same batch at
  // any world size: its logits, and every count, are bitwise those of one process.
  const int64_t batches = (dataset.size() + batch_size - 1) / batch_size;
  const SampleRange my_batches = EvalShard(batches, communicator.rank(), communicator.world_size());
  // Counts by label: [samples, top-1 correct, top-5 correct] for each class, summed over ranks in one all-reduce.
  const int64_t classes = dataset.num_classes();
  torch::Tensor counts = torch::zeros({3, classes}, torch::kLong);
  double loss_sum = 0.0;
  for (int64_t b = my_batches.begin; b < my_batches.end; ++b) {
    const int64_t begin = b * batch_size;
    const int64_t end = std::min(dataset.size(), begin + batch_size);
    const torch::Tensor indices = torch::arange(begin, end, torch::kLong);
    const Batch batch = FetchBatch(dataset, indices, BatchDraw{});
    const torch::Tensor labels = placement.ToDevice(batch.labels);
    torch::Tensor logits;
    {
      AutocastScope autocast(placement.device.type(), placement.precision);
      logits = model.forward(placement.Images(dataset.Normalize(placement.ToDevice(batch.images))));
    }
    logits = logits.to(torch::kFloat);
    const int64_t k = std::min<int64_t>(5, logits.size(1));
    const torch::Tensor top_k = std::get<1>(logits.topk(k, 1));
    const torch::Tensor hits = torch::stack({torch::ones_like(labels), logits.argmax(1).eq(labels).to(torch::kLong),
                                             top_k.eq(labels.unsqueeze(1)).any(1).to(torch::kLong)})
                                   .cpu();
    counts.index_add_(1, batch.labels, hits);
    loss_sum += CrossEntropy(logits, labels).item<double>() * static_cast<double>(end - begin);
  }
  model.train(was_training);

  torch::Tensor loss = torch::tensor({loss_sum}, torch::kDouble);
  communicator.AllReduce(counts, ReduceOp::kSum);
  communicator.AllReduce(loss, ReduceOp::kSum);
  const torch::Tensor totals = counts.sum(1);
  EvalResult result{totals[0].item<int64_t>(), totals[1].item<int64_t>(), loss.item<double>(),
                    totals[2].item<int64_t>()};
  const torch::Tensor by_class = counts.contiguous();
  const int64_t* data = by_class.data_ptr<int64_t>();
  result.class_samples.assign(data, data + classes);
  result.class_correct.assign(data + classes, data + 2 * classes);
  return result;
}

void SyncModelBuffers(Classifier& model, Communicator& communicator) {
  AverageTensors(communicator, model.buffers());
}

}  // namespace strobe
