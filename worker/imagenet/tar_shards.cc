#include "worker/imagenet/tar_shards.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "worker/file_system.h"
#include "worker/imagenet/block_reader.h"

namespace strobe {
namespace {

constexpr int64_t kBlock = 512;
constexpr char kCacheHeader[] = "strobe-tar-index 1";

// A ustar numeric field: octal digits, space- or NUL-terminated.
std::optional<int64_t> Octal(const char* field, size_t length) {
  int64_t value = 0;
  size_t i = 0;
  while (i < length && field[i] == ' ') ++i;
  bool digits = false;
  for (; i < length && field[i] >= '0' && field[i] <= '7'; ++i, digits = true) value = value * 8 + (field[i] - '0');
  if (!digits || (i < length && field[i] != ' ' && field[i] != '\0')) return std::nullopt;
  return value;
}

bool ChecksumMatches(const char* header) {
  const std::optional<int64_t> stored = Octal(header + 148, 8);
  int64_t sum = 0;
  for (int i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(header[i]);
  return stored && *stored == sum;
}

std::string Field(const char* field, size_t length) { return std::string(field, strnlen(field, length)); }

// "path=NAME" out of a pax extended header's records ("LEN path=NAME\n" ...); empty when it has none.
std::string PaxPath(const std::string& records) {
  for (absl::string_view line : absl::StrSplit(records, '\n', absl::SkipEmpty())) {
    const size_t space = line.find(' ');
    if (space != absl::string_view::npos && absl::StartsWith(line.substr(space + 1), "path=")) {
      return std::string(line.substr(space + 6));
    }
  }
  return "";
}

bool IsImageExtension(const std::string& extension) {
  return extension == "jpg" || extension == "jpeg" || extension == "png";
}

// Walks one shard's headers into `members` (images with their labels). Members of one sample are consecutive.
absl::Status IndexShard(int fd, int32_t shard, const std::string& path, int64_t size,
                        std::vector<TarShardImages::Member>* members) {
  std::string pending_name;  // from a GNU long-name or pax header, for the next member
  std::string key;           // the sample being gathered
  std::optional<TarShardImages::Member> image;
  int32_t label = -1;  // of the sample being gathered; -1 until its .cls member
  auto finish_sample = [&]() -> absl::Status {
    if (key.empty()) return absl::OkStatus();
    if (!image || label < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: sample '%s' has no %s member (a WebDataset sample needs <key>.jpg and <key>.cls)", path, key,
          image ? ".cls" : "image (.jpg, .jpeg or .png)"));
    }
    image->label = label;
    members->push_back(*image);
    image.reset();
    label = -1;
    return absl::OkStatus();
  };
  for (int64_t offset = 0; offset + kBlock <= size;) {
    absl::StatusOr<std::string> header = ReadFileRange(fd, offset, kBlock, path);
    if (!header.ok()) return header.status();
    const char* h = header->data();
    if (std::all_of(h, h + kBlock, [](char c) { return c == 0; })) break;  // end of archive
    if (!ChecksumMatches(h)) {
      return absl::DataLossError(absl::StrFormat("%s: not a tar archive or damaged (bad header at offset %d)", path,
                                                 offset));
    }
    const std::optional<int64_t> length = Octal(h + 124, 12);
    if (!length) return absl::DataLossError(absl::StrFormat("%s: unreadable member size at offset %d", path, offset));
    const char type = h[156];
    const int64_t data_offset = offset + kBlock;
    const int64_t next = data_offset + (*length + kBlock - 1) / kBlock * kBlock;
    if (data_offset + *length > size) {
      return absl::DataLossError(absl::StrFormat("%s: truncated (a member at offset %d runs past the end)", path,
                                                 offset));
    }
    if (type == 'L' || type == 'x') {  // the next member's long name (GNU) or extended attributes (pax)
      absl::StatusOr<std::string> data = ReadFileRange(fd, data_offset, *length, path);
      if (!data.ok()) return data.status();
      pending_name = type == 'L' ? std::string(data->c_str()) : PaxPath(*data);
      offset = next;
      continue;
    }
    std::string name = pending_name;
    pending_name.clear();
    if (name.empty()) {
      name = Field(h, 100);
      const std::string prefix = Field(h + 345, 155);
      if (std::memcmp(h + 257, "ustar", 5) == 0 && !prefix.empty()) name = prefix + "/" + name;
    }
    if (type == '0' || type == '\0') {
      const size_t slash = name.rfind('/');
      const size_t dot = name.find('.', slash == std::string::npos ? 0 : slash + 1);
      const std::string member_key = name.substr(0, dot);
      const std::string extension = dot == std::string::npos ? "" : absl::AsciiStrToLower(name.substr(dot + 1));
      if (member_key != key) {
        if (absl::Status finished = finish_sample(); !finished.ok()) return finished;
        key = member_key;
      }
      if (IsImageExtension(extension)) {
        image = TarShardImages::Member{shard, data_offset, *length, 0, key};
      } else if (extension == "cls") {
        absl::StatusOr<std::string> text = ReadFileRange(fd, data_offset, *length, path);
        if (!text.ok()) return text.status();
        int32_t value = 0;
        if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value) || value < 0) {
          return absl::InvalidArgumentError(absl::StrFormat("%s: %s: not a class number: '%s'", path, name,
                                                            absl::CHexEscape(text->substr(0, 40))));
        }
        label = value;
      }
    }
    offset = next;
  }
  return finish_sample();
}

