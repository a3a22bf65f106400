#!/usr/bin/env bash
# build-ptx.sh OUT_DIR [STATUS_FILE] - compiles int8k_kernels.cu to PTX for every target the CUDA backend
# loads (compute_75: DP4A GEMM; compute_80 and compute_90: tensor-core GEMM), one nvcc per target, in
# parallel. Run by the Maven build (kernels-native, profile "cuda") with OUT_DIR = target/classes/cuda, so
# the PTX lands in the jar and never in git; also usable by hand on a GPU machine:
#   src/main/cuda/build-ptx.sh /tmp/ptx && java -Dint8.cuda.ptxDir=/tmp/ptx ...
# Without nvcc (or with NVCC=none) it prints why, records "skipped: ..." in STATUS_FILE and succeeds: the
# build goes on and the CUDA backend reports the missing PTX when asked for. A compile error fails the build.
#
# Flags: -fmad=false keeps a*b+c two roundings (the bit-exact ops also spell them with __fmul_rn /
# __fadd_rn); -ftz=false keeps subnormals; -prec-div/-prec-sqrt=true make / and sqrt IEEE-exact.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: build-ptx.sh OUT_DIR [STATUS_FILE]}
status=${2:-}
targets=(75 80 90)

note() {
  if [ -n "$status" ]; then
    mkdir -p "$(dirname "$status")"
    printf '%s\n' "$1" >"$status"
  fi
}

nvcc=""
if [ "${NVCC:-}" = none ]; then
  # NVCC=none: behave as on a machine without CUDA (how CI checks the build and tests without PTX)
  why="NVCC=none"
  echo "cuda: $why; PTX not built, the CUDA backend will report it" >&2
  note "skipped: $why"
  exit 0
fi
for candidate in "${NVCC:-}" "$(command -v nvcc 2>/dev/null || true)" "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" \
    /usr/local/cuda/bin/nvcc; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    nvcc=$candidate
    break
  fi
done
if [ -z "$nvcc" ]; then
  why="nvcc not found (looked at \$NVCC, PATH, \$CUDA_HOME/bin, /usr/local/cuda/bin)"
  echo "cuda: $why; PTX not built, the CUDA backend will report it" >&2
  note "skipped: $why"
  exit 0
fi
version="nvcc $("$nvcc" --version | grep -o 'release [0-9.]*, V[0-9.]*' || echo '(version unknown)')"

mkdir -p "$out"
# up to date: every PTX exists and is newer than every source
stale=0
for t in "${targets[@]}"; do
  ptx="$out/int8k_sm_$t.ptx"
  if [ ! -f "$ptx" ] || [ -n "$(find "$here" -maxdepth 1 \( -name '*.cu' -o -name '*.cuh' \) -newer "$ptx" -print -quit)" ]; then
    stale=1
  fi
done
if [ "$stale" = 0 ]; then
  note "built: $version (up to date)"
  exit 0
fi

flags=(-ptx -std=c++17 -O3 -fmad=false -ftz=false -prec-div=true -prec-sqrt=true)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
pids=()
for t in "${targets[@]}"; do
  "$nvcc" "${flags[@]}" -arch="compute_$t" -o "$tmp/int8k_sm_$t.ptx" "$here/int8k_kernels.cu" \
    >"$tmp/log_$t" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "cuda: nvcc failed for compute_${targets[$i]}:" >&2
    cat "$tmp/log_${targets[$i]}" >&2
    failed=1
  fi
done
if [ "$failed" = 1 ]; then
  note "failed: nvcc error (see the build log)"
  exit 1
fi
for t in "${targets[@]}"; do
  mv "$tmp/int8k_sm_$t.ptx" "$out/int8k_sm_$t.ptx"
done
echo "cuda: PTX for ${targets[*]/#/sm_} built by $version in $(( $(date +%s) - start )) s -> $out"
note "built: $version"
