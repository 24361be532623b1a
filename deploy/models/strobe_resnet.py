"""Strobe's CIFAR-style ResNet (resnet20) in PyTorch, with Strobe's tensor names, so that what `strobe export`
writes for a resnet20 checkpoint loads with load_state_dict(strict=True):

    import torch, strobe_resnet
    model = strobe_resnet.resnet20(in_channels=1, num_classes=10)
    model.load_state_dict(torch.load("resnet20.pt"))

resnet18 and resnet50 export with torchvision's names: load them into torchvision.models.resnet18/resnet50 (or
timm's), replacing conv1 for inputs that are not RGB.
"""
import torch
from torch import nn


def _conv(in_channels, out_channels, kernel, stride):
    return nn.Conv2d(in_channels, out_channels, kernel, stride, kernel // 2, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, in_channels, width, stride):
        super().__init__()
        self.body = nn.Sequential(_conv(in_channels, width, 3, stride), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                                  _conv(width, width, 3, 1), nn.BatchNorm2d(width))
        self.shortcut = None
        if stride != 1 or in_channels != width:
            self.shortcut = nn.Sequential(_conv(in_channels, width, 1, stride), nn.BatchNorm2d(width))

    def forward(self, x):
        identity = x if self.shortcut is None else self.shortcut(x)
        return torch.relu(self.body(x) + identity)


class CifarResNet(nn.Module):
    def __init__(self, in_channels, num_classes, widths, blocks):
        super().__init__()
        self.stem = nn.Sequential(_conv(in_channels, widths[0], 3, 1), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        layers, channels = [], widths[0]
        for stage, (width, count) in enumerate(zip(widths, blocks)):
            for block in range(count):
                layers.append(BasicBlock(channels, width, 2 if stage > 0 and block == 0 else 1))
                channels = width
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, images):
        x = self.stages(self.stem(images))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def resnet20(in_channels=3, num_classes=10):
    return CifarResNet(in_channels, num_classes, (16, 32, 64), (3, 3, 3))
