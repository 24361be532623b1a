#!/usr/bin/python3
"""Writes a torchvision (or timm) model as a TorchScript file for `strobe train --model=PATH.pt`.

    /usr/bin/python3 deploy/models/script_model.py resnet18 --num_classes=10 --in_channels=1 --output=resnet18.pt

What it does is what you would write yourself for any nn.Module:

    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)   # only for images that are not RGB
    torch.jit.script(model).save("resnet18.pt")

Strobe's contract: the module takes a float batch [N, C, H, W] and returns logits [N, classes]. The weights saved
are the ones training starts from (rank 0's), so --seed makes the file, and the run, reproducible; --pretrained
starts from torchvision's ImageNet weights instead (they are downloaded, so this needs the network).
"""
import argparse
import sys

import torch


def first_conv(model):
    """The (parent, attribute name, module) of the first Conv2d, the layer that takes the images."""
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Conv2d):
            parent_name, _, attribute = name.rpartition(".")
            return model.get_submodule(parent_name) if parent_name else model, attribute, module
    raise SystemExit("script_model.py: the model has no Conv2d whose input channels could be changed")


def with_input_channels(model, channels):
    parent, attribute, conv = first_conv(model)
    if conv.in_channels == channels:
        return model
    replacement = torch.nn.Conv2d(channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                                  conv.dilation, 1, conv.bias is not None, conv.padding_mode)
    setattr(parent, attribute, replacement)
    return model


def build(name, num_classes, pretrained):
    if name.startswith("timm:"):
        import timm  # noqa: imported only when asked for
        return timm.create_model(name[len("timm:"):], num_classes=num_classes, pretrained=pretrained)
    import torchvision
    if not hasattr(torchvision.models, name):
        raise SystemExit(f"script_model.py: torchvision.models has no '{name}' (torchvision {torchvision.__version__})")
    if pretrained:
        model = getattr(torchvision.models, name)(weights="DEFAULT")
        return reset_classifier(model, num_classes)
    return getattr(torchvision.models, name)(num_classes=num_classes)


def reset_classifier(model, num_classes):
    """A pretrained model's last Linear layer, replaced by a fresh one for `num_classes`."""
    last = None
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear):
            last = name
    if last is None:
        raise SystemExit("script_model.py: the pretrained model has no Linear classifier to replace")
    parent_name, _, attribute = last.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    old = getattr(parent, attribute)
    setattr(parent, attribute, torch.nn.Linear(old.in_features, num_classes))
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="a torchvision.models name (resnet18, mobilenet_v3_small, efficientnet_b0, "
                                      "convnext_tiny, regnet_y_400mf, densenet121, vit_b_16) or timm:NAME")
    parser.add_argument("--num_classes", type=int, required=True)
    parser.add_argument("--in_channels", type=int, default=3)
    parser.add_argument("--output", required=True)
    parser.add_argument("--seed", type=int, default=0, help="seeds the initial weights")
    parser.add_argument("--pretrained", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    model = with_input_channels(build(args.model, args.num_classes, args.pretrained), args.in_channels)
    scripted = torch.jit.script(model)
    scripted.save(args.output)
    parameters = sum(p.numel() for p in model.parameters())
    print(f"script_model.py: wrote {args.output}: {args.model}, {parameters} parameters, "
          f"{args.in_channels} input channel(s), {args.num_classes} classes")


if __name__ == "__main__":
    sys.exit(main())
