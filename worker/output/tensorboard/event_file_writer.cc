#include "worker/output/tensorboard/event_file_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "worker/file_system.h"
#include "worker/output/tensorboard/event.pb.h"
#include "worker/output/tensorboard/record_file.h"
#include "worker/wall_clock.h"

namespace strobe {
namespace {

constexpr char kEventFilePrefix[] = "events.out.tfevents.";

// Where the file must end so that it holds no event of a step after resumed_step and no damaged record: the offset
// of the first such record.
absl::StatusOr<int64_t> KeptBytes(const std::string& path, int64_t resumed_step) {
  absl::StatusOr<RecordScan> scan = ReadRecords(path);
  if (!scan.ok()) return scan.status();
  for (const Record& record : scan->records) {
    tensorboard::Event event;
    if (!event.ParseFromString(record.data)) return record.offset;
    if (!event.has_file_version() && event.step() > resumed_step) return record.offset;
  }
  return scan->valid_bytes;
}

absl::Status CutAfter(const std::string& path, int64_t resumed_step) {
  absl::StatusOr<int64_t> kept = KeptBytes(path, resumed_step);
  if (!kept.ok()) return kept.status();
  absl::StatusOr<FileStamp> stamp = StatFile(path);
  if (!stamp.ok()) return stamp.status();
  if (*kept == stamp->size) return absl::OkStatus();
  if (truncate(path.c_str(), *kept) != 0) {
    return absl::InternalError(absl::StrFormat("%s: cannot cut it back to step %d: %s", path, resumed_step,
                                               std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListEventFiles(const std::string& directory) {
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(directory);
  if (!names.ok()) return names.status();
  std::vector<std::string> paths;
  for (const std::string& name : *names) {
    if (absl::StartsWith(name, kEventFilePrefix)) paths.push_back(JoinPath(directory, name));
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

absl::StatusOr<std::unique_ptr<EventFileWriter>> EventFileWriter::Open(const std::string& directory,
                                                                       int64_t resumed_step, const std::string& host) {
  if (absl::Status made = MakeDirectories(directory); !made.ok()) return made;
  absl::StatusOr<std::vector<std::string>> existing = ListEventFiles(directory);
  if (!existing.ok()) return existing.status();
  for (const std::string& path : *existing) {
    if (absl::Status cut = CutAfter(path, resumed_step); !cut.ok()) return cut;
  }
  const std::string path =
      !existing->empty()
          ? existing->back()
          : JoinPath(directory, absl::StrFormat("%s%d.%s", kEventFilePrefix,
                                                static_cast<int64_t>(UnixSecondsNow()), host));
  std::FILE* file = std::fopen(path.c_str(), "ab");
  if (file == nullptr) return absl::InternalError(absl::StrFormat("%s: cannot open: %s", path, std::strerror(errno)));
  std::unique_ptr<EventFileWriter> writer(new EventFileWriter(path, file));
  if (std::ftell(file) == 0) {
    tensorboard::Event version;
    version.set_wall_time(UnixSecondsNow());
    version.set_file_version("brain.Event:2");
    if (absl::Status written = writer->Append(version.SerializeAsString()); !written.ok()) return written;
  }
  return writer;
}

EventFileWriter::~EventFileWriter() { std::fclose(file_); }

absl::Status EventFileWriter::WriteScalars(int64_t step, double wall_time,
                                           const std::vector<std::pair<std::string, double>>& values) {
  tensorboard::Event event;
  event.set_wall_time(wall_time);
  event.set_step(step);
  for (const auto& [tag, value] : values) {
    tensorboard::Summary::Value* entry = event.mutable_summary()->add_value();
    entry->set_tag(tag);
    entry->set_simple_value(static_cast<float>(value));
  }
  return Append(event.SerializeAsString());
}

absl::Status EventFileWriter::Append(const std::string& serialized_event) {
  const std::string record = FrameRecord(serialized_event);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() || std::fflush(file_) != 0) {
    return absl::ResourceExhaustedError(absl::StrFormat("%s: write failed: %s", path_, std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace strobe
