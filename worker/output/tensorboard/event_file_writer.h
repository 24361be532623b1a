#ifndef STROBE_WORKER_OUTPUT_TENSORBOARD_EVENT_FILE_WRITER_H_
#define STROBE_WORKER_OUTPUT_TENSORBOARD_EVENT_FILE_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strobe {

// Scalars for TensorBoard, written by rank 0 to one event file in a directory (RUN_DIR/tensorboard/), each
// record flushed as it is written, so a crashed run keeps what it logged and `tensorboard --logdir` shows a live run.
//
// A run that resumes from the checkpoint of step S continues the same file: Open() first cuts it at the first
// record of a step > S (reports are labelled with the steps done, and those after S are made again) or at a record a
// crash left incomplete, so no step appears twice.
class EventFileWriter {
 public:
  // `resumed_step`: the step of the checkpoint the run resumes from; -1 for a run from scratch, which keeps none of
  // an earlier file's reports. `host` goes into a new file's name, as TensorBoard's writers do.
  static absl::StatusOr<std::unique_ptr<EventFileWriter>> Open(const std::string& directory, int64_t resumed_step,
                                                              const std::string& host);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  // One event holding every (tag, value) pair at `step`.
  absl::Status WriteScalars(int64_t step, double wall_time, const std::vector<std::pair<std::string, double>>& values);
  const std::string& path() const { return path_; }

 private:
  EventFileWriter(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  absl::Status Append(const std::string& serialized_event);

  std::string path_;
  std::FILE* file_;
};

// The event files of `directory` (events.out.tfevents.*), sorted by name as TensorBoard reads them.
absl::StatusOr<std::vector<std::string>> ListEventFiles(const std::string& directory);

}  // namespace strobe

#endif  // STROBE_WORKER_OUTPUT_TENSORBOARD_EVENT_FILE_WRITER_H_