std::string CacheText(const std::string& dir, const std::vector<std::string>& shards,
                      const std::vector<TarShardImages::Member>& members) {
  std::string text = absl::StrCat(kCacheHeader, "\n");
  for (const std::string& shard : shards) {
    absl::StatusOr<FileStamp> stamp = StatFile(JoinPath(dir, shard));
    absl::StrAppend(&text, "shard\t", stamp.ok() ? stamp->size : -1, "\t", stamp.ok() ? stamp->modified_ns : -1, "\t",
                    shard, "\n");
  }
  for (const TarShardImages::Member& m : members) {
    absl::StrAppend(&text, "image\t", m.shard, "\t", m.offset, "\t", m.size, "\t", m.label, "\t", m.key, "\n");
  }
  return text;
}

// The cached members if the cache still describes these shards, unchanged.
std::optional<std::vector<TarShardImages::Member>> ReadValidCache(const std::string& cache_path,
                                                                  const std::string& dir,
                                                                  const std::vector<std::string>& shards) {
  absl::StatusOr<std::string> text = ReadFile(cache_path);
  if (!text.ok()) return std::nullopt;
  std::vector<absl::string_view> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != kCacheHeader) return std::nullopt;
  std::vector<TarShardImages::Member> members;
  size_t shards_seen = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> f = absl::StrSplit(lines[i], absl::MaxSplits('\t', 5));
    if (f[0] == "shard" && f.size() == 4) {
      absl::StatusOr<FileStamp> stamp = StatFile(JoinPath(dir, std::string(f[3])));
      int64_t size = 0, modified = 0;
      if (shards_seen >= shards.size() || f[3] != shards[shards_seen] || !stamp.ok() ||
          !absl::SimpleAtoi(f[1], &size) || !absl::SimpleAtoi(f[2], &modified) || size != stamp->size ||
          modified != stamp->modified_ns) {
        return std::nullopt;
      }
      ++shards_seen;
    } else if (f[0] == "image" && f.size() == 6) {
      TarShardImages::Member m;
      if (!absl::SimpleAtoi(f[1], &m.shard) || !absl::SimpleAtoi(f[2], &m.offset) || !absl::SimpleAtoi(f[3], &m.size) ||
          !absl::SimpleAtoi(f[4], &m.label) || m.shard < 0 || m.shard >= static_cast<int32_t>(shards.size())) {
        return std::nullopt;
      }
      m.key = std::string(f[5]);
      members.push_back(std::move(m));
    } else {
      return std::nullopt;
    }
  }
  if (shards_seen != shards.size() || members.empty()) return std::nullopt;
  return members;
}

}  // namespace

bool HoldsTarShards(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir);
  if (!names.ok()) return false;
  return std::any_of(names->begin(), names->end(), [](const std::string& n) { return absl::EndsWith(n, ".tar"); });
}

absl::StatusOr<std::unique_ptr<TarShardImages>> TarShardImages::Open(const std::string& dir,
                                                                     const std::string& cache_path) {
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir);
  if (!names.ok()) return names.status();
  std::vector<std::string> shards;
  for (const std::string& name : *names) {
    if (absl::EndsWith(name, ".tar")) shards.push_back(name);
  }
  if (shards.empty()) return absl::NotFoundError(absl::StrFormat("%s: no .tar shards", dir));
  std::unique_ptr<TarShardImages> images(new TarShardImages(dir, shards));  // closes the shards on any return
  for (const std::string& shard : shards) {
    const std::string path = JoinPath(dir, shard);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return absl::NotFoundError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
    images->descriptors_.push_back(fd);
    const off_t bytes = ::lseek(fd, 0, SEEK_END);
    if (bytes < 0) return absl::DataLossError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
    images->shard_bytes_.push_back(bytes);
  }
  std::optional<std::vector<Member>> members = ReadValidCache(cache_path, dir, shards);
  if (!members) {
    members.emplace();
    for (size_t i = 0; i < shards.size(); ++i) {
      absl::StatusOr<FileStamp> stamp = StatFile(JoinPath(dir, shards[i]));
      if (!stamp.ok()) return stamp.status();
      if (absl::Status indexed = IndexShard(images->descriptors_[i], static_cast<int32_t>(i), JoinPath(dir, shards[i]),
                                            stamp->size, &*members);
          !indexed.ok()) {
        return indexed;
      }
    }
    if (members->empty()) return absl::InvalidArgumentError(absl::StrFormat("%s: the shards hold no samples", dir));
    (void)WriteFileAtomically(cache_path, CacheText(dir, shards, *members));  // unwritable: indexed again next time
  }
  images->SetMembers(*std::move(members));
  return images;
}

