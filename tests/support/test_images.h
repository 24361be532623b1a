#ifndef STROBE_TESTS_SUPPORT_TEST_IMAGES_H_
#define STROBE_TESTS_SUPPORT_TEST_IMAGES_H_

#include <cstdint>
#include <vector>

namespace strobe::testing {

enum class JpegKind { kBaseline, kProgressive, kGreyscale, kCmyk };

// A photo-like test image: smooth gradients, a few hard edges and fine texture, so that DCT scaling, chroma
// subsampling and the filter all have something to get wrong. Interleaved, `components` bytes per pixel.
std::vector<uint8_t> SyntheticPixels(int width, int height, int components);

// SyntheticPixels encoded with libjpeg: baseline or progressive YCbCr 4:2:0, greyscale, or CMYK (with the Adobe
// marker libjpeg writes for it).
std::vector<uint8_t> EncodeJpeg(JpegKind kind, int width, int height, int quality = 90);

// SyntheticPixels as an RGB PNG.
std::vector<uint8_t> EncodePng(int width, int height);

}  // namespace strobe::testing

#endif  // STROBE_TESTS_SUPPORT_TEST_IMAGES_H_
