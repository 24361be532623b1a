#ifndef STROBE_WORKER_OUTPUT_TENSORBOARD_RECORD_FILE_H_
#define STROBE_WORKER_OUTPUT_TENSORBOARD_RECORD_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

// The TFRecord framing TensorBoard's event files use: per record a little-endian uint64 length, the masked
// CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
uint32_t Crc32c(std::string_view bytes);
// The mask TFRecord applies so that a CRC of data holding CRCs stays well distributed.
uint32_t MaskCrc32c(uint32_t crc);

std::string FrameRecord(std::string_view data);

struct Record {
  int64_t offset = 0;  // of the record's first byte in the file
  std::string data;
};
// The records of a file up to the first that is cut short or fails its checks (a crash while writing it), and
// the offset where that one begins (the file size when all are whole).
struct RecordScan {
  std::vector<Record> records;
  int64_t valid_bytes = 0;
};
absl::StatusOr<RecordScan> ReadRecords(const std::string& path);

}  // namespace strobe

#endif  // STROBE_WORKER_OUTPUT_TENSORBOARD_RECORD_FILE_H_
