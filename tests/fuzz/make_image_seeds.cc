// Writes the fuzzer's seed corpus: each kind of image the decoder handles, behind the 5-byte region prefix of
// image_decoder_fuzzer.cc. Usage: make_image_seeds DIR
#include <cstdio>
#include <string>
#include <vector>

#include "tests/support/test_images.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_image_seeds DIR\n");
    return 2;
  }
  using strobe::testing::JpegKind;
  const std::vector<std::pair<std::string, std::vector<uint8_t>>> seeds = {
      {"baseline", strobe::testing::EncodeJpeg(JpegKind::kBaseline, 48, 40)},
      {"progressive", strobe::testing::EncodeJpeg(JpegKind::kProgressive, 48, 40)},
      {"greyscale", strobe::testing::EncodeJpeg(JpegKind::kGreyscale, 40, 48)},
      {"cmyk", strobe::testing::EncodeJpeg(JpegKind::kCmyk, 32, 32)},
      {"png", strobe::testing::EncodePng(24, 20)},
  };
  for (const auto& [name, image] : seeds) {
    const std::string path = std::string(argv[1]) + "/" + name;
    std::FILE* file = std::fopen(path.c_str(), "wb");
    const uint8_t prefix[5] = {16, 32, 200, 180, 20};
    if (file == nullptr || std::fwrite(prefix, 1, 5, file) != 5 ||
        std::fwrite(image.data(), 1, image.size(), file) != image.size() || std::fclose(file) != 0) {
      std::fprintf(stderr, "make_image_seeds: cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
