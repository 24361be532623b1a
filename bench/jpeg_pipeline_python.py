"""The same training input pipeline in Python: PIL decode + torchvision RandomResizedCrop(224) +
RandomHorizontalFlip + ToTensor + Normalize, one thread, on files read into memory first.

Usage: /usr/bin/python3 bench/jpeg_pipeline_python.py IMAGES_DIR [ROUNDS]
"""
import io
import os
import sys
import time

import torch
from PIL import Image
from torchvision import transforms


def main():
    directory = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    torch.set_num_threads(1)
    torch.manual_seed(0)
    contents = [open(os.path.join(directory, name), "rb").read() for name in sorted(os.listdir(directory))]
    pipeline = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    start = time.perf_counter()
    cpu_start = time.process_time()
    for _ in range(rounds):
        for data in contents:
            pipeline(Image.open(io.BytesIO(data)).convert("RGB"))
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    images = rounds * len(contents)
    print("python (PIL + torchvision): %d files x %d rounds, 1 thread: %.1f img/s (%.3f ms/img), CPU time %.3f ms/img"
          % (len(contents), rounds, images / seconds, 1000 * seconds / images, 1000 * cpu_seconds / images))


if __name__ == "__main__":
    main()
