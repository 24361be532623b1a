#ifndef STROBE_APP_IMAGE_FOLDER_COMMAND_H_
#define STROBE_APP_IMAGE_FOLDER_COMMAND_H_

#include <string>

namespace strobe {

// `strobe make-image-folder OUT [--data=IDX_DIR] [--folder_image_size=64] [--train_samples=N] [--eval_samples=N]`:
// writes the IDX dataset (Fashion-MNIST by default) as an ImageNet-layout folder of RGB JPEGs, upscaled:
// OUT/train/class_NN/NNNNN.JPEG and OUT/val/class_NN/NNNNN.JPEG — a small ImageNet stand-in for demos and tests of
// the JPEG input path. OUT must not exist yet.
int RunImageFolderCommand(const std::string& out_dir);

}  // namespace strobe

#endif  // STROBE_APP_IMAGE_FOLDER_COMMAND_H_
