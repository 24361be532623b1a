#ifndef STROBE_APP_IMAGE_FOLDER_COMMAND_H_
#define STROBE_APP_IMAGE_FOLDER_COMMAND_H_

#include <string>

namespace strobe {

// `strobe make-image-folder OUT [--data=IDX_DIR] [--folder_image_size=64] [--train_samples=N] [--eval_samples=N]
// [--folder_format=folders|tar] [--folder_shard_size=1000]`: writes the IDX dataset (Fashion-MNIST by default) as
// upscaled RGB JPEGs in an ImageNet folder layout (OUT/train/class_NN/NNNNN.JPEG, OUT/val/...) or as WebDataset tar
// shards (OUT/train/shard-NNNNNN.tar of <key>.jpg + <key>.cls) — a small ImageNet stand-in for demos and tests of
// the JPEG input path. OUT must not exist yet.
int RunImageFolderCommand(const std::string& out_dir);

}  // namespace strobe

#endif  // STROBE_APP_IMAGE_FOLDER_COMMAND_H_
