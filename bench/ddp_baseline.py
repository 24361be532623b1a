#!/usr/bin/python3
"""PyTorch DistributedDataParallel (gloo, CPU) baseline for Strobe's throughput benchmark.

Trains the same CIFAR-style ResNet-20 as `strobe train --model=resnet20` on Fashion-MNIST with the same
global batch, optimizer (SGD, momentum 0.9, Nesterov, weight decay 5e-4 except BatchNorm/bias), learning-rate
schedule (linear scaling, linear warmup, cosine) and normalisation, then prints one JSON line with images/s
and test accuracy. Batches are sliced from in-memory tensors (no DataLoader workers), which is the fastest
way to feed Python DDP here, so the comparison does not flatter Strobe. --mix adds timm's Mixup/CutMix as
`timm.data.Mixup(mixup_alpha=0.8, cutmix_alpha=1.0, label_smoothing=0.1)` applies it (one draw per batch, the
partner of sample i is sample B-1-i, CutMix with probability 0.5, the box's lambda corrected at the border,
soft-target cross-entropy), matching `strobe train --mixup_alpha=0.8 --cutmix_alpha=1.0 --label_smoothing=0.1`.

Run with Debian's interpreter: /usr/bin/python3 bench/ddp_baseline.py --ranks=2 --epochs=1
Under mpirun (so that both sides get the same launcher and CPU binding), each process is one rank:
  mpirun -np 2 /usr/bin/python3 bench/ddp_baseline.py --ranks=2
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class ResNet20(nn.Module):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for b in range(3):
                layers.append(BasicBlock(cin, cout, stride if b == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def make_model(name):
    """resnet20 (Strobe's built-in architecture), or a torchvision model for 1-channel images and 10 classes, built
    as deploy/models/script_model.py builds the file `strobe train --model=PATH.pt` trains."""
    if name == "resnet20":
        return ResNet20(1, 10)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy", "models"))
    import script_model
    return script_model.with_input_channels(script_model.build(name, 10, False), 1)


def lr_at(step, total, warmup, peak, floor):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def mix_batch(x, labels, rng, args, num_classes=10):
    """timm's Mixup in batch mode with its flip partner; returns the mixed images and soft targets."""
    off = args.label_smoothing / num_classes
    onehot = torch.full((len(labels), num_classes), off)
    onehot.scatter_(1, labels.unsqueeze(1), 1 - args.label_smoothing + off)
    use_cutmix = rng.random() < args.mix_switch_prob
    alpha = args.cutmix_alpha if use_cutmix else args.mixup_alpha
    lam = float(rng.beta(alpha, alpha))
    if use_cutmix:
        h, w = x.shape[-2:]
        ratio = math.sqrt(1 - lam)
        cut_h, cut_w = int(h * ratio), int(w * ratio)
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        yl, yh = np.clip(cy - cut_h // 2, 0, h), np.clip(cy + cut_h // 2, 0, h)
        xl, xh = np.clip(cx - cut_w // 2, 0, w), np.clip(cx + cut_w // 2, 0, w)
        x[:, :, yl:yh, xl:xh] = x.flip(0)[:, :, yl:yh, xl:xh]
        lam = 1 - (yh - yl) * (xh - xl) / float(h * w)
    else:
        x = x.mul(lam).add_(x.flip(0).mul_(1 - lam))
    return x, onehot.mul(lam).add_(onehot.flip(0).mul_(1 - lam))


def autocast(args):
    """The forward pass under CPU autocast in bf16 with --amp=bf16, as `strobe train --amp=bf16`; else a no-op."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.amp == "bf16")


def evaluate(model, xte, yte, rank, ranks, args):
    """Test accuracy of the same weights, each rank counting its contiguous share of the test set."""
    model.eval()
    n = len(xte)
    lo, hi = rank * n // ranks, (rank + 1) * n // ranks
    correct = torch.zeros(1, dtype=torch.int64)
    with torch.no_grad():
        for b in range(lo, hi, 100):  # small batches: 500 spends 10 s of page faults here
            e = min(hi, b + 100)
            x = (xte[b:e].unsqueeze(1).float() / 255 - MEAN) / STD
            with autocast(args):
                logits = model(x)
            correct += (logits.float().argmax(1) == yte[b:e]).sum()
    dist.all_reduce(correct)
    return round(correct.item() / n, 4)


def worker(rank, args):
    os.environ["MASTER_ADDR"] = args.master_addr
    os.environ["MASTER_PORT"] = str(args.port)
    torch.set_num_threads(args.threads)
    dist.init_process_group("gloo", rank=rank, world_size=args.ranks)
    root = args.data
    xtr = torch.from_numpy(read_idx(f"{root}/train-images-idx3-ubyte.gz").copy())
    ytr = torch.from_numpy(read_idx(f"{root}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xte = torch.from_numpy(read_idx(f"{root}/t10k-images-idx3-ubyte.gz").copy())
    yte = torch.from_numpy(read_idx(f"{root}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    if args.train_samples:
        xtr, ytr = xtr[:args.train_samples], ytr[:args.train_samples]

    torch.manual_seed(args.seed)
    model = make_model(args.model)
    layout = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)
    ddp = nn.parallel.DistributedDataParallel(model)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9, nesterov=True)
    local = args.batch_size // args.ranks
    steps_per_epoch = len(xtr) // args.batch_size
    total = steps_per_epoch * args.epochs
    peak = args.lr * args.batch_size / 256
    warmup = min(total, math.floor(args.warmup_epochs * steps_per_epoch + 0.5))  # as C++ llround
    step = 0
    images = 0
    rng = np.random.default_rng(args.seed * 1000 + rank)  # each rank its own mixing stream, as timm's
    dist.barrier()
    start = time.perf_counter()
    for epoch in range(args.epochs):
        g = torch.Generator().manual_seed(args.seed + epoch)
        perm = torch.randperm(len(xtr), generator=g)
        ddp.train()
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch_size + rank * local: s * args.batch_size + (rank + 1) * local]
            x = (xtr[idx].unsqueeze(1).float() / 255 - MEAN) / STD
            y = ytr[idx]
            if args.mix:
                x, y = mix_batch(x, y, rng, args)
            x = x.contiguous(memory_format=layout)
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, warmup, peak, args.final_lr)
            opt.zero_grad(set_to_none=True)
            with autocast(args):
                logits = ddp(x)
            logits = logits.float()  # the loss in float32, as Strobe computes it
            loss = (-y * F.log_softmax(logits, 1)).sum(1).mean() if args.mix else F.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            step += 1
            images += args.batch_size
        if args.eval_each_epoch and epoch + 1 < args.epochs:  # the last epoch's evaluation follows below
            accuracy = evaluate(model, xte, yte, rank, args.ranks, args)
            if rank == 0:
                print(json.dumps({"epoch": epoch, "time": round(time.time(), 3), "test_accuracy": accuracy}),
                      flush=True)
    dist.barrier()
    elapsed = time.perf_counter() - start
    accuracy = evaluate(model, xte, yte, rank, args.ranks, args)
    if rank == 0 and args.eval_each_epoch:
        print(json.dumps({"epoch": args.epochs - 1, "time": round(time.time(), 3), "test_accuracy": accuracy}),
              flush=True)
    if rank == 0:
        print(json.dumps({"impl": "pytorch-ddp-gloo", "model": args.model, "ranks": args.ranks, "threads_per_rank": args.threads,
                          "global_batch": args.batch_size, "mix": args.mix, "channels_last": args.channels_last,
                          "amp": args.amp,
                          "steps": step, "seconds": round(elapsed, 3),
                          "images_per_s": round(images / elapsed, 1),
                          "test_accuracy": accuracy}), flush=True)
    # Not destroy_process_group(): across simulated hosts torch 1.13's gloo teardown hung rank 0 after the results
    # (1 of 5 runs with 5 ms link delay). Both ranks pass this barrier, then leave without it.
    dist.barrier()
    sys.stdout.flush()
    os._exit(0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--model", default="resnet20", help="resnet20, or a torchvision.models name (resnet18, ...)")
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch_size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--final_lr", type=float, default=0.0)
    p.add_argument("--weight_decay", type=float, default=5e-4)
    p.add_argument("--warmup_epochs", type=float, default=0.5)
    p.add_argument("--train_samples", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mix", action="store_true", help="Mixup 0.8 + CutMix 1.0 with label smoothing 0.1 (timm)")
    p.add_argument("--mixup_alpha", type=float, default=0.8)
    p.add_argument("--cutmix_alpha", type=float, default=1.0)
    p.add_argument("--mix_switch_prob", type=float, default=0.5)
    p.add_argument("--label_smoothing", type=float, default=0.1)
    p.add_argument("--port", type=int, default=29517)
    p.add_argument("--master_addr", default="127.0.0.1", help="rank 0's address (another host's for multi-host runs)")
    p.add_argument("--channels_last", action="store_true",
                   help="model and batches in the channels-last memory format (torch.channels_last)")
    p.add_argument("--amp", choices=["off", "bf16"], default="off",
                   help="bf16: forward passes under torch.autocast('cpu', bfloat16), as strobe train --amp=bf16")
    p.add_argument("--eval_each_epoch", action="store_true",
                   help="also print {epoch, time, test_accuracy} after every epoch (time-to-accuracy)")
    args = p.parse_args()
    if "OMPI_COMM_WORLD_SIZE" in os.environ:  # started by mpirun: this process is one rank
        if int(os.environ["OMPI_COMM_WORLD_SIZE"]) != args.ranks:
            raise SystemExit(f"--ranks={args.ranks} but mpirun started {os.environ['OMPI_COMM_WORLD_SIZE']} processes")
        worker(int(os.environ["OMPI_COMM_WORLD_RANK"]), args)
    else:
        mp.spawn(worker, args=(args,), nprocs=args.ranks)


if __name__ == "__main__":
    main()
