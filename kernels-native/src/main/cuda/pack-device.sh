#!/usr/bin/env bash
# pack-device.sh [OUT_DIR] - packs what the GPU machine needs to run the CUDA backend into OUT_DIR
# (default: device/ at the repository root, git-ignored): a jlink-ed Java runtime (the GPU machine has no
# JDK), the project's jars with the PTX inside, JCuda with only its driver binding, the kernels-native test
# classes and the JUnit console launcher, and a Fashion-MNIST subset for bench-train. The device tool
# carries at most 64 MiB of ignored files, so the script fails when the folder is larger.
# Then, on the GPU machine, from the repository root: kernels-native/src/main/cuda/device-run.sh ...
# (see kernels-native/README.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
out=${1:-$root/device}
limit_mib=64
mvn_flags=${MVN_FLAGS:--o -q}
junit_version=1.11.4
subset=8192 # Fashion-MNIST training images in the subset (bench-train reads batch x steps of them)

cd "$root"
echo "pack-device: building the jars (tests skipped) and the kernels-native test classes" >&2
# shellcheck disable=SC2086
mvn $mvn_flags -pl examples -am install -DskipTests
# shellcheck disable=SC2086
mvn $mvn_flags -pl kernels-native test-compile
if [ ! -f kernels-native/target/classes/cuda/int8k_sm_90.ptx ]; then
  echo "pack-device: kernels-native holds no PTX (nvcc missing?): $(cat kernels-native/target/cuda-ptx.status 2>/dev/null)" >&2
  exit 1
fi

repo=${MAVEN_REPO:-$HOME/.m2/repository}
jcuda_jar=$repo/org/jcuda/jcuda/12.6.0/jcuda-12.6.0.jar
natives_jar=$repo/org/jcuda/jcuda-natives/12.6.0/jcuda-natives-12.6.0-linux-x86_64.jar
junit_jar=$repo/org/junit/platform/junit-platform-console-standalone/$junit_version/junit-platform-console-standalone-$junit_version.jar
if [ ! -f "$junit_jar" ]; then
  # shellcheck disable=SC2086
  mvn ${MVN_FLAGS:--q} dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_version
fi
for f in "$jcuda_jar" "$natives_jar" "$junit_jar"; do
  [ -f "$f" ] || { echo "pack-device: missing $f" >&2; exit 1; }
done

rm -rf "$out"
mkdir -p "$out/lib" "$out/data/fashion-mnist"
cp kernels-native/target/kernels-native-*.jar "$out/lib/kernels-native.jar"
cp arrow-io/target/arrow-io-*.jar "$out/lib/arrow-io.jar"
cp spark-int8/target/spark-int8-*.jar "$out/lib/spark-int8.jar"
cp examples/target/examples-*.jar "$out/lib/examples.jar"
cp "$jcuda_jar" "$out/lib/jcuda.jar"
cp "$junit_jar" "$out/lib/junit-console.jar"
cp -r kernels-native/target/test-classes "$out/test-classes"
# JCuda's natives jar holds the driver binding (1 MB) and the PTX JIT compiler and NVRTC bindings (24 MB)
# that the backend never loads: keep only the driver binding, where JCuda's loader looks for it (/lib/)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && unzip -q "$natives_jar" 'lib/libJCudaDriver-*' && jar --create --file "$out/lib/jcuda-natives.jar" lib)

# the Java runtime: the modules the jars use (jdeps), plus what JUnit and JCuda's loader touch at run time
mods=$(jdeps --ignore-missing-deps --print-module-deps --multi-release 17 \
  "$out/lib/kernels-native.jar" "$out/lib/spark-int8.jar" "$out/lib/examples.jar" "$out/lib/jcuda.jar" \
  "$out/lib/junit-console.jar" 2>/dev/null || true)
mods=$(echo "java.base,java.logging,java.management,jdk.unsupported,jdk.zipfs${mods:+,$mods}" \
  | tr ',' '\n' | sort -u | paste -sd, -)
echo "pack-device: jlink modules $mods" >&2
jlink --add-modules "$mods" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --output "$out/jre"

# Fashion-MNIST: the first $subset training images and labels (IDX with the count rewritten, gzipped)
python3 - "$subset" "$out/data/fashion-mnist" <<'PY'
import gzip, struct, sys
n, out = int(sys.argv[1]), sys.argv[2]
src = "/usr/share/datasets/fashion-mnist/"
with gzip.open(src + "train-images-idx3-ubyte.gz") as f:
    magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
    images = f.read(n * rows * cols)
with gzip.open(src + "train-labels-idx1-ubyte.gz") as f:
    lmagic, lcount = struct.unpack(">II", f.read(8))
    labels = f.read(n)
with gzip.open(out + "/train-images-idx3-ubyte.gz", "wb") as f:
    f.write(struct.pack(">IIII", magic, n, rows, cols) + images)
with gzip.open(out + "/train-labels-idx1-ubyte.gz", "wb") as f:
    f.write(struct.pack(">II", lmagic, n) + labels)
PY

cat >"$out/MANIFEST.txt" <<EOF
packed $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git rev-parse --short HEAD 2>/dev/null || echo '?') by kernels-native/src/main/cuda/pack-device.sh
PTX: $(cat kernels-native/target/cuda-ptx.status)
runtime: $("$out/jre/bin/java" -version 2>&1 | head -1), modules $mods
EOF

size_kib=$(du -sk "$out" | cut -f1)
echo "pack-device: $out holds $((size_kib / 1024)) MiB (limit $limit_mib MiB)" >&2
du -sh "$out"/* >&2
if [ "$size_kib" -gt $((limit_mib * 1024)) ]; then
  echo "pack-device: too large for the device tool's $limit_mib MiB" >&2
  exit 1
fi
