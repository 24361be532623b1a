#ifndef STROBE_TESTS_SUPPORT_TENSOR_CHECKS_H_
#define STROBE_TESTS_SUPPORT_TENSOR_CHECKS_H_

#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

namespace strobe::testing {

// The same shape and the same bytes: what "bitwise the same" means in the fused kernels' tests (NaN included,
// which torch::equal would call unequal).
inline bool SameBits(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() &&
         std::memcmp(a.contiguous().data_ptr(), b.contiguous().data_ptr(), a.nbytes()) == 0;
}

// How many nodes of the autograd graph that produced `output` have `name_part` in their name: which kernels a
// forward pass actually ran, where the results alone cannot tell (a fused kernel and its fallback agree bitwise).
inline int64_t CountAutogradNodes(const torch::Tensor& output, const std::string& name_part) {
  std::vector<torch::autograd::Node*> pending{output.grad_fn().get()};
  std::unordered_set<torch::autograd::Node*> seen;
  int64_t count = 0;
  while (!pending.empty()) {
    torch::autograd::Node* node = pending.back();
    pending.pop_back();
    if (node == nullptr || !seen.insert(node).second) continue;
    if (node->name().find(name_part) != std::string::npos) ++count;
    for (const torch::autograd::Edge& edge : node->next_edges()) pending.push_back(edge.function.get());
  }
  return count;
}

}  // namespace strobe::testing

#endif  // STROBE_TESTS_SUPPORT_TENSOR_CHECKS_H_
