#!/usr/bin/env bash
# device-scaling.sh - weak-scaling sweep of bert-train on a machine that has
# none of this project's dependencies (no Open MPI, oneDNN, HDF5, no package
# registry): build a relocatable bundle here, run the sweep there.
#
#   bash launch/bench/device-scaling.sh bundle [--src DIR] [--build DIR] [--native] [--dest DIR]
#       Here (Debian 12 with the project's packages). Builds bert-train and
#       bert-prep in --build (default SRC/build-portable; Release, -DBT_NATIVE=OFF:
#       oneDNN picks the ISA at run time, but the project's own loops are then
#       plain x86-64: a step of the tiny BERT took 1.65x as long as with
#       -march=native on the development VM; --native: -DBT_NATIVE=ON in
#       SRC/build-native, for a machine with the same CPU as this one) unless
#       they are there, then writes
#       DEST/bundle.tar.xz (default .devbundle/, ignored): the two programs, every
#       shared library they, mpirun/orted and Open MPI's plugins need (glibc and
#       libstdc++/libgcc_s excepted; the latter two ride along in lib-extra/ in
#       case the other machine lacks them), Open MPI's plugins (minus the
#       InfiniBand/UCX/OFI/PSM ones), help files and an MCA parameter file,
#       PMIx's plugins, SRC's configs/ and launch/ at HEAD (git archive), and
#       HDF5 shards of the shipped corpus made with the bundle's bert-prep.
#       Use a clean checkout of the commit to measure (git worktree add).
#   bash launch/bench/device-scaling.sh selftest [--bundle FILE]
#       Here: unpacks into a temporary directory and runs 2 ranks x 1 thread for
#       10 steps under env -i; fails if any library other than glibc's, or any
#       Open MPI plugin, was loaded from outside the bundle (LD_DEBUG=files).
#   bash launch/bench/device-scaling.sh run [--bundle FILE] [--work DIR] [--out DIR]
#       [--ranks LIST] [--deadline S] [--repeat N] [--steps N] [--no-pytorch]
#       There: unpacks into --work (/tmp/bt-dev), prints the machine (nproc,
#       lscpu, NUMA, memory, OS), then, while --deadline seconds (420) since the
#       start allow, in this order:
#         1. weak scaling, 16 sequences per core, ranks LIST (1,2,4,8,16) x 1
#            thread, --steps (40) steps logged every 5, --repeat (3) rounds
#            interleaved (as launch/scaling --mode weak --threads 1); --repeat 0
#            skips this phase;
#         2. PyTorch DDP (gloo, CPU, 1 thread per rank, each rank pinned to a
#            core) of launch/bench/pytorch_bert.py's BERT on the same config,
#            16 sequences x 128 tokens per rank (MLM on the 20 masked rows),
#            ranks 1, 8, 16, 2, 4 (if python3 imports torch);
#         3. weak scaling at 64 sequences per core, 20 steps logged every 4, 1 round;
#         4. 1, 8 and 16 ranks again at 16 sequences per core with grad_sync=blocking;
#         5. a second round of 3.
#       Each run is the same bert-train command launch/scaling uses (checkpoints
#       and evaluation off), under mpirun -np R --map-by slot:PE=1 --bind-to core
#       with OMP_NUM_THREADS=1 OMP_PROC_BIND=close OMP_PLACES=cores (more ranks
#       than cores: one per hardware thread), stopped after 90 s. A phase
#       starts a run only while enough of the deadline is left (a PyTorch
#       configuration took 15-25 s on a 16-core VM, a bert-train run 13-27 s).
#       Writes OUT/machine.txt, OUT/summary.txt and OUT/scaling-data.tar.gz (run dirs
#       with metrics.jsonl and train.log, results-*.tsv for launch/lib/studies.py
#       scaling, pytorch.jsonl); OUT defaults to $OUT, else ./device-out.
#
# Device tool example (from the repository root; .devbundle carried):
#   bash launch/bench/device-scaling.sh run --bundle .devbundle/bundle.tar.xz
# Tables afterwards, here: tar xzf scaling-data.tar.gz && cd scaling-data &&
#   python3 ../launch/lib/studies.py scaling bpc16 results-bpc16.tsv
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
die() { echo "device-scaling: error: $*" >&2; exit 2; }
note() { echo "device-scaling: $*" >&2; }

