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
  const SampleRange shard = EvalShard(dataset.size(), communicator.rank(), communicator.world_size());
  int64_t correct = 0;
  int64_t correct_top5 = 0;
  double loss_sum = 0.0;
  for (int64_t begin = shard.begin; begin < shard.end; begin += batch_size) {
    const int64_t end = std::min(shard.end, begin + batch_size);
    const torch::Tensor indices = torch::arange(begin, end, torch::kLong);
    const Batch batch = FetchBatch(dataset, indices, BatchDraw{});
    const torch::Tensor labels = placement.ToDevice(batch.labels);
    torch::Tensor logits;
    {
      AutocastScope autocast(placement.device.type(), placement.precision);
      logits = model.forward(placement.Images(dataset.Normalize(placement.ToDevice(batch.images))));
    }
    logits = logits.to(torch::kFloat);
    correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
    const int64_t k = std::min<int64_t>(5, logits.size(1));
    const torch::Tensor top_k = std::get<1>(logits.topk(k, 1));
    correct_top5 += top_k.eq(labels.unsqueeze(1)).any(1).sum().item<int64_t>();
    loss_sum += CrossEntropy(logits, labels).item<double>() * static_cast<double>(end - begin);
  }
  model.train(was_training);

  torch::Tensor counts = torch::tensor({shard.size(), correct, correct_top5}, torch::kLong);
  torch::Tensor loss = torch::tensor({loss_sum}, torch::kDouble);
  communicator.AllReduce(counts, ReduceOp::kSum);
  communicator.AllReduce(loss, ReduceOp::kSum);
  return EvalResult{counts[0].item<int64_t>(), counts[1].item<int64_t>(), loss.item<double>(),
                    counts[2].item<int64_t>()};
}

void SyncModelBuffers(Classifier& model, Communicator& communicator) {
  AverageTensors(communicator, model.buffers());
}

}  // namespace strobe
