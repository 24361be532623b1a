#include "tests/support/test_images.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "worker/imagenet/jpeg_encoder.h"

namespace strobe::testing {

std::vector<uint8_t> SyntheticPixels(int width, int height, int components) {
  std::vector<uint8_t> pixels(static_cast<size_t>(width) * height * components);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < components; ++c) {
        double v = 128 + 90 * std::sin(0.013 * x * (c + 1) + 0.021 * y) + 20 * std::sin(0.31 * x + 0.17 * y * c);
        if ((x / 60 + y / 45) % 2 == 0) v = 0.6 * v + 40;  // hard edges
        pixels[(static_cast<size_t>(y) * width + x) * components + c] =
            static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 255.0)));
      }
    }
  }
  return pixels;
}

std::vector<uint8_t> EncodeJpeg(JpegKind kind, int width, int height, int quality) {
  const int components = kind == JpegKind::kGreyscale ? 1 : kind == JpegKind::kCmyk ? 4 : 3;
  const std::vector<uint8_t> pixels = SyntheticPixels(width, height, components);
  return strobe::EncodeJpeg(pixels.data(), width, height, components,
                            {quality, /*progressive=*/kind == JpegKind::kProgressive});
}

std::vector<uint8_t> EncodePng(int width, int height) {
  const std::vector<uint8_t> rgb = SyntheticPixels(width, height, 3);
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  png.width = width;
  png.height = height;
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  png_image_write_to_memory(&png, nullptr, &size, 0, rgb.data(), 0, nullptr);
  std::vector<uint8_t> file(size);
  png_image_write_to_memory(&png, file.data(), &size, 0, rgb.data(), 0, nullptr);
  file.resize(size);
  return file;
}

}  // namespace strobe::testing