# glibc's own libraries: the other machine has its own (newer) ones.
GLIBC_RE='^(libc|libm|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl|ld-linux-x86-64|libmvec|libBrokenLocale)\.so'
EXTRA_RE='^(libstdc\+\+|libgcc_s)\.so'
OMPI_LIB=/usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3
PMIX_LIB=/usr/lib/x86_64-linux-gnu/pmix2/lib/pmix
OMPI_DROP_RE='^mca_(btl_ofi|btl_openib|mtl_ofi|mtl_psm|mtl_psm2|atomic_ucx|osc_ucx|pml_ucx|spml_ucx|sshmem_ucx)\.so$'

# ---------------------------------------------------------------------------
cmd_bundle() {
  local src=$here build="" dest=$here/.devbundle native=OFF
  while [ $# -gt 0 ]; do
    case "$1" in
      --src) src=$(cd "$2" && pwd); shift 2 ;;
      --native) native=ON; shift ;;
      --build) build=$2; shift 2 ;;
      --dest) dest=$2; shift 2 ;;
      *) die "bundle: unknown option '$1'" ;;
    esac
  done
  if [ "$native" = ON ]; then build=${build:-$src/build-native}; else build=${build:-$src/build-portable}; fi
  if [ ! -x "$build/bin/bert-train" ] || [ ! -x "$build/bin/bert-prep" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBT_NATIVE="$native" -DBT_WERROR=ON \
      -DBT_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" -j "$(nproc)" --target bert-train bert-prep
  fi
  command -v orterun >/dev/null || die "bundle: Open MPI's orterun not found (Debian: openmpi-bin)"
  local stage
  stage=$(mktemp -d "${TMPDIR:-/tmp}/bt-bundle.XXXXXX")
  local B=$stage/bt
  mkdir -p "$B"/{bin,lib/openmpi3,lib/pmix,lib/hwloc-none,lib-extra,share,etc,repo}
  cp "$build/bin/bert-train" "$build/bin/bert-prep" "$B/bin/"
  cp "$(readlink -f "$(command -v orterun)")" "$B/bin/orterun"
  cp "$(readlink -f "$(command -v orted)")" "$B/bin/orted"
  ln -s orterun "$B/bin/mpirun"
  ln -s orterun "$B/bin/mpiexec"
  local f
  for f in "$OMPI_LIB"/*.so; do
    [[ "$(basename "$f")" =~ $OMPI_DROP_RE ]] || cp "$f" "$B/lib/openmpi3/"
  done
  [ ! -d "$PMIX_LIB" ] || cp "$PMIX_LIB"/*.so "$B/lib/pmix/"
  cp -r /usr/share/openmpi "$B/share/openmpi"
  [ ! -d /usr/lib/x86_64-linux-gnu/pmix2/share/pmix ] || cp -r /usr/lib/x86_64-linux-gnu/pmix2/share/pmix "$B/share/pmix"
  cat >"$B/etc/openmpi-mca-params.conf" <<'EOF'
# device-scaling.sh bundle: shared memory on one node; the plugins for
# InfiniBand, UCX, OFI and PSM are not in the bundle.
btl_base_warn_component_unused = 0
btl = self,vader
pml = ob1
mtl = ^ofi
osc = ^ucx,pt2pt
EOF
  : >"$B/etc/openmpi-default-hostfile"
  # every shared library (by soname) of the programs and plugins, glibc excepted
  local objs=("$B"/bin/bert-train "$B"/bin/bert-prep "$B"/bin/orterun "$B"/bin/orted "$B"/lib/openmpi3/*.so "$B"/lib/pmix/*.so)
  local name path missing=0
  while read -r name path; do
    if [ "$path" = "not" ]; then echo "bundle: $name not found" >&2; missing=1; continue; fi
    [[ "$name" =~ $GLIBC_RE ]] && continue
    if [[ "$name" =~ $EXTRA_RE ]]; then cp -L "$path" "$B/lib-extra/$name"; else cp -L "$path" "$B/lib/$name"; fi
  done < <(for f in "${objs[@]}"; do ldd "$f" | awk '$2 == "=>" { print $1, $3 }'; done | sort -u)
  [ "$missing" = 0 ] || die "bundle: unresolved libraries (above)"
  # the libraries the bundled libraries need (ldd is recursive, but be sure)
  for f in "$B"/lib/*.so*; do
    ldd "$f" | awk '$2 == "=>" { print $1, $3 }'
  done | sort -u | while read -r name path; do
    [[ "$name" =~ $GLIBC_RE ]] && continue
    [[ "$name" =~ $EXTRA_RE ]] && { [ -e "$B/lib-extra/$name" ] || cp -L "$path" "$B/lib-extra/$name"; continue; }
    [ -e "$B/lib/$name" ] || { echo "bundle: adding $name" >&2; cp -L "$path" "$B/lib/$name"; }
  done
  # configs/ and launch/ of the commit being measured
  git -C "$src" archive HEAD configs launch | tar -x -C "$B/repo"
  git -C "$src" rev-parse HEAD >"$B/repo/COMMIT"
  git -C "$src" log -1 --format='%h %s' >>"$B/repo/COMMIT"
  # shards, made with the bundle's own bert-prep (as launch/scaling makes them)
  LD_LIBRARY_PATH=$B/lib:$B/lib-extra "$B/bin/bert-prep" \
    --vocab "$src/tests/data/fixtures/bert-base-uncased-vocab.txt" --quiet --split-sentences \
    --input "$src/tests/data/fixtures/gutenberg_train.txt" --output "$B/data/train" --shards 4
  mkdir -p "$dest"
  tar -C "$stage" -cf - bt | xz -T0 -6 >"$dest/bundle.tar.xz.tmp"
  mv "$dest/bundle.tar.xz.tmp" "$dest/bundle.tar.xz"
  echo "bundle: $(du -sh "$B" | cut -f1) unpacked, $(du -h "$dest/bundle.tar.xz" | cut -f1) packed: $dest/bundle.tar.xz"
  rm -rf "$stage"
}

# ---------------------------------------------------------------------------
unpack() {  # FILE DIR: xz when the machine has it, else Python's lzma
  mkdir -p "$2"
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$1" | tar -x -C "$2"
  else
    python3 -c 'import lzma, sys, tarfile; tarfile.open(fileobj=lzma.open(sys.argv[1])).extractall(sys.argv[2])' "$1" "$2"
  fi
}

bundle_env() {  # B: relocated Open MPI, the bundle's libraries first
  local B=$1
  export PATH=$B/bin:$PATH LD_LIBRARY_PATH=$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export OPAL_PREFIX=$B OPAL_EXEC_PREFIX=$B OPAL_BINDIR=$B/bin OPAL_LIBDIR=$B/lib \
    OPAL_PKGLIBDIR=$B/lib/openmpi3 OPAL_DATAROOTDIR=$B/share OPAL_DATADIR=$B/share \
    OPAL_PKGDATADIR=$B/share/openmpi OPAL_SYSCONFDIR=$B/etc \
    OMPI_MCA_mca_base_component_path=$B/lib/openmpi3 \
    PMIX_MCA_mca_base_component_path=$B/lib/pmix PMIX_PREFIX=$B PMIX_LIBDIR=$B/lib \
    PMIX_PKGLIBDIR=$B/lib/pmix PMIX_DATADIR=$B/share PMIX_PKGDATADIR=$B/share/pmix \
    HWLOC_PLUGINS_PATH=$B/lib/hwloc-none
  [ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  # libstdc++ / libgcc_s only where the machine has none
  if LD_LIBRARY_PATH=$B/lib ldd "$B/bin/bert-train" | grep -q 'not found'; then
    export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$B/lib-extra
  fi
}

cmd_selftest() {
  local bundle=$here/.devbundle/bundle.tar.xz
  while [ $# -gt 0 ]; do
    case "$1" in --bundle) bundle=$2; shift 2 ;; *) die "selftest: unknown option '$1'" ;; esac
  done
  local x
  x=$(mktemp -d "${TMPDIR:-/tmp}/bt-selftest.XXXXXX")
  unpack "$bundle" "$x"
  local B=$x/bt bad
  # 1. every object resolves inside the bundle (or to glibc)
  bad=$(for f in "$B"/bin/bert-train "$B"/bin/bert-prep "$B"/bin/orterun "$B"/bin/orted "$B"/lib/*.so* "$B"/lib/openmpi3/*.so "$B"/lib/pmix/*.so; do
          LD_LIBRARY_PATH=$B/lib:$B/lib-extra ldd "$f" | awk -v f="$f" '$2 == "=>" { print f, $1, $3 }'
        done | awk -v b="$B" '$3 !~ "^"b"/" && $2 !~ /^(libc|libm|libpthread|libdl|librt|libresolv|ld-linux-x86-64)\.so/' | sort -u)
  [ -z "$bad" ] || { echo "$bad"; die "selftest: libraries resolved outside the bundle (above)"; }
  # 2. 2 ranks in a clean environment; every file the loader opens is logged
  mkdir -p "$x/run" "$x/lddbg"
  # shellcheck disable=SC2016  # expanded by the inner shell
  env -i HOME="$x" PATH=/usr/bin:/bin TMPDIR=/tmp bash -c '
    set -e; source "$1"; bundle_env "$2"
    export LD_DEBUG=files LD_DEBUG_OUTPUT=$3/lddbg/ld OMP_NUM_THREADS=1 OMP_PROC_BIND=close OMP_PLACES=cores
    mpirun -np 2 --map-by slot:PE=1 --bind-to core "$2/bin/bert-train" --model "$2/repo/configs/bert-tiny.json" \
      --recipe "$2/repo/configs/recipe-smoke.json" --data "$2/data/train" --run-dir "$3/run" \
      --set total_steps=10 --set log_every=5 --set eval_every=0 --set checkpoint_every=0 \
      --set global_batch_size=32 --set micro_batch_size=16 --set warmup_steps=1' _ "$here/launch/bench/device-scaling.sh" "$B" "$x"
  [ -s "$x/run/metrics.jsonl" ] || die "selftest: no metrics"
  bad=$(cat "$x"/lddbg/ld.* | sed -n 's/.*file=\(\/[^ ]*\).*/\1/p' | sort -u |
        awk -v b="$B" '$0 !~ "^"b"/" && $0 !~ /\/(libc|libm|libpthread|libdl|librt|libresolv|ld-linux-x86-64)\.so/')
  [ -z "$bad" ] || { echo "$bad"; die "selftest: files loaded from outside the bundle (above)"; }
  echo "selftest: ok: 2 ranks ran from the bundle alone; $(wc -l <"$x/run/metrics.jsonl") metrics lines; loaded $(cat "$x"/lddbg/ld.* | sed -n 's/.*file=\(\/[^ ]*\).*/\1/p' | sort -u | wc -l) distinct files, all in the bundle or glibc"
  rm -rf "$x"
}

