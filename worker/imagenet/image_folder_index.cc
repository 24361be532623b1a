#include "worker/imagenet/image_folder_index.h"

#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "worker/file_system.h"

namespace strobe {
namespace {

constexpr char kCacheHeader[] = "strobe-image-folder-index 1";

bool IsImageName(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  return absl::EndsWith(lower, ".jpeg") || absl::EndsWith(lower, ".jpg") || absl::EndsWith(lower, ".png");
}

bool Hidden(const std::string& name) { return !name.empty() && name[0] == '.'; }

// The class folders of a split (sorted), and an error for anything else in it.
absl::StatusOr<std::vector<std::string>> ClassFolders(const std::string& split_dir) {
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(split_dir);
  if (!names.ok()) return names.status();
  std::vector<std::string> classes;
  for (const std::string& name : *names) {
    if (Hidden(name)) continue;
    const std::string path = JoinPath(split_dir, name);
    if (!IsDirectory(path)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: a file outside a class folder (an ImageNet-layout split holds only class folders)", path));
    }
    classes.push_back(name);
  }
  if (classes.empty()) return absl::InvalidArgumentError(absl::StrFormat("%s: no class folders", split_dir));
  return classes;
}

absl::StatusOr<ImageFolderIndex> ListTree(const std::string& split_dir, const std::vector<std::string>& classes) {
  ImageFolderIndex index;
  index.class_names = classes;
  for (size_t label = 0; label < classes.size(); ++label) {
    const std::string class_dir = JoinPath(split_dir, classes[label]);
    absl::StatusOr<std::vector<std::string>> names = ListDirectory(class_dir);
    if (!names.ok()) return names.status();
    int64_t images = 0;
    for (const std::string& name : *names) {
      if (Hidden(name)) continue;
      if (!IsImageName(name)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s: not an image file (expected .JPEG, .jpg, .jpeg or .png)", JoinPath(class_dir, name)));
      }
      index.files.push_back(absl::StrCat(classes[label], "/", name));
      index.labels.push_back(static_cast<int32_t>(label));
      ++images;
    }
    if (images == 0) return absl::InvalidArgumentError(absl::StrFormat("%s: empty class folder", class_dir));
  }
  return index;
}

std::string CacheText(const std::string& split_dir, const ImageFolderIndex& index) {
  std::string text = absl::StrCat(kCacheHeader, "\n");
  for (const std::string& name : index.class_names) {
    absl::StatusOr<FileStamp> stamp = StatFile(JoinPath(split_dir, name));
    absl::StrAppend(&text, "class\t", name, "\t", stamp.ok() ? stamp->modified_ns : -1, "\n");
  }
  for (size_t i = 0; i < index.files.size(); ++i) {
    absl::StrAppend(&text, "file\t", index.labels[i], "\t", index.files[i], "\n");
  }
  return text;
}

// The cached index if it still describes the tree; nothing (not an error) when it does not or cannot be read.
std::optional<ImageFolderIndex> ReadValidCache(const std::string& cache_path, const std::string& split_dir,
                                               const std::vector<std::string>& classes) {
  absl::StatusOr<std::string> text = ReadFile(cache_path);
  if (!text.ok()) return std::nullopt;
  std::vector<absl::string_view> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != kCacheHeader) return std::nullopt;
  ImageFolderIndex index;
  // "class\tNAME\tMODIFIED_NS" lines, then "file\tLABEL\tPATH" lines (a path may hold tabs: the rest of the line).
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> fields = absl::StrSplit(lines[i], '\t');
    if (fields[0] == "class" && fields.size() == 3) {
      int64_t cached_ns = 0;
      if (!absl::SimpleAtoi(fields[2], &cached_ns)) return std::nullopt;
      const std::string name(fields[1]);
      absl::StatusOr<FileStamp> stamp = StatFile(JoinPath(split_dir, name));
      if (!stamp.ok() || stamp->modified_ns != cached_ns) return std::nullopt;
      index.class_names.push_back(name);
    } else if (fields[0] == "file" && fields.size() >= 3) {
      int32_t label = 0;
      if (!absl::SimpleAtoi(fields[1], &label) || label < 0 ||
          label >= static_cast<int32_t>(index.class_names.size())) {
        return std::nullopt;
      }
      index.labels.push_back(label);
      index.files.emplace_back(lines[i].substr(fields[0].size() + fields[1].size() + 2));
    } else {
      return std::nullopt;
    }
  }
  if (index.class_names != classes || index.files.empty()) return std::nullopt;
  return index;
}

}  // namespace

absl::StatusOr<ImageFolderIndex> LoadImageFolderIndex(const std::string& root, const std::string& split,
                                                      const std::string& cache_path) {
  const std::string split_dir = JoinPath(root, split);
  if (!IsDirectory(split_dir)) {
    return absl::NotFoundError(absl::StrFormat(
        "%s: missing (an ImageNet-layout dataset holds %s/<class>/<image> and the other split alike)", split_dir,
        split));
  }
  absl::StatusOr<std::vector<std::string>> classes = ClassFolders(split_dir);
  if (!classes.ok()) return classes.status();
  if (std::optional<ImageFolderIndex> cached = ReadValidCache(cache_path, split_dir, *classes)) return *cached;
  absl::StatusOr<ImageFolderIndex> index = ListTree(split_dir, *classes);
  if (!index.ok()) return index.status();
  // Every rank of a job may list and write at once (WriteFileAtomically allows it); a cache that cannot be
  // written costs a listing next time.
  (void)WriteFileAtomically(cache_path, CacheText(split_dir, *index));
  return index;
}

std::string FolderImages::name(int64_t image) const { return JoinPath(split_dir_, index_.files[image]); }

absl::StatusOr<std::string> FolderImages::Read(int64_t image) const { return ReadFile(name(image)); }

}  // namespace strobe
