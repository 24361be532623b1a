#include "worker/models/fuse_batch_norm_relu.h"

#include <torch/csrc/jit/ir/alias_analysis.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/library.h>
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "worker/models/batch_norm_calls.h"
#include "worker/models/batch_norm_relu.h"

namespace strobe {
namespace {

namespace jit = torch::jit;

constexpr char kBatchNormReLUOp[] = "strobe::batch_norm_relu";

// relu(batch_norm(...) [+ residual]), as the fused pair's original operations compute it: `add_in_place` when the
// code added the residual into the normalised tensor (`out += identity`), whose type then stays the output's.
at::Tensor BatchNormReLUOp(const at::Tensor& input, const c10::optional<at::Tensor>& weight,
                           const c10::optional<at::Tensor>& bias, const c10::optional<at::Tensor>& running_mean,
                           const c10::optional<at::Tensor>& running_var, bool training, double momentum, double eps,
                           bool cudnn_enabled, const c10::optional<at::Tensor>& residual, bool add_in_place) {
  const at::Tensor added = residual.value_or(at::Tensor());
  const at::Tensor w = weight.value_or(at::Tensor()), b = bias.value_or(at::Tensor());
  const at::Tensor mean = running_mean.value_or(at::Tensor()), var = running_var.value_or(at::Tensor());
  if (training && CanFuseBatchNormReLU(input, w, b, mean, var, added)) {
    return FusedBatchNormReLU(input, w, b, mean, var, added, momentum, eps);
  }
  at::Tensor output =
      at::batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled);
  if (!added.defined()) return at::relu_(output);
  at::Tensor sum = add_in_place ? output.add_(added) : output + added;
  return at::relu_(sum);
}

// Conservative alias analysis: the JIT must neither drop nor merge a call, which updates the running statistics in
// place.
TORCH_LIBRARY_FRAGMENT(strobe, library) {
  library.def(torch::schema(
      "batch_norm_relu(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, "
      "bool training, float momentum, float eps, bool cudnn_enabled, Tensor? residual, bool add_in_place) -> Tensor",
      c10::AliasAnalysisKind::CONSERVATIVE));
}

// Composite: autograd differentiates through what it calls (the fused kernel has its own backward).
TORCH_LIBRARY_IMPL(strobe, CompositeImplicitAutograd, library) {
  library.impl("batch_norm_relu", &BatchNormReLUOp);
}

bool IsReLU(const jit::Node* node) { return node->kind() == c10::aten::relu || node->kind() == c10::aten::relu_; }

jit::Node* OnlyUser(const jit::Value* value) { return value->uses().size() == 1 ? value->uses()[0].user : nullptr; }

bool IsTensor(const jit::Value* value) { return value->type()->cast<c10::TensorType>() != nullptr; }

bool IsOne(const jit::Value* alpha) {
  const c10::optional<c10::IValue> value = jit::toIValue(alpha);
  return value.has_value() &&
         ((value->isInt() && value->toInt() == 1) || (value->isDouble() && value->toDouble() == 1.0));
}

// `node` as `normalised + residual` (or `residual + normalised`, or `normalised += residual`): the residual, or null.
// `residual += normalised` writes the residual, which other code may read: not this pattern.
jit::Value* ResidualAddedBy(const jit::Node* node, const jit::Value* normalised) {
  const bool in_place = node->kind() == c10::aten::add_;
  if ((node->kind() != c10::aten::add && !in_place) || node->inputs().size() != 3 || !IsTensor(node->input(0)) ||
      !IsTensor(node->input(1)) || !IsOne(node->input(2)) || node->input(0) == node->input(1)) {
    return nullptr;
  }
  if (node->input(0) == normalised) return node->input(1);
  return !in_place && node->input(1) == normalised ? node->input(0) : nullptr;
}

// Replaces `batch_norm`, the residual add that may follow it and the ReLU after them with one strobe::batch_norm_relu
// call at the add (or the ReLU), where the BatchNorm can move there without changing what the code means.
bool FuseAt(const std::shared_ptr<jit::Graph>& graph, jit::Node* batch_norm) {
  jit::Node* user = OnlyUser(batch_norm->output());
  if (user == nullptr || user->owningBlock() != batch_norm->owningBlock()) return false;
  jit::Value* residual = IsReLU(user) ? nullptr : ResidualAddedBy(user, batch_norm->output());
  jit::Node* add = residual != nullptr ? user : nullptr;
  jit::Node* relu = add != nullptr ? OnlyUser(add->output()) : user;
  if (relu == nullptr || !IsReLU(relu) || relu->owningBlock() != batch_norm->owningBlock()) return false;
  jit::Node* fuse_point = add != nullptr ? add : relu;
  if (!jit::AliasDb(graph).moveBeforeTopologicallyValid(batch_norm, fuse_point)) return false;

  static const c10::Symbol batch_norm_relu = c10::Symbol::fromQualString(kBatchNormReLUOp);
  const jit::WithInsertPoint insert_before(fuse_point);
  std::vector<jit::Value*> inputs(batch_norm->inputs().begin(), batch_norm->inputs().end());
  inputs.push_back(residual != nullptr ? residual : graph->insertConstant(c10::IValue()));
  inputs.push_back(graph->insertConstant(add != nullptr && add->kind() == c10::aten::add_));
  jit::Node* fused = graph->insertNode(graph->create(batch_norm_relu, inputs));
  fused->output()->setType(relu->output()->type());
  relu->output()->replaceAllUsesWith(fused->output());
  relu->destroy();
  if (add != nullptr) add->destroy();
  batch_norm->destroy();
  return true;
}

}  // namespace

int64_t FuseBatchNormReLU(TorchScriptClassifier& model) {
  std::shared_ptr<jit::Graph> forward = model.InlinedForwardGraph();
  int64_t fused = 0;
  for (jit::Node* batch_norm : BatchNormCalls(*forward)) fused += FuseAt(forward, batch_norm) ? 1 : 0;
  if (fused > 0) model.RunForwardAs(forward);
  return fused;
}

}  // namespace strobe