# ---------------------------------------------------------------------------
write_ddp_py() {  # PyTorch DDP weak-scaling probe (gloo, CPU)
  cat >"$1" <<'EOF'
"""DDP weak scaling of launch/bench/pytorch_bert.py's model: WORLD processes,
1 thread each, each pinned to a core of its own; synthetic batches (as
pytorch_bert.py --bench); gloo all-reduce with DDP's default 25 MB buckets;
AdamW. Prints one JSON line: tokens/s = WORLD*B*T*steps / wall time of the
timed steps (between two barriers, after the warm-up steps)."""
import argparse, json, os, sys, time


def cores_in_order():
    """One CPU per physical core first (its lowest sibling), then the rest."""
    cpus = sorted(os.sched_getaffinity(0))
    first, rest = [], []
    for c in cpus:
        try:
            with open("/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list" % c) as f:
                sib = f.read().strip().replace("-", ",").split(",")
            (first if int(sib[0]) == c else rest).append(c)
        except OSError:
            first.append(c)
    return first + rest


def worker(rank, a, cpus):
    os.sched_setaffinity(0, {cpus[rank]})
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    sys.path.insert(0, a.model_src)
    import pytorch_bert as pb
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % a.port, rank=rank,
                            world_size=a.world)
    cfg = pb.load_config(a.config)
    torch.manual_seed(1234)
    model = pb.PreTrainingModel(cfg).float().train()
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    gen = torch.Generator().manual_seed(1235 + rank)
    batches = [pb.synthetic_batch(gen, cfg, a.batch, a.seq, a.max_pred) for _ in range(4)]
    step_t = []
    t_start = None
    for step in range(a.warmup + a.steps):
        if step == a.warmup:
            dist.barrier()
            t_start = time.perf_counter()
        ids, tt, labels, nsp = batches[step % len(batches)]
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = ddp(ids, tt, labels, nsp, None, full_vocab_mlm=False)[0]
        loss.backward()
        opt.step()
        step_t.append(time.perf_counter() - t0)
    dist.barrier()
    wall = time.perf_counter() - t_start
    if rank == 0:
        tok = a.world * a.batch * a.seq * a.steps
        print(json.dumps({"impl": "pytorch-ddp-gloo", "torch": torch.__version__, "ranks": a.world,
                          "threads": 1, "batch_per_rank": a.batch, "seq": a.seq, "max_pred": a.max_pred,
                          "steps": a.steps, "warmup": a.warmup, "wall_s": wall,
                          "step_time_s": wall / a.steps, "tokens_per_s": tok / wall,
                          "final_loss": loss.item(), "cpus": cpus[:a.world],
                          "rank0_step_times_s": step_t[a.warmup:]}), flush=True)
    dist.destroy_process_group()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", type=int, required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--model-src", required=True)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--max-pred", type=int, default=20)
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--port", type=int, default=29511)
    a = ap.parse_args()
    import torch.multiprocessing as mp
    cpus = cores_in_order()
    if a.world > len(cpus):
        sys.exit("%d ranks but %d CPUs" % (a.world, len(cpus)))
    mp.spawn(worker, args=(a, cpus), nprocs=a.world, join=True)


