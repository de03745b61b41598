#!/usr/bin/env bash
# check_layering.sh - the dependency rules of docs/architecture.md, checked on the
# sources (the build enforces most of them through include paths; this catches
# the rest): one owner per outside library, OpenMP pragmas only in ops/, and no
# module including headers of a module above it.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
owner() { # owner HEADER_REGEX ALLOWED_FILES...
  local pat=$1; shift
  local found
  found=$(grep -rlE "#include *[<\"]($pat)[>\"]" common ops data trainer | sort)
  for f in $found; do
    local ok=0
    for a in "$@"; do [ "$f" = "$a" ] && ok=1; done
    if [ "$ok" = 0 ]; then echo "layering: $f includes $pat (allowed only in: $*)"; bad=1; fi
  done
}
owner "mpi\.h" trainer/comm.c
owner "dnnl\.h|dnnl_debug\.h|oneapi/dnnl/.*" ops/dnnl_ctx.c
owner "zstd\.h" trainer/checkpoint.c
owner "utf8proc\.h" data/unicode.c
owner "jansson\.h" common/json_util.h
owner "hdf5\.h" data/shard_h5.h
owner "shard_h5\.h" data/shard_h5.c data/shard_writer.c data/shard_reader.c data/nvidia_shard.c
if grep -rn "pragma omp" common data trainer; then
  echo "layering: OpenMP pragmas belong in ops/ only"; bad=1
fi
# ops sees no data/trainer headers; data sees no ops/trainer headers.
for f in ops/*.[ch]; do
  for h in $(sed -n 's/^#include "\(.*\)"/\1/p' "$f"); do
    [ -e "ops/$h" ] || [ -e "common/$h" ] || { echo "layering: $f includes $h (ops may use common only)"; bad=1; }
  done
done
for f in data/*.[ch] data/tools/*.c; do
  for h in $(sed -n 's/^#include "\(.*\)"/\1/p' "$f"); do
    [ -e "data/$h" ] || [ -e "$(dirname "$f")/$h" ] || [ -e "common/$h" ] || { echo "layering: $f includes $h (data may use common only)"; bad=1; }
  done
done
[ "$bad" = 0 ] && echo "layering: ok"
exit "$bad"
