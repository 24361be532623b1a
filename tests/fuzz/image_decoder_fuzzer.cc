// libFuzzer target for the image decoder: any bytes, any region, any output size must give either pixels or an
// error status — never a crash, a hang, an out-of-bounds access (run under AddressSanitizer) or unbounded memory.
// The first 5 bytes choose the region (as fractions of the image) and the output size; the rest is the file.
// Built and run by tests/fuzz/run_image_decoder_fuzzer.sh.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "worker/imagenet/image_decoder.h"
#include "worker/imagenet/resample.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kPrefix = 5;
  if (size < kPrefix) return 0;
  const double x = data[0] / 256.0, y = data[1] / 256.0;
  const double w = (data[2] + 1) / 256.0, h = (data[3] + 1) / 256.0;
  const int out_size = 1 + data[4] % 64;
  const strobe::RegionChooser choose = [&](int width, int height) {
    const double left = x * width, top = y * height;
    return strobe::Region{left, top, std::max(1.0, std::min(w * width, width - left)),
                          std::max(1.0, std::min(h * height, height - top))};
  };
  absl::StatusOr<strobe::DecodedRegion> decoded =
      strobe::DecodeImageRegion(data + kPrefix, size - kPrefix, choose, out_size, out_size);
  if (!decoded.ok()) return 0;
  std::vector<float> out(static_cast<size_t>(out_size) * out_size * 3);
  strobe::ResampleRegion(decoded->image, decoded->region, out_size, out_size, out.data());
  return 0;
}
