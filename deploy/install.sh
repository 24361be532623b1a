#!/usr/bin/env bash
# Installs what building, testing and running Strobe (CPU build) needs on Debian 12, as root.
# Usage: bash deploy/install.sh [--bench]   (--bench adds Debian's python3-torch for the PyTorch DDP comparison)
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  echo "deploy/install.sh: run as root (apt-get install needs it), e.g. sudo bash deploy/install.sh" >&2
  exit 1
fi
packages=(g++ make cmake ccache libtorch-dev libopenmpi-dev openmpi-bin libabsl-dev libgtest-dev zlib1g-dev
          dataset-fashion-mnist)
if [[ ${1:-} == --bench ]]; then packages+=(python3-torch); fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
