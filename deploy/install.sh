#!/usr/bin/env bash
# Installs what building, testing and running Strobe (CPU build) needs on Debian 12, as root.
# Usage: bash deploy/install.sh [--test | --bench]
#   --test   adds Debian's python3-torch and python3-torchvision: the test suite shows that Strobe's exports load into
#            torchvision's models and torchvision's weights into Strobe's, with equal logits; and python3-protobuf,
#            which reads Strobe's TensorBoard files back
#   --bench  adds them (and python3-pil) for the side-by-side comparisons with PyTorch in bench/
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  echo "deploy/install.sh: run as root (apt-get install needs it), e.g. sudo bash deploy/install.sh" >&2
  exit 1
fi
# gnuplot-nox draws the charts of strobe plot, lr-plot and lr-find; libpmix-dev (found by pkg-config) lets a stalled
# start-up name the ranks that never came; protobuf writes TensorBoard's event files.
packages=(g++ make cmake ccache pkg-config libtorch-dev libopenmpi-dev openmpi-bin libpmix-dev libabsl-dev
          libgtest-dev zlib1g-dev libjpeg-dev libpng-dev libprotobuf-dev protobuf-compiler dataset-fashion-mnist
          gnuplot-nox)
case ${1:-} in
  # iptables and libnetfilter-queue-dev: link delay for the simulated cluster (deploy/netns, e2e_netns_cluster);
  # clang and its sanitizer/libFuzzer runtimes: the image decoder's fuzz test.
  --test) packages+=(python3-torch python3-torchvision python3-protobuf iptables libnetfilter-queue-dev clang
                     libclang-rt-dev) ;;
  # The Python baselines the benchmarks compare against (bench/).
  --bench) packages+=(python3-torch python3-torchvision python3-pil iptables libnetfilter-queue-dev) ;;
  "") ;;
  *) echo "deploy/install.sh: unknown option '$1' (expected --test or --bench)" >&2; exit 2 ;;
esac
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
