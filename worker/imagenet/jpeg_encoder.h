#ifndef STROBE_WORKER_IMAGENET_JPEG_ENCODER_H_
#define STROBE_WORKER_IMAGENET_JPEG_ENCODER_H_

#include <cstdint>
#include <vector>

namespace strobe {

struct JpegEncodeOptions {
  int quality = 90;
  bool progressive = false;
};

// Encodes interleaved 8-bit pixels with libjpeg-turbo: 1 component is greyscale, 3 RGB (stored as YCbCr 4:2:0),
// 4 CMYK (with the Adobe marker libjpeg writes for it).
std::vector<uint8_t> EncodeJpeg(const uint8_t* pixels, int width, int height, int components,
                                const JpegEncodeOptions& options);

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_JPEG_ENCODER_H_
