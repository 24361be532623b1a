#include "worker/imagenet/image_decoder.h"

#include <png.h>
#include <setjmp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace strobe {
namespace {

// A file claiming more pixels than any training image has is damaged or hostile (a "decompression bomb"): its
// decode would take gigabytes. Pillow warns above 89 million pixels; this is 128 Mi.
constexpr uint64_t kMaxPixels = uint64_t{1} << 27;

absl::Status CheckPixelCount(uint64_t width, uint64_t height) {
  if (width == 0 || height == 0 || width * height > kMaxPixels) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "image size %d x %d is out of range (1 to %d pixels)", width, height, kMaxPixels));
  }
  return absl::OkStatus();
}

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

bool IsPng(const uint8_t* data, size_t size) {
  return size >= sizeof(kPngSignature) && std::memcmp(data, kPngSignature, sizeof(kPngSignature)) == 0;
}

// libjpeg reports errors by calling error_exit, which must not return; warnings (corrupt or missing data that
// libjpeg would paper over with grey) go through emit_message. Both jump back with the message kept.
struct JpegErrors {
  jpeg_error_mgr manager;
  jmp_buf on_error;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void JumpOnError(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  errors->manager.format_message(info, errors->message);
  longjmp(errors->on_error, 1);
}

void JumpOnWarning(j_common_ptr info, int level) {
  if (level < 0) JumpOnError(info);  // level -1: a warning about the data itself (corrupt, truncated)
}

// The margin, in decoded pixels, the resampler may read around a region: its filter's reach at the downscale the
// region will get, plus one for rounding.
int FilterMargin(double region_pixels, int target_pixels) {
  return static_cast<int>(std::ceil(std::max(1.0, region_pixels / std::max(1, target_pixels)))) + 1;
}

// The coarsest 1/dct_scale that leaves at least min_width × min_height pixels over the region.
int ChooseDctScale(const Region& region, int min_width, int min_height) {
  for (int scale : {8, 4, 2}) {
    if (region.width / scale >= min_width && region.height / scale >= min_height) return scale;
  }
  return 1;
}

void CmykToRgb(const uint8_t* cmyk, int pixels, bool adobe_inverted, uint8_t* rgb) {
  for (int i = 0; i < pixels; ++i, cmyk += 4, rgb += 3) {
    // Adobe applications store CMYK inverted (0 = full ink); PIL's conversion: R = (255 - C)(255 - K) / 255.
    const int k = adobe_inverted ? cmyk[3] : 255 - cmyk[3];
    for (int c = 0; c < 3; ++c) {
      const int ink = adobe_inverted ? cmyk[c] : 255 - cmyk[c];
      rgb[c] = static_cast<uint8_t>((ink * k + 127) / 255);
    }
  }
}

absl::StatusOr<DecodedRegion> DecodePngRegion(const uint8_t* data, size_t size, const RegionChooser& choose) {
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, data, size)) {
    return absl::InvalidArgumentError(absl::StrFormat("corrupt PNG data: %s", png.message));
  }
  if (absl::Status size_ok = CheckPixelCount(png.width, png.height); !size_ok.ok()) {
    png_image_free(&png);
    return size_ok;
  }
  png.format = PNG_FORMAT_RGB;  // greyscale, palette and alpha (composited on black) all become RGB
  DecodedRegion decoded;
  decoded.image.width = static_cast<int>(png.width);
  decoded.image.height = static_cast<int>(png.height);
  decoded.image.pixels.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, decoded.image.pixels.data(), 0, nullptr)) {
    const std::string message = png.message;
    png_image_free(&png);
    return absl::InvalidArgumentError(absl::StrFormat("corrupt or truncated PNG data: %s", message));
  }
  decoded.region = choose(decoded.image.width, decoded.image.height);
  return decoded;
}

// Owns a libjpeg decompressor for the duration of one decode.
struct JpegDecompressor {
  jpeg_decompress_struct info;
  JpegErrors errors;
  std::vector<uint8_t> cmyk_row;  // here rather than in DecodeJpegInto, whose frame longjmp may leave
  std::vector<JSAMPROW> rows;     // likewise
  JpegDecompressor() {
    info.err = jpeg_std_error(&errors.manager);
    errors.manager.error_exit = JumpOnError;
    errors.manager.emit_message = JumpOnWarning;
    jpeg_create_decompress(&info);
  }
  ~JpegDecompressor() { jpeg_destroy_decompress(&info); }
};

