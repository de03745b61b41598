#!/usr/bin/env bash
# with-openblas.sh - run one command with Debian's OpenBLAS (OpenMP build) as its BLAS.
#   launch/bench/with-openblas.sh /usr/bin/python3 launch/bench/pytorch_bert.py --bench ...
#   launch/bench/with-openblas.sh --print     # print the library folder and exit
# Debian's libtorch links libblas.so.3; installed with --no-install-recommends that is
# the netlib reference BLAS (~4 GFLOP/s here), a strawman baseline. libtorch1.13
# recommends libopenblas0 first. If libopenblas0-openmp is installed, its folder is used;
# otherwise the .deb is fetched with `apt-get download` and unpacked (dpkg -x) into a
# cache folder, so nothing system-wide changes (no install, no update-alternatives).
# The OpenMP build follows torch.set_num_threads / OMP_NUM_THREADS.
set -euo pipefail
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
sys_dir=/usr/lib/$multiarch/openblas-openmp
cache=${OPENBLAS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bert-bench/openblas-openmp}
if [ -e "$sys_dir/libblas.so.3" ]; then
  dir=$sys_dir
else
  dir=$cache/root/usr/lib/$multiarch/openblas-openmp
  if [ ! -e "$dir/libblas.so.3" ]; then
    mkdir -p "$cache"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get download -q libopenblas0-openmp >&2) ||
      { echo "with-openblas.sh: apt-get download libopenblas0-openmp failed" >&2; exit 1; }
    dpkg -x "$tmp"/libopenblas0-openmp_*.deb "$cache/root"
  fi
fi
if [ "${1:-}" = --print ]; then echo "$dir"; exit 0; fi
[ "$#" -gt 0 ] || { sed -n '2,4p' "$0" >&2; exit 2; }
export LD_LIBRARY_PATH=$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
exec "$@"
