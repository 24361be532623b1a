#ifndef STROBE_WORKER_IMAGENET_IMAGE_FOLDER_INDEX_H_
#define STROBE_WORKER_IMAGENET_IMAGE_FOLDER_INDEX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/imagenet/encoded_images.h"

namespace strobe {

// The samples of one split of an ImageNet-layout dataset: ROOT/SPLIT/<class>/<image>, class index = position of
// the class folder's name in sorted order (as torchvision's ImageFolder), images sorted by name within a class.
struct ImageFolderIndex {
  std::vector<std::string> class_names;
  std::vector<std::string> files;  // relative to ROOT/SPLIT
  std::vector<int32_t> labels;
};

// Lists ROOT/SPLIT, or reads the list from `cache_path` when the cache still matches the tree: each class folder
// is still there with the same modification time (adding, removing or renaming a file changes it) and no class
// folder was added. A million-file tree is then checked with one stat per class instead of listed again. A fresh
// listing is written to `cache_path` (failing to write it is not an error). Files whose names start
// with "." are ignored; any other file that is not .jpeg/.jpg/.png (any case), an empty class folder, a file
// outside a class folder and a missing split are errors naming the path. Safe when many processes load at once.
absl::StatusOr<ImageFolderIndex> LoadImageFolderIndex(const std::string& root, const std::string& split,
                                                      const std::string& cache_path);

// The images of a folder layout's split, read as files.
class FolderImages : public EncodedImages {
 public:
  FolderImages(std::string split_dir, ImageFolderIndex index)
      : split_dir_(std::move(split_dir)), index_(std::move(index)) {}
  int64_t size() const override { return static_cast<int64_t>(index_.files.size()); }
  int64_t num_classes() const override { return static_cast<int64_t>(index_.class_names.size()); }
  int32_t label(int64_t image) const override { return index_.labels[image]; }
  std::string name(int64_t image) const override;
  std::string location() const override { return split_dir_; }
  absl::StatusOr<std::string> Read(int64_t image) const override;
  std::vector<std::string> class_names() const override { return index_.class_names; }

 private:
  const std::string split_dir_;
  const ImageFolderIndex index_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_IMAGE_FOLDER_INDEX_H_