// The decode itself; split out so that nothing with a destructor lives in the frame setjmp returns to (the
// statuses it returns are built only after a jump, or on paths that do not jump).
absl::Status DecodeJpegInto(JpegDecompressor& jpeg, const uint8_t* data, size_t size, const RegionChooser& choose,
                            int min_width, int min_height, DecodedRegion* decoded) {
  jpeg_decompress_struct& info = jpeg.info;
  if (setjmp(jpeg.errors.on_error)) {
    return absl::InvalidArgumentError(absl::StrFormat("corrupt or truncated JPEG data: %s", jpeg.errors.message));
  }
  jpeg_mem_src(&info, data, static_cast<unsigned long>(size));
  jpeg_read_header(&info, TRUE);
  if (absl::Status size_ok = CheckPixelCount(info.image_width, info.image_height); !size_ok.ok()) return size_ok;
  const Region region = choose(static_cast<int>(info.image_width), static_cast<int>(info.image_height));
  const int scale = ChooseDctScale(region, min_width, min_height);
  info.scale_num = 1;
  info.scale_denom = static_cast<unsigned int>(scale);
  const bool cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
  info.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;  // libjpeg-turbo turns greyscale into RGB itself
  info.dct_method = JDCT_ISLOW;
  jpeg_start_decompress(&info);

  // The region at this scale, widened by the resampling filter's margin and clipped to the image.
  const Region scaled{region.x / scale, region.y / scale, region.width / scale, region.height / scale};
  const int margin_x = FilterMargin(scaled.width, min_width);
  const int margin_y = FilterMargin(scaled.height, min_height);
  const int out_width = static_cast<int>(info.output_width);
  const int out_height = static_cast<int>(info.output_height);
  const int x0 = std::clamp(static_cast<int>(std::floor(scaled.x)) - margin_x, 0, out_width - 1);
  const int x1 = std::clamp(static_cast<int>(std::ceil(scaled.x + scaled.width)) + margin_x, x0 + 1, out_width);
  const int y0 = std::clamp(static_cast<int>(std::floor(scaled.y)) - margin_y, 0, out_height - 1);
  const int y1 = std::clamp(static_cast<int>(std::ceil(scaled.y + scaled.height)) + margin_y, y0 + 1, out_height);
  // libjpeg-turbo decodes whole iMCU columns: it moves the left edge down to one and widens the span to match.
  JDIMENSION crop_x = static_cast<JDIMENSION>(x0);
  JDIMENSION crop_width = static_cast<JDIMENSION>(x1 - x0);
  if (crop_x != 0 || crop_width != info.output_width) jpeg_crop_scanline(&info, &crop_x, &crop_width);
  if (y0 > 0) jpeg_skip_scanlines(&info, static_cast<JDIMENSION>(y0));

  const int width = static_cast<int>(crop_width);
  const int height = y1 - y0;
  const int components = info.out_color_components;
  std::vector<uint8_t>& row = jpeg.cmyk_row;
  if (cmyk) row.resize(static_cast<size_t>(width) * components);
  RgbImage& image = decoded->image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  if (cmyk) {
    for (int y = 0; y < height; ++y) {
      JSAMPROW target = row.data();
      jpeg_read_scanlines(&info, &target, 1);
      CmykToRgb(row.data(), width, info.saw_Adobe_marker, image.pixels.data() + static_cast<size_t>(y) * width * 3);
    }
  } else {
    // All the rows asked for at once: libjpeg then hands out whole row groups per call (1-2 % faster than a row per
    // call on the ImageNet benchmark).
    std::vector<JSAMPROW>& rows = jpeg.rows;
    rows.resize(height);
    for (int y = 0; y < height; ++y) rows[y] = image.pixels.data() + static_cast<size_t>(y) * width * 3;
    for (int done = 0; done < height;) {
      const JDIMENSION read = jpeg_read_scanlines(&info, rows.data() + done, static_cast<JDIMENSION>(height - done));
      if (read == 0) return absl::InvalidArgumentError("corrupt or truncated JPEG data: no more rows");
      done += static_cast<int>(read);
    }
  }
  jpeg_abort_decompress(&info);  // rows below the region are not needed
  decoded->region = {scaled.x - crop_x, scaled.y - y0, scaled.width, scaled.height};
  decoded->dct_scale = scale;
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeImageRegionInto(const uint8_t* data, size_t size, const RegionChooser& choose, int min_width,
                                   int min_height, DecodedRegion* decoded) {
  if (size == 0) return absl::InvalidArgumentError("empty file");
  if (IsPng(data, size)) {
    absl::StatusOr<DecodedRegion> png = DecodePngRegion(data, size, choose);
    if (!png.ok()) return png.status();
    *decoded = *std::move(png);
    return absl::OkStatus();
  }
  if (size < 2 || data[0] != 0xFF || data[1] != 0xD8) {
    return absl::InvalidArgumentError("not a JPEG or PNG image (no JPEG start-of-image marker, no PNG signature)");
  }
  JpegDecompressor jpeg;
  return DecodeJpegInto(jpeg, data, size, choose, min_width, min_height, decoded);
}

absl::StatusOr<DecodedRegion> DecodeImageRegion(const uint8_t* data, size_t size, const RegionChooser& choose,
                                                int min_width, int min_height) {
  DecodedRegion decoded;
  if (absl::Status status = DecodeImageRegionInto(data, size, choose, min_width, min_height, &decoded); !status.ok()) {
    return status;
  }
  return decoded;
}

absl::StatusOr<RgbImage> DecodeImage(const uint8_t* data, size_t size) {
  const RegionChooser whole = [](int width, int height) { return Region{0, 0, double(width), double(height)}; };
  absl::StatusOr<DecodedRegion> decoded = DecodeImageRegion(data, size, whole, 1 << 30, 1 << 30);
  if (!decoded.ok()) return decoded.status();
  return std::move(decoded->image);
}

}  // namespace strobe
