#include "worker/output/tensorboard/record_file.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/str_format.h"

namespace strobe {
namespace {

std::array<uint32_t, 256> Crc32cTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));  // reflected Castagnoli
    table[i] = crc;
  }
  return table;
}

void AppendLittleEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

uint64_t ReadLittleEndian(const char* bytes, int count) {
  uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

}  // namespace

uint32_t Crc32c(std::string_view bytes) {
  static const std::array<uint32_t, 256> kTable = Crc32cTable();
  uint32_t crc = 0xFFFFFFFFu;
  for (const char c : bytes) crc = kTable[(crc ^ static_cast<unsigned char>(c)) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint32_t MaskCrc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }

std::string FrameRecord(std::string_view data) {
  std::string out;
  AppendLittleEndian(out, data.size(), 8);
  AppendLittleEndian(out, MaskCrc32c(Crc32c(out)), 4);
  out.append(data);
  AppendLittleEndian(out, MaskCrc32c(Crc32c(data)), 4);
  return out;
}

absl::StatusOr<RecordScan> ReadRecords(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrFormat("%s: cannot open: %s", path, std::strerror(errno)));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError(absl::StrFormat("%s: read failed", path));
  RecordScan scan;
  size_t at = 0;
  constexpr size_t kHeader = 12, kFooter = 4;
  while (bytes.size() - at >= kHeader) {
    const std::string_view header(bytes.data() + at, kHeader);
    const uint64_t length = ReadLittleEndian(header.data(), 8);
    if (ReadLittleEndian(header.data() + 8, 4) != MaskCrc32c(Crc32c(header.substr(0, 8)))) break;
    if (length > bytes.size() - at - kHeader || bytes.size() - at - kHeader - length < kFooter) break;
    const std::string_view data(bytes.data() + at + kHeader, length);
    if (ReadLittleEndian(data.data() + length, 4) != MaskCrc32c(Crc32c(data))) break;
    scan.records.push_back(Record{static_cast<int64_t>(at), std::string(data)});
    at += kHeader + length + kFooter;
  }
  scan.valid_bytes = static_cast<int64_t>(at);
  return scan;
}

}  // namespace strobe
