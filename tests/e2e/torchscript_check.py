"""Python's side of tests/e2e/torchscript_models_test.sh (run with /usr/bin/python3: Debian's torch, torchvision).

Commands:
  traced OUT: torchvision's resnet18 for 1-channel images and 10 classes, traced (torch.jit.trace) rather than scripted.
  bad-model KIND OUT: writes a model Strobe must refuse: state_dict (a torchvision resnet18 state_dict saved with
      torch.save), frozen (a scripted model without trainable parameters), integer (returns class indices),
      no_batch_norm (trains, but not with --sync_bn).
  export-check EXPORT CHECKPOINT TOOL WORK CHANNELS SIZE: EXPORT (strobe export, TorchScript) loads with
      torch.jit.load in eval mode, and its logits on a fixed batch equal Strobe's (TOOL on CHECKPOINT) within 1e-5.
  state-dict-check ORIGINAL STATE_DICT EXPORT CHANNELS SIZE: the scripted file training started from, given the
      exported state_dict (strict), computes EXPORT's logits exactly.
  eval-json-check JSON IMAGES TOP1: strobe eval's JSON holds IMAGES images whose per-class counts add up to them
      and to the top-1 accuracy TOP1 printed.
"""
import json
import os
import subprocess
import sys

import torch
import torchvision


def fixed_batch(channels, size):
    return torch.randn(6, int(channels), int(size), int(size), generator=torch.Generator().manual_seed(5))


def traced(out):
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    torch.jit.trace(model, torch.randn(2, 1, 28, 28)).save(out)


def bad_model(kind, out):
    torch.manual_seed(0)
    if kind == "state_dict":
        torch.save(torchvision.models.resnet18(num_classes=10).state_dict(), out)
        return
    if kind == "frozen":
        model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                                    torch.nn.Linear(4, 10))
        for parameter in model.parameters():
            parameter.requires_grad_(False)
        torch.jit.script(model).save(out)
        return
    if kind == "no_batch_norm":  # trains, but has nothing for --sync_bn to synchronise
        model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                                    torch.nn.Flatten(), torch.nn.Linear(4, 10))
        torch.jit.script(model).save(out)
        return
    if kind == "integer":
        class ClassIndices(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(28 * 28, 10)

            def forward(self, x):
                return self.fc(x.flatten(1)).argsort(1)
        torch.jit.script(ClassIndices()).save(out)
        return
    raise SystemExit(f"unknown kind {kind}")


def export_check(export, checkpoint, tool, work, channels, size):
    model = torch.jit.load(export)
    assert not model.training, "an export must be in eval mode"
    images = fixed_batch(channels, size)
    with torch.no_grad():
        theirs = model(images)
    batch, logits = os.path.join(work, "batch.pt"), os.path.join(work, "strobe_logits.pt")
    torch.save(images, batch)
    subprocess.run([tool, checkpoint, batch, logits], check=True)
    ours = torch.load(logits)
    difference = (theirs - ours).abs().max().item()
    print(f"export-check: logits {tuple(theirs.shape)}, largest |difference| {difference:.2e}")
    assert difference <= 1e-5, f"torch.jit.load(export) and Strobe's logits differ by {difference}"


def state_dict_check(original, state_dict, export, channels, size):
    model = torch.jit.load(original)
    model.load_state_dict(torch.load(state_dict), strict=True)
    model.eval()
    images = fixed_batch(channels, size)
    with torch.no_grad():
        assert torch.equal(model(images), torch.jit.load(export)(images)), "state_dict and TorchScript exports differ"
    print("state-dict-check: the state_dict export in the scripted model gives the TorchScript export's logits")


def eval_json_check(path, images, top1):
    with open(path) as file:
        result = json.load(file)
    classes = result["per_class"]
    assert result["images"] == int(images), result["images"]
    assert sum(c["images"] for c in classes) == int(images)
    correct = sum(c["correct"] for c in classes)
    assert abs(correct / int(images) - float(top1)) < 1e-4, (correct, top1)
    assert abs(result["top1"] - float(top1)) < 1e-4 and result["top5"] >= result["top1"]
    print(f"eval-json-check: {len(classes)} classes, {correct} of {images} correct")


def main():
    command, arguments = sys.argv[1], sys.argv[2:]
    commands = {"traced": traced, "bad-model": bad_model, "export-check": export_check, "state-dict-check": state_dict_check,
                "eval-json-check": eval_json_check}
    commands[command](*arguments)


if __name__ == "__main__":
    main()
