#include "worker/models/torchvision_names.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace strobe {
namespace {

// torchvision's block path ("layer2.0") of Strobe's flat block index `block` (stages.K), or empty past the end.
std::string LayerOfBlock(const ResNetSpec& spec, int64_t block) {
  for (size_t stage = 0; stage < spec.blocks.size(); ++stage) {
    if (block < spec.blocks[stage]) return absl::StrCat("layer", stage + 1, ".", block);
    block -= spec.blocks[stage];
  }
  return "";
}

}  // namespace

bool HasTorchvisionNames(const ResNetSpec& spec) { return spec.stem == ResNetSpec::Stem::kImageNet; }

absl::StatusOr<std::string> TorchvisionName(const ResNetSpec& spec, const std::string& strobe_name) {
  const std::vector<std::string> parts = absl::StrSplit(strobe_name, '.');
  const auto no_name = [&] {
    return absl::InvalidArgumentError(absl::StrFormat("'%s' has no torchvision name", strobe_name));
  };
  const auto tail = [&](size_t from) {
    return absl::StrJoin(std::vector<std::string>(parts.begin() + from, parts.end()), ".");
  };
  int64_t index = 0;
  if (!HasTorchvisionNames(spec) || parts.size() < 2) return no_name();
  if (parts[0] == "fc") return strobe_name;
  if (parts[0] == "stem" && parts.size() == 3 && (parts[1] == "0" || parts[1] == "1")) {
    return absl::StrCat(parts[1] == "0" ? "conv1." : "bn1.", parts[2]);
  }
  if (parts[0] != "stages" || parts.size() < 5 || !absl::SimpleAtoi(parts[1], &index)) return no_name();
  const std::string layer = LayerOfBlock(spec, index);
  if (layer.empty() || !absl::SimpleAtoi(parts[3], &index)) return no_name();
  if (parts[2] == "shortcut" && (index == 0 || index == 1)) return absl::StrCat(layer, ".downsample.", tail(3));
  // A block's body is [conv, bn, relu] per convolution, the last one without its relu.
  if (parts[2] != "body" || index % 3 == 2) return no_name();
  return absl::StrCat(layer, index % 3 == 0 ? ".conv" : ".bn", index / 3 + 1, ".", tail(4));
}

}  // namespace strobe