TarShardImages::TarShardImages(std::string dir, std::vector<std::string> shards)
    : dir_(std::move(dir)), shards_(std::move(shards)) {}

void TarShardImages::SetMembers(std::vector<Member> members) {
  members_ = std::move(members);
  for (const Member& m : members_) num_classes_ = std::max<int64_t>(num_classes_, m.label + 1);
}

TarShardImages::~TarShardImages() {
  for (int fd : descriptors_) ::close(fd);
}

std::string TarShardImages::name(int64_t image) const {
  const Member& m = members_[image];
  return absl::StrCat(JoinPath(dir_, shards_[m.shard]), ":", m.key);
}

absl::StatusOr<std::string> TarShardImages::Read(int64_t image) const {
  const Member& m = members_[image];
  if (block_reader_ != nullptr) {
    return block_reader_->Read(m.shard, descriptors_[m.shard], shard_bytes_[m.shard], m.offset, m.size,
                               JoinPath(dir_, shards_[m.shard]));
  }
  return ReadFileRange(descriptors_[m.shard], m.offset, m.size, JoinPath(dir_, shards_[m.shard]));
}

void TarShardImages::ReadInBlocks(int64_t block_bytes, int64_t streams, int64_t window) {
  double total_bytes = 0;
  double blocks = 0;  // blocks end at shard ends, so small shards hold less than a block each
  for (const int64_t bytes : shard_bytes_) {
    total_bytes += static_cast<double>(bytes);
    blocks += std::ceil(static_cast<double>(bytes) / static_cast<double>(block_bytes));
  }
  const double window_bytes = static_cast<double>(window) * total_bytes / static_cast<double>(members_.size());
  // Each stream's window, the partial blocks at its two ends, and one more for prefetching into the next window.
  const double per_stream = std::ceil(window_bytes / (total_bytes / blocks)) + 3;
  block_reader_ = std::make_unique<BlockReader>(block_bytes, streams * static_cast<int64_t>(per_stream));
}

int64_t TarShardImages::blocks_read() const { return block_reader_ != nullptr ? block_reader_->blocks_read() : 0; }

absl::StatusOr<std::unique_ptr<TarWriter>> TarWriter::Create(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return absl::PermissionDeniedError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
  return std::unique_ptr<TarWriter>(new TarWriter(file));
}

TarWriter::~TarWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status TarWriter::Add(const std::string& member, const std::string& contents) {
  if (member.size() >= 100) return absl::InvalidArgumentError(absl::StrFormat("tar member name too long: %s", member));
  char header[kBlock] = {};
  std::memcpy(header, member.data(), member.size());
  std::snprintf(header + 100, 8, "%07o", 0644);
  std::snprintf(header + 108, 8, "%07o", 0);
  std::snprintf(header + 116, 8, "%07o", 0);
  std::snprintf(header + 124, 12, "%011llo", static_cast<unsigned long long>(contents.size()));
  std::snprintf(header + 136, 12, "%011o", 0);
  header[156] = '0';
  std::memcpy(header + 257, "ustar", 6);
  std::memcpy(header + 263, "00", 2);
  std::memset(header + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : header) sum += static_cast<unsigned char>(c);
  std::snprintf(header + 148, 8, "%06o", sum);
  const char zeros[kBlock] = {};
  const size_t padding = (kBlock - contents.size() % kBlock) % kBlock;
  if (std::fwrite(header, 1, kBlock, file_) != kBlock ||
      std::fwrite(contents.data(), 1, contents.size(), file_) != contents.size() ||
      std::fwrite(zeros, 1, padding, file_) != padding) {
    return absl::DataLossError(absl::StrFormat("tar write failed: %s", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status TarWriter::Close() {
  const char zeros[2 * kBlock] = {};
  const bool ok = std::fwrite(zeros, 1, sizeof(zeros), file_) == sizeof(zeros);
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok || !closed) return absl::DataLossError(absl::StrFormat("tar close failed: %s", std::strerror(errno)));
  return absl::OkStatus();
}

}  // namespace strobe
