#!/usr/bin/python3
"""timm-style per-batch Mixup and CutMix written with PyTorch ops, timed on the same batches as bench/mix_bench.

Mixup (batch mode, as timm's Mixup._mix_batch): x.mul_(lam).add_(x.flip(0).mul_(1 - lam)).
CutMix (batch mode): x[:, :, y0:y1, x0:x1] = x.flip(0)[:, :, y0:y1, x0:x1] with a centred half-area box.
Usage: /usr/bin/python3 bench/mix_python_baseline.py [--threads N] [--iterations N]
"""
import argparse
import time

import torch


def median_seconds(fn, iterations):
    times = []
    for i in range(iterations + 2):
        start = time.perf_counter()
        fn()
        if i >= 2:
            times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def measure(n, c, h, w, iterations):
    torch.manual_seed(0)
    x = torch.randn(n, c, h, w)
    work = x.clone()
    side_h, side_w = int(h * 0.7071), int(w * 0.7071)
    y0, x0 = (h - side_h) // 2, (w - side_w) // 2
    lam = 0.5

    def mixup():
        work.copy_(x)  # timm mixes the loader's batch in place; restore it so every iteration does the same work
        flipped = work.flip(0).mul_(1.0 - lam)
        work.mul_(lam).add_(flipped)

    def cutmix():
        work.copy_(x)
        work[:, :, y0:y0 + side_h, x0:x0 + side_w] = work.flip(0)[:, :, y0:y0 + side_h, x0:x0 + side_w]

    restore = median_seconds(lambda: work.copy_(x), iterations)
    mixup_s = median_seconds(mixup, iterations) - restore
    cutmix_s = median_seconds(cutmix, iterations) - restore
    mb = x.numel() * 4 / 1e6
    print(f"python-torch {n}x{c}x{h}x{w} ({mb:.1f} MB): mixup(batch) {mixup_s * 1e3:.4f} ms | "
          f"cutmix(batch) {cutmix_s * 1e3:.4f} ms (restore copy {restore * 1e3:.4f} ms subtracted)", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--iterations", type=int, default=10)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"threads {torch.get_num_threads()}")
    measure(256, 3, 224, 224, args.iterations)
    measure(128, 1, 28, 28, args.iterations)


if __name__ == "__main__":
    main()
