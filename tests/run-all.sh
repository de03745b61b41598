#!/usr/bin/env bash
# run-all.sh - the project's whole test suite, from a fresh Debian 12 machine:
#   1. installs the packages (launch/install-deps.sh),
#   2. builds with warnings as errors and runs every ctest test,
#   3. builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs
#      the unit tests (label "unit") under them,
#   4. builds without oneDNN (-DBT_USE_DNNL=OFF, reference kernels) and runs the
#      unit tests and the Hugging Face reference checks on that fallback.
# Build trees: build-test/, build-asan/ and build-ref/ (override with
# BT_TEST_BUILD_DIR prefix).
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/install-deps.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
prefix=${BT_TEST_BUILD_DIR:-build}
jobs=$(nproc)

echo "== build (warnings as errors)"
cmake -S . -B "$prefix-test" -DBT_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$prefix-test" -j "$jobs"
echo "== tests"
ctest --test-dir "$prefix-test" --output-on-failure -j "$jobs"

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S . -B "$prefix-asan" -DBT_WERROR=ON -DBT_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$prefix-asan" -j "$jobs"
echo "== unit tests under the sanitizers"
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$prefix-asan" --output-on-failure -j "$jobs" -L unit

echo "== build without oneDNN (reference kernels)"
cmake -S . -B "$prefix-ref" -DBT_WERROR=ON -DBT_USE_DNNL=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$prefix-ref" -j "$jobs"
echo "== unit tests and reference checks without oneDNN"
# One test at a time: these take seconds alone, but two 2-thread OpenMP tests
# sharing two cores spin at every barrier of the many small reference matmuls
# and took minutes.
ctest --test-dir "$prefix-ref" --output-on-failure -L "unit|reference"
echo "== all tests passed"
