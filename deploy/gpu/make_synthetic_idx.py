"""Writes a small synthetic Fashion-MNIST-shaped IDX dataset (4,096 training and 1,024 test images of 10 classes,
each class a brighter image than the last, so it can be learnt) for GPU checks on hosts without the real data.
Usage: python3 deploy/gpu/make_synthetic_idx.py DIR"""
import gzip
import os
import struct
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
for split, n in (("train", 4096), ("t10k", 1024)):
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    images = (rng.random((n, 28, 28)) * 60 + labels[:, None, None] * 19).astype(np.uint8)
    with gzip.open(f"{out}/{split}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes())
    with gzip.open(f"{out}/{split}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + labels.tobytes())
