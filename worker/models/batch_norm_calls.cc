#include "worker/models/batch_norm_calls.h"

#include <torch/csrc/jit/ir/constants.h>

namespace strobe {
namespace {

bool NormalisesWithBatchStatistics(const torch::jit::Node* node) {
  if (node->kind() != c10::aten::batch_norm) return false;
  const c10::optional<bool> training = torch::jit::constant_as<bool>(node->input(5));
  return !training.has_value() || *training;
}

void CollectBatchNormCalls(torch::jit::Block* block, std::vector<torch::jit::Node*>& calls) {
  for (torch::jit::Node* node : block->nodes()) {
    for (torch::jit::Block* inner : node->blocks()) CollectBatchNormCalls(inner, calls);
    if (NormalisesWithBatchStatistics(node)) calls.push_back(node);
  }
}

}  // namespace

std::vector<torch::jit::Node*> BatchNormCalls(torch::jit::Graph& graph) {
  std::vector<torch::jit::Node*> calls;
  CollectBatchNormCalls(graph.block(), calls);
  return calls;
}

}  // namespace strobe
