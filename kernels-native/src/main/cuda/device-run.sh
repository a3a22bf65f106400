#!/usr/bin/env bash
# device-run.sh COMMAND [args...] - runs the CUDA backend's checks and benchmarks on a GPU machine that
# has no JDK, with the folder pack-device.sh built (device/ at the repository root; DEVICE_DIR overrides).
# Run it from anywhere in the repository copy:
#   conformance [junit args]  the CUDA conformance suite, a GPU required (-Dint8.test.requireCuda=true),
#                             plus the selection, fake-driver and PTX tests (ptxas there checks the PTX)
#   bench-kernels [args]      examples' BenchKernels --backend cuda (+ PyTorch peers if torch imports)
#   bench-train [args]        BenchTrain --backend cuda for cnn-small and resnet20 (or --model M)
#   rebuild-ptx               recompiles src/main/cuda with the machine's nvcc into device/ptx; later
#                             commands then load that PTX (-Dint8.cuda.ptxDir) instead of the jar's
# JAVA_OPTS adds JVM options, e.g. JAVA_OPTS=-Dint8.cuda.target=sm_75 to force the DP4A path;
# REQUIRE_CUDA=false lets the conformance suite skip (with its reason) where there is no GPU.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
dev=${DEVICE_DIR:-$root/device}
java=$dev/jre/bin/java
[ -x "$java" ] || { echo "device-run: no runtime at $java; run kernels-native/src/main/cuda/pack-device.sh first" >&2; exit 2; }
cp="$dev/lib/kernels-native.jar:$dev/lib/arrow-io.jar:$dev/lib/spark-int8.jar:$dev/lib/examples.jar:$dev/lib/jcuda.jar:$dev/lib/jcuda-natives.jar"
opts=(-Xmx16g -XX:MaxDirectMemorySize=16g)
if [ -d "$dev/ptx" ]; then
  opts+=("-Dint8.cuda.ptxDir=$dev/ptx")
fi
# shellcheck disable=SC2206
opts+=(${JAVA_OPTS:-})

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  conformance)
    echo "built: packed PTX (device-run)" >"$dev/ptx.status"
    exec "$java" "${opts[@]}" -Dint8.test.requireCuda="${REQUIRE_CUDA:-true}" \
      -Dint8.cuda.ptxStatus="$dev/ptx.status" \
      -jar "$dev/lib/junit-console.jar" execute --disable-banner --details=tree \
      --class-path "$dev/test-classes:$cp" \
      --select-package io.sparkint8.kernels.cuda "$@"
    ;;
  bench-kernels)
    exec "$java" "${opts[@]}" -cp "$cp" io.sparkint8.examples.BenchKernels --backend cuda \
      --no-anchor --torch-script "$root/examples/scripts/bench_torch.py" "$@"
    ;;
  bench-train)
    if [[ " $* " == *" --model "* ]]; then
      exec "$java" "${opts[@]}" -cp "$cp" io.sparkint8.examples.BenchTrain --backend cuda \
        --data "$dev/data/fashion-mnist" "$@"
    fi
    for model in cnn-small resnet20; do
      "$java" "${opts[@]}" -cp "$cp" io.sparkint8.examples.BenchTrain --backend cuda \
        --data "$dev/data/fashion-mnist" --model "$model" "$@"
    done
    ;;
  rebuild-ptx)
    exec "$root/kernels-native/src/main/cuda/build-ptx.sh" "$dev/ptx"
    ;;
  *)
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
