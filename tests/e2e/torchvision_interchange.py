"""The PyTorch side of torchvision_interchange_test.sh (run with /usr/bin/python3 and Debian's torchvision).

  export-check MODEL CHECKPOINT EXPORT TOOL WORK: EXPORT (from `strobe export CHECKPOINT`) loads with strict=True
      into torchvision's MODEL (strobe_resnet's for resnet20) for 1-channel images and 10 classes, and its logits
      on a fixed batch equal Strobe's (TOOL on the checkpoint's model.pt) within 1e-4.
  import-check TOOL WORK: a torchvision resnet18 state_dict (random weights and BatchNorm statistics) read by Strobe
      (--init_weights's loader) gives torchvision's logits within 1e-4.
  make-published OUT: writes a torchvision resnet18 (RGB, 1000 classes) state_dict as torchvision publishes its
      weights: an OrderedDict, which deploy/models/plain_state_dict.py turns into what Strobe reads.
  crc FILE: the CRC-32 Strobe must report for FILE under --init_exclude=fc: of every tensor but fc's, taken in the
      order of their names.
  rename FILE OUT OLD NEW: FILE with tensor OLD renamed NEW.
"""
import os
import subprocess
import sys
import zlib

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "models"))
import strobe_resnet  # noqa: E402


def torchvision_model(name, classes):
    model = getattr(torchvision.models, name)(num_classes=classes)
    model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def randomise_batchnorm(model):
    generator = torch.Generator().manual_seed(7)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(module.weight.shape, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
            module.num_batches_tracked.fill_(1234)


def strobe_logits(tool, model_name, weights, images, work):
    batch_path, logits_path = os.path.join(work, "batch.pt"), os.path.join(work, "strobe_logits.pt")
    torch.save(images, batch_path)
    if os.path.exists(logits_path):
        os.remove(logits_path)
    subprocess.run([tool, model_name, "1", "10", weights, batch_path, logits_path], check=True)
    return torch.load(logits_path)


def compare(what, theirs, ours):
    difference = (theirs - ours).abs().max().item()
    scale = theirs.abs().max().item()
    print(f"{what}: logits {tuple(theirs.shape)}, largest |difference| {difference:.2e} (largest |logit| {scale:.2f})")
    if not difference <= 1e-4:
        sys.exit(f"FAIL: {what}: the logits differ by {difference}")


def fixed_batch():
    return torch.randn(8, 1, 28, 28, generator=torch.Generator().manual_seed(3))


def export_check(model_name, checkpoint, export, tool, work):
    model = strobe_resnet.resnet20(1, 10) if model_name == "resnet20" else torchvision_model(model_name, 10)
    model.load_state_dict(torch.load(export), strict=True)
    model.eval()
    images = fixed_batch()
    with torch.no_grad():
        theirs = model(images)
    compare(f"{model_name}: export in PyTorch vs Strobe's checkpoint",
            theirs, strobe_logits(tool, model_name, os.path.join(checkpoint, "model.pt"), images, work))


def import_check(tool, work):
    torch.manual_seed(11)
    model = torchvision_model("resnet18", 10)
    randomise_batchnorm(model)
    model.eval()
    path = os.path.join(work, "torchvision18.pt")
    torch.save(dict(model.state_dict()), path)
    images = fixed_batch()
    with torch.no_grad():
        theirs = model(images)
    compare("resnet18: torchvision's weights in torchvision vs in Strobe", theirs,
            strobe_logits(tool, "resnet18", path, images, work))


def make_published(out):
    torch.manual_seed(5)
    model = torchvision.models.resnet18(num_classes=1000)
    randomise_batchnorm(model)
    torch.save(model.state_dict(), out)


def crc(path):
    state = torch.load(path)
    value = 0
    for name in sorted(state):
        if not name.startswith("fc."):
            value = zlib.crc32(state[name].contiguous().numpy().tobytes(), value)
    print(f"{value:08x}")


def rename(path, out, old, new):
    state = torch.load(path)
    state[new] = state.pop(old)
    torch.save(state, out)


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    commands = {"export-check": export_check, "import-check": import_check, "make-published": make_published,
                "crc": crc, "rename": rename}
    commands[command](*arguments)
