#ifndef STROBE_WORKER_IMAGENET_ENCODED_IMAGES_H_
#define STROBE_WORKER_IMAGENET_ENCODED_IMAGES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

// Where the encoded images of one split live, numbered 0..size()-1 in the same order on every rank: the files of
// an ImageNet folder layout, or the members of WebDataset tar shards. Read is called from many threads at once.
class EncodedImages {
 public:
  virtual ~EncodedImages() = default;
  virtual int64_t size() const = 0;
  virtual int64_t num_classes() const = 0;
  virtual int32_t label(int64_t image) const = 0;
  virtual std::string name(int64_t image) const = 0;  // for messages: a path, or SHARD.tar:MEMBER
  virtual std::string location() const = 0;           // the split's directory
  virtual absl::StatusOr<std::string> Read(int64_t image) const = 0;
  // The shard (a file read fastest front to back) holding the image, shards numbered in image order; -1 where
  // images are separate files.
  virtual int32_t shard(int64_t image) const { return -1; }
  // The classes' names in label order (class folders), or none where labels are bare numbers (tar shards).
  virtual std::vector<std::string> class_names() const { return {}; }
};

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_ENCODED_IMAGES_H_