if __name__ == "__main__":
    main()
EOF
}

cmd_run() {
  # globals: the EXIT trap (finish) reads them after this function has returned
  bundle=$here/.devbundle/bundle.tar.xz work=/tmp/bt-dev out=${OUT:-$PWD/device-out}
  local ranks=1,2,4,8,16 repeat=3 steps=40 pytorch=1 run_limit=90
  deadline=420
  while [ $# -gt 0 ]; do
    case "$1" in
      --bundle) bundle=$2; shift 2 ;;
      --work) work=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      --ranks) ranks=$2; shift 2 ;;
      --deadline) deadline=$2; shift 2 ;;
      --repeat) repeat=$2; shift 2 ;;
      --steps) steps=$2; shift 2 ;;
      --no-pytorch) pytorch=0; shift ;;
      *) die "run: unknown option '$1'" ;;
    esac
  done
  [ -f "$bundle" ] || die "run: bundle '$bundle' not found"
  bundle=$(cd "$(dirname "$bundle")" && pwd)/$(basename "$bundle")
  t0=$SECONDS
  rm -rf "$work"; mkdir -p "$work" "$out"; : >"$out/summary.txt"
  unpack "$bundle" "$work"
  B=$work/bt R=$work/bt/repo res=$work/scaling-data pyx=""
  mkdir -p "$res"
  # tables and data go back even when a phase fails or time runs out
  trap 'finish' EXIT
  finish() {
    set +e
    cd "$res"
    for t in results-*.tsv; do
      [ -f "$t" ] || continue
      n=${t#results-}; n=${n%.tsv}
      env -u LD_LIBRARY_PATH "$pyx" "$R/launch/lib/studies.py" scaling "$n" "$t" \
        --title "bert-train weak scaling ($n)" >/dev/null 2>"$n/studies.err"
      [ -f "$n/scaling.md" ] && { echo "== $n"; sed -n '/^| ranks/,/^$/p' "$n/scaling.md"; }
    done >>"$out/summary.txt"
    [ -f pytorch.jsonl ] && { echo "== pytorch"; cat pytorch.jsonl; } >>"$out/summary.txt"
    cd "$work" && tar -czf "$out/scaling-data.tar.gz" scaling-data
    echo "device-scaling: done in $((SECONDS - t0)) s"; cat "$out/summary.txt"
  }
  pyx=$(command -v python3 || echo /usr/bin/python3)
  (
    set +e
    echo "# date: $(date -u +%FT%TZ)"
    echo "# commit: $(tr '\n' ' ' <"$R/COMMIT")"
    echo "# nproc: $(nproc)"
    echo "# uname: $(uname -srm)"
    # shellcheck disable=SC1091
    echo "# os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
    echo "# glibc: $(ldd --version 2>&1 | head -1)"
    echo "# python3: $pyx $("$pyx" --version 2>&1)"
    echo "# lscpu"; LC_ALL=C lscpu
    echo "# lscpu -e"; LC_ALL=C lscpu -e 2>&1 | head -40
    echo "# numa"; ls -d /sys/devices/system/node/node* 2>/dev/null; cat /sys/devices/system/node/node*/cpulist 2>/dev/null
    echo "# meminfo"; head -3 /proc/meminfo
    echo "# cgroup cpus"; cat /sys/fs/cgroup/cpuset.cpus.effective 2>/dev/null; cat /sys/fs/cgroup/cpu.max 2>/dev/null
    echo "# load"; cat /proc/loadavg
    echo "# tools"; for c in xz zstd gnuplot numactl taskset; do printf '%s=%s ' "$c" "$(command -v $c || echo -)"; done; echo
  ) >"$out/machine.txt" 2>&1
  cp "$out/machine.txt" "$res/machine.txt"
  LC_ALL=C lscpu | grep -E '^(Model name|Socket|Core|Thread|CPU\(s\)|NUMA|L3)' || true
  grep -o 'avx512[a-z_0-9]*\|amx[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
  bundle_env "$B"
  echo "ldd bert-train: $(ldd "$B/bin/bert-train" | grep -c 'not found') not found"
  ldd "$B/bin/bert-train" | grep 'not found' || true
  local tpc cores
  tpc=$(LC_ALL=C lscpu | sed -n 's/^Thread(s) per core: *//p'); tpc=${tpc:-1}
  cores=$(( $(nproc) / tpc ))
  echo "cores: $cores (nproc $(nproc), $tpc thread(s) per core)"

  local clk; clk=$(getconf CLK_TCK)
  # run_one LABEL RANKS BPC STEPS LOGEVERY ROUND [--set ...]
  run_one() {
    local label=$1 r=$2 bpc=$3 st=$4 le=$5 k=$6; shift 6
    local rel=$label/weak-r$r-t1-$k run bind rc=0
    run=$res/$rel
    rm -rf "$run"; mkdir -p "$run"
    if [ "$r" -le "$cores" ]; then bind=(--map-by slot:PE=1 --bind-to core)
    else bind=(--use-hwthread-cpus --map-by hwthread --bind-to hwthread); fi
    local s0 s1 c0 c1 w0 w1
    s0=$(head -1 /proc/stat); c0=$(sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $14 + $15 }'); w0=$(date +%s.%N)
    OMP_NUM_THREADS=1 OMP_PROC_BIND=close OMP_PLACES=cores timeout -k 5 "$run_limit" \
      mpirun -np "$r" "${bind[@]}" "$B/bin/bert-train" --model "$R/configs/bert-tiny.json" \
      --recipe "$R/configs/recipe-smoke.json" --data "$B/data/train" --run-dir "$run" \
      --set total_steps="$st" --set log_every="$le" --set eval_every=0 --set checkpoint_every=0 \
      --set global_batch_size=$((bpc * r)) --set micro_batch_size="$bpc" \
      --set warmup_steps=$((st / 10)) "$@" >"$run/train.log" 2>&1 || rc=$?
    s1=$(head -1 /proc/stat); c1=$(sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $14 + $15 }'); w1=$(date +%s.%N)
    local during
    during=$(awk -v a="$s0" -v b="$s1" -v c="$((c1 - c0))" -v w0="$w0" -v w1="$w1" -v hz="$clk" 'BEGIN {
      split(a, x); split(b, y); busy = 0
      for (i = 2; i <= 9; i++) if (i != 5 && i != 6) busy += y[i] - x[i]
      o = (busy - c) / ((w1 - w0) * hz); printf "%.2f", (o > 0 ? o : 0) }')
    rm -rf "$run/checkpoints"
    printf '%-8s %2d ranks round %d: ' "$label" "$r" "$k"
    if [ "$rc" != 0 ] || [ ! -s "$run/metrics.jsonl" ]; then
      echo "FAILED (exit $rc) after $(awk -v a="$w0" -v b="$w1" 'BEGIN{printf "%.1f", b-a}') s"; tail -15 "$run/train.log"
      return 1
    fi
    echo "$(env -u LD_LIBRARY_PATH "$pyx" "$R/launch/lib/studies.py" summary "$run" | sed 's/^steps [0-9]*-[0-9]* //; s/ loss .* tokens/ tokens/'), wall $(awk -v a="$w0" -v b="$w1" 'BEGIN{printf "%.1f", b-a}') s, other load $during"
    [ -f "$res/results-$label.tsv" ] ||
      printf 'mode\tranks\tthreads\tglobal_batch\tmicro_batch\trepeat\trun_dir\tothers_busy\n' >"$res/results-$label.tsv"
    printf 'weak\t%s\t1\t%s\t%s\t%s\t%s\t%s\n' "$r" $((bpc * r)) "$bpc" "$k" "$rel" "$during" >>"$res/results-$label.tsv"
  }
  left() { echo $((deadline - (SECONDS - t0))); }
  local rlist r k
  IFS=, read -r -a rlist <<<"$ranks"
  local -A failed=()
  # 1. 16 sequences per core, rounds interleaved; a rank count that failed once is not run again
  for k in $(seq "$repeat"); do
    for r in "${rlist[@]}"; do
      { [ "$r" -gt "$(nproc)" ] || [ -n "${failed[$r]:-}" ]; } && continue
      [ "$(left)" -gt 25 ] || { echo "deadline: skipping bpc16 $r round $k"; continue; }
      if ! run_one bpc16 "$r" 16 "$steps" 5 "$k"; then
        failed[$r]=1
        [ "$k" -gt 1 ] || [ "$r" != "${rlist[0]}" ] || die "run: the first run failed; stopping"
      fi
    done
  done
  # 2. PyTorch DDP
  local pyt="" c
  for c in "$pyx" /opt/torch/.venv/bin/python3 /usr/bin/python3; do
    if [ -x "$c" ] && env -u LD_LIBRARY_PATH "$c" -c 'import torch, numpy' 2>/dev/null; then pyt=$c; break; fi
  done
  if [ "$pytorch" = 1 ] && [ -n "$pyt" ]; then
    echo "pytorch: $pyt, torch $(env -u LD_LIBRARY_PATH "$pyt" -c 'import torch; print(torch.__version__, torch.backends.mkldnn.is_available())' 2>&1)"
    write_ddp_py "$work/ddp.py"
    for r in 1 8 16 2 4; do
      [ "$r" -le "$(nproc)" ] || continue
      [ "$(left)" -gt 60 ] || { echo "deadline: skipping pytorch $r"; continue; }
      echo "pytorch ddp $r ranks ..."
      env -u LD_LIBRARY_PATH CUDA_VISIBLE_DEVICES= OMP_NUM_THREADS=1 timeout -k 5 120 "$pyt" "$work/ddp.py" \
        --world "$r" --config "$R/configs/bert-tiny.json" --model-src "$R/launch/bench" \
        --batch 16 --seq 128 --max-pred 20 --steps 15 --warmup 3 --port $((29500 + r)) \
        >"$res/pytorch-r$r.out" 2>"$res/pytorch-r$r.err" || echo "pytorch $r ranks FAILED: $(tail -3 "$res/pytorch-r$r.err")"
      grep '^{' "$res/pytorch-r$r.out" | tee -a "$res/pytorch.jsonl" | cut -c1-200 || true
    done
  else
    echo "pytorch: skipped (off, or python3 has no torch)"
  fi
  # 3. 64 sequences per core, one round
  for r in "${rlist[@]}"; do
    { [ "$r" -gt "$(nproc)" ] || [ -n "${failed[$r]:-}" ]; } && continue
    [ "$(left)" -gt 45 ] || { echo "deadline: skipping bpc64 $r"; continue; }
    run_one bpc64 "$r" 64 20 4 1 || true
  done
  # 4. blocking all-reduce at 8 and 16 ranks (baseline: 1 rank of round 1 above)
  for r in 1 8 16; do
    { [ "$r" -gt "$(nproc)" ] || [ -n "${failed[$r]:-}" ]; } && continue
    [ "$(left)" -gt 25 ] || { echo "deadline: skipping blocking $r"; continue; }
    run_one blocking16 "$r" 16 "$steps" 5 1 --set grad_sync=blocking || true
  done
  # 5. another round at 64 sequences per core
  for r in "${rlist[@]}"; do
    { [ "$r" -gt "$(nproc)" ] || [ -n "${failed[$r]:-}" ]; } && continue
    [ "$(left)" -gt 45 ] || { echo "deadline: skipping bpc64 $r round 2"; continue; }
    run_one bpc64 "$r" 64 20 4 2 || true
  done
}

[ "${BASH_SOURCE[0]}" = "$0" ] || return 0   # sourced (selftest): functions only
case "${1:-}" in
  bundle) shift; cmd_bundle "$@" ;;
  selftest) shift; cmd_selftest "$@" ;;
  run) shift; cmd_run "$@" ;;
  -h|--help|"") sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1'; hint: bash launch/bench/device-scaling.sh --help" ;;
esac
