#!/usr/bin/env bash
# install-deps.sh - install the Debian 12 packages this project needs to build,
# test and run. Idempotent: when everything is present it makes no apt call.
#   bash launch/install-deps.sh            # build + run + test (incl. SLURM, PyTorch for benchmarks)
#   bash launch/install-deps.sh --minimal  # build + run only
#   bash launch/install-deps.sh --check    # list what is missing, exit 1 if anything is
set -euo pipefail

mode=full
for a in "$@"; do
  case "$a" in
    --minimal) mode=minimal ;;
    --check) mode=check ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$a' (expected --minimal or --check)" >&2; exit 2 ;;
  esac
done

PKGS=(build-essential cmake pkg-config
      libopenmpi-dev openmpi-bin
      libdnnl-dev ocl-icd-opencl-dev          # dnnl-config.cmake needs OpenCL headers
      libhdf5-dev hdf5-tools                  # serial HDF5: every rank reads its own shards
      libzstd-dev zstd libjansson-dev libutf8proc-dev)
if [ "$mode" != minimal ]; then
  PKGS+=(libcmocka-dev                         # unit tests
         slurm-wlm slurmctld slurmd slurm-client munge   # the local SLURM test cluster
         gnuplot-nox                           # plots of studies
         python3 python3-numpy python3-torch   # PyTorch baseline in the benchmarks
         python3-regex)                        # GPT-2 pre-tokenizer in the BPE oracle test
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "install-deps.sh: missing: ${missing[*]}" >&2
[ "$mode" = check ] && exit 1

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: run as root or install sudo" >&2; exit 1; }
  SUDO="sudo -E"
fi
export DEBIAN_FRONTEND=noninteractive
opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef
      -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=600)
# Keep package scripts from starting munge/slurm daemons; remove only our own policy file.
added_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod 755 /usr/sbin/policy-rc.d
  added_policy=1
fi
trap '[ "$added_policy" = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
$SUDO apt-get -q -o DPkg::Lock::Timeout=600 update >&2
if ! $SUDO apt-get install "${opts[@]}" "${missing[@]}" >&2; then
  echo "install-deps.sh: install failed, retrying once after apt-get update" >&2
  sleep 5
  $SUDO apt-get -q -o DPkg::Lock::Timeout=600 update >&2
  $SUDO apt-get install "${opts[@]}" "${missing[@]}" >&2
fi
