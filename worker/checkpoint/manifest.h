#ifndef STROBE_WORKER_CHECKPOINT_MANIFEST_H_
#define STROBE_WORKER_CHECKPOINT_MANIFEST_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

inline constexpr int kCheckpointFormatVersion = 1;
inline constexpr char kManifestFileName[] = "MANIFEST";

uint32_t Crc32(absl::string_view bytes);
// Continues a CRC-32: the CRC of what `crc` covered followed by `bytes` (Crc32(a + b) == Crc32Extend(Crc32(a), b)).
uint32_t Crc32Extend(uint32_t crc, absl::string_view bytes);

struct ManifestFile {
  std::string name;
  int64_t size = 0;
  uint32_t crc32 = 0;
};

// A checkpoint's table of contents, written last: metadata (step, world size, model, versions, the resolved
// configuration...) and every file with its size and CRC-32. As text, one entry per line, so `cat MANIFEST` is
// readable and a torn or edited manifest is caught by its own trailing checksum line:
//   strobe-checkpoint 1
//   <key> <value>            (metadata, in insertion order; values are single lines)
//   file <name> <size> <crc32 hex>
//   crc32 <hex of everything above>
class Manifest {
 public:
  void Set(const std::string& key, const std::string& value);
  void AddFile(const std::string& name, absl::string_view contents);
  void AddFile(ManifestFile file) { files_.push_back(std::move(file)); }

  // Empty when the key is absent.
  std::string Get(const std::string& key) const;
  absl::StatusOr<int64_t> GetInt(const std::string& key) const;
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  const std::vector<ManifestFile>& files() const { return files_; }
  int format_version() const { return format_version_; }

  std::string Serialize() const;
  // `source` names the file in errors.
  static absl::StatusOr<Manifest> Parse(absl::string_view text, const std::string& source);

 private:
  int format_version_ = kCheckpointFormatVersion;
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::vector<ManifestFile> files_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_CHECKPOINT_MANIFEST_H_
