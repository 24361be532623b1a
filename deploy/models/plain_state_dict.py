"""Rewrites a PyTorch weights file as what `strobe train --init_weights` reads: a plain dict of tensors.

    /usr/bin/python3 deploy/models/plain_state_dict.py resnet50-0676ba61.pth resnet50.pt
    /usr/bin/python3 deploy/models/plain_state_dict.py resnet18-f37072fd.pth resnet18_1ch.pt --in_channels=1

Handles what published and training checkpoints hold: an OrderedDict (any module's state_dict(), which LibTorch
cannot read), a checkpoint dict that nests the weights under "state_dict", "model" or "model_state_dict" (or
--key), and DistributedDataParallel's "module." prefix. --in_channels=1 turns an RGB first convolution ("conv1",
or --first_conv) into a 1-channel one by summing its weights over the colour channels, as timm does for grey
images. Never overwrites OUT.
"""
import argparse
import os
import sys

import torch

NESTED_KEYS = ("state_dict", "model", "model_state_dict")


def tensors_of(loaded, key):
    if all(isinstance(value, torch.Tensor) for value in loaded.values()):
        return loaded, None
    for candidate in ([key] if key else NESTED_KEYS):
        nested = loaded.get(candidate)
        if isinstance(nested, dict) and nested and all(isinstance(v, torch.Tensor) for v in nested.values()):
            return nested, candidate
    sys.exit(f"plain_state_dict.py: no dict of tensors in the file (top-level keys: {sorted(loaded)[:10]}); "
             f"name the entry that holds the weights with --key")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--key", help="the entry holding the weights in a checkpoint dict")
    parser.add_argument("--in_channels", type=int, help="input channels of the first convolution to produce")
    parser.add_argument("--first_conv", default="conv1", help="name of the first convolution (default: conv1)")
    args = parser.parse_args()
    if os.path.exists(args.output):
        sys.exit(f"plain_state_dict.py: {args.output} exists; not overwriting it")
    loaded = torch.load(args.input, map_location="cpu")
    if not isinstance(loaded, dict):
        sys.exit(f"plain_state_dict.py: {args.input} holds a {type(loaded).__name__}, not a state_dict")
    state, nested_under = tensors_of(loaded, args.key)
    notes = [f"the weights under '{nested_under}'"] if nested_under else []
    if state and all(name.startswith("module.") for name in state):
        state = {name[len("module."):]: tensor for name, tensor in state.items()}
        notes.append("'module.' prefixes removed")
    state = dict(state)
    if args.in_channels is not None:
        name = args.first_conv + ".weight"
        if name not in state:
            sys.exit(f"plain_state_dict.py: no '{name}' in the file; name the first convolution with --first_conv")
        weight = state[name]
        if weight.shape[1] != args.in_channels:
            if args.in_channels != 1:
                sys.exit(f"plain_state_dict.py: can turn {weight.shape[1]} input channels into 1, not into "
                         f"{args.in_channels}")
            state[name] = weight.sum(dim=1, keepdim=True)
            notes.append(f"{name} summed over its {weight.shape[1]} input channels")
    torch.save(state, args.output)
    values = sum(tensor.numel() for tensor in state.values())
    print(f"wrote {args.output}: {len(state)} tensors, {values} values"
          + (f" ({'; '.join(notes)})" if notes else ""))


if __name__ == "__main__":
    main()
