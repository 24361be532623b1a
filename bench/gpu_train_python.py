"""PyTorch eager in Python, the baseline of bench/gpu_train_bench.cc: the same model, batch, SGD, autocast and
memory format on synthetic data already on the GPU, timed the same way (warm-up steps, then timed steps between
device synchronisations). Loss is read every step, as Strobe's training step does.
Run: python3 bench/gpu_train_python.py [--model resnet50] [--batch 256] [--amp bf16] [--channels_last 1]
     [--optimizer sgd|adamw]"""
import argparse
import time

import torch
import torchvision

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="resnet50")
parser.add_argument("--batch", type=int, default=256)
parser.add_argument("--image_size", type=int, default=224)
parser.add_argument("--amp", default="bf16", choices=["off", "bf16", "fp16"])
parser.add_argument("--channels_last", type=int, default=1)
parser.add_argument("--warmup_steps", type=int, default=15)
parser.add_argument("--steps", type=int, default=40)
parser.add_argument("--optimizer", default="sgd", choices=["sgd", "adamw"])
args = parser.parse_args()

torch.backends.cudnn.benchmark = True
torch.manual_seed(0)
device = torch.device("cuda")
memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
model = getattr(torchvision.models, args.model)(num_classes=1000).to(device, memory_format=memory_format)
if args.optimizer == "adamw":  # PyTorch's default implementation (foreach on CUDA), as Strobe's
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1, weight_decay=1e-4)
else:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
images = torch.randn(args.batch, 3, args.image_size, args.image_size, device=device).contiguous(
    memory_format=memory_format)
labels = torch.randint(0, 1000, (args.batch,), device=device)
dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.amp)
scaler = torch.amp.GradScaler("cuda", enabled=args.amp == "fp16")
criterion = torch.nn.CrossEntropyLoss()


def step():
    optimizer.zero_grad()
    with torch.autocast("cuda", dtype=dtype or torch.float32, enabled=dtype is not None):
        logits = model(images)
    loss = criterion(logits.float(), labels)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.item()


model.train()
for _ in range(args.warmup_steps):
    step()
torch.cuda.synchronize()
start = time.perf_counter()
for _ in range(args.steps):
    loss = step()
torch.cuda.synchronize()
seconds = time.perf_counter() - start
print(f"pytorch {args.model} batch {args.batch} amp {args.amp}{' channels-last' if args.channels_last else ''} "
      f"{args.optimizer}: "
      f"{args.batch * args.steps / seconds:.1f} img/s ({1e3 * seconds / args.steps:.2f} ms/step, last loss {loss:.3f})")
