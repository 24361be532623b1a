#include "worker/checkpoint/manifest.h"

#include <zlib.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strobe {
namespace {

constexpr char kMagic[] = "strobe-checkpoint";

absl::Status ManifestError(const std::string& source, int line, const std::string& problem) {
  return absl::DataLossError(absl::StrFormat("%s: line %d: %s", source, line, problem));
}

}  // namespace

uint32_t Crc32(absl::string_view bytes) { return Crc32Extend(static_cast<uint32_t>(crc32(0L, Z_NULL, 0)), bytes); }

uint32_t Crc32Extend(uint32_t previous, absl::string_view bytes) {
  uLong crc = previous;
  // zlib takes uInt lengths: feed large files in chunks.
  constexpr size_t kChunk = size_t{1} << 30;
  for (size_t offset = 0; offset < bytes.size(); offset += kChunk) {
    const size_t length = std::min(kChunk, bytes.size() - offset);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + offset), static_cast<uInt>(length));
  }
  return static_cast<uint32_t>(crc);
}

void Manifest::Set(const std::string& key, const std::string& value) {
  for (auto& [existing, old_value] : metadata_) {
    if (existing == key) {
      old_value = value;
      return;
    }
  }
  metadata_.emplace_back(key, value);
}

void Manifest::AddFile(const std::string& name, absl::string_view contents) {
  files_.push_back(ManifestFile{name, static_cast<int64_t>(contents.size()), Crc32(contents)});
}

std::string Manifest::Get(const std::string& key) const {
  for (const auto& [existing, value] : metadata_) {
    if (existing == key) return value;
  }
  return "";
}

absl::StatusOr<int64_t> Manifest::GetInt(const std::string& key) const {
  int64_t value = 0;
  if (!absl::SimpleAtoi(Get(key), &value)) {
    return absl::DataLossError(absl::StrFormat("%s: '%s' is missing or not an integer", kManifestFileName, key));
  }
  return value;
}

std::string Manifest::Serialize() const {
  std::string text = absl::StrFormat("%s %d\n", kMagic, format_version_);
  for (const auto& [key, value] : metadata_) absl::StrAppend(&text, key, " ", value, "\n");
  for (const ManifestFile& file : files_) {
    absl::StrAppendFormat(&text, "file %s %d %08x\n", file.name, file.size, file.crc32);
  }
  absl::StrAppendFormat(&text, "crc32 %08x\n", Crc32(text));
  return text;
}

absl::StatusOr<Manifest> Manifest::Parse(absl::string_view text, const std::string& source) {
  // The checksum line covers every byte before it, so check it before trusting any line.
  const size_t last_line = text.rfind("crc32 ", text.size() >= 2 ? text.size() - 2 : 0);
  uint32_t stored_crc = 0;
  if (last_line == absl::string_view::npos || (last_line > 0 && text[last_line - 1] != '\n') ||
      !absl::SimpleHexAtoi(absl::StripSuffix(text.substr(last_line + 6), "\n"), &stored_crc)) {
    return absl::DataLossError(absl::StrFormat("%s: no checksum line at the end: the file is truncated or not a "
                                               "Strobe checkpoint manifest", source));
  }
  if (Crc32(text.substr(0, last_line)) != stored_crc) {
    return absl::DataLossError(absl::StrFormat("%s: checksum mismatch: the manifest is corrupted", source));
  }
  Manifest manifest;
  const std::vector<absl::string_view> lines = absl::StrSplit(text.substr(0, last_line), '\n', absl::SkipEmpty());
  if (lines.empty() || !absl::StartsWith(lines[0], std::string(kMagic) + " ") ||
      !absl::SimpleAtoi(lines[0].substr(sizeof(kMagic)), &manifest.format_version_)) {
    return ManifestError(source, 1, "not a Strobe checkpoint manifest");
  }
  if (manifest.format_version_ > kCheckpointFormatVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: checkpoint format version %d is newer than this build of strobe reads (up to %d); use a newer strobe",
        source, manifest.format_version_, kCheckpointFormatVersion));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<absl::string_view> parts = absl::StrSplit(lines[i], absl::MaxSplits(' ', 1));
    if (parts.size() != 2) return ManifestError(source, static_cast<int>(i + 1), "expected 'key value'");
    if (parts[0] != "file") {
      manifest.metadata_.emplace_back(std::string(parts[0]), std::string(parts[1]));
      continue;
    }
    const std::vector<absl::string_view> fields = absl::StrSplit(parts[1], ' ');
    ManifestFile file;
    if (fields.size() != 3 || !absl::SimpleAtoi(fields[1], &file.size) ||
        !absl::SimpleHexAtoi(fields[2], &file.crc32)) {
      return ManifestError(source, static_cast<int>(i + 1), "expected 'file NAME SIZE CRC32'");
    }
    file.name = std::string(fields[0]);
    manifest.files_.push_back(std::move(file));
  }
  return manifest;
}

}  // namespace strobe
