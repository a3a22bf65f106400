package io.sparkint8.examples;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.cuda.CudaBackend;
import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Kernel benchmark: int8 GEMM (plain, pre-packed B, fused fp32 epilogue) and fp32 GEMM of our backend on
 * the five benchmark shapes and the GEMMs of a cnn-small training step, 1 vs 2 threads at 1024^3
 * ({@link BenchGemm}), quantization and im2col bandwidth; when the shared anchor tool is given, oneDNN's
 * u8s8s32 and sgemm measured alternately with ours in the same run, with the ratio lines. Prints one JSON
 * object per line; every figure is a median over the runs.
 *
 * <p>{@code --backend cuda} runs the same lines on the GPU (through the SPI, so they include the PCIe
 * copies of every call), on the large and training shapes of {@link BenchKernelsCuda} unless --shapes
 * says otherwise, followed by the device-resident GEMMs and PyTorch's int8 and bf16 GEMMs on the same
 * shapes (examples/scripts/bench_torch.py, skipped with a JSON line where PyTorch is missing).
 *
 * <pre>
 * examples/run bench-kernels [--backend auto|java|native|cuda] [--runs N] [--threads T]
 *     [--shapes m,n,k;m,n,k] [--anchor DIR | --no-anchor] [--torch-script PATH]
 * </pre>
 */
public final class BenchKernels {
  private BenchKernels() {}

  static final String USAGE = String.join("\n",
      "usage: examples/run bench-kernels [options]",
      "int8 / fp32 GEMM, quantize and im2col benchmarks of a kernel backend (JSON lines).",
      "  --backend NAME        auto | java | native | cuda (default auto, or -Dint8.backend)",
      "  --runs N              runs per measurement, median reported (default 7, at least 5)",
      "  --threads T           kernel threads (default 1)",
      "  --shapes m,n,k;...    GEMM shapes (default the engine's; the GPU's with --backend cuda)",
      "  --anchor DIR          ../shared/tools/anchor-gemm: oneDNN measured alternately with ours",
      "                        (examples/run passes it when that folder exists)",
      "  --no-anchor           do not measure oneDNN",
      "  --torch-script PATH   PyTorch comparison script of --backend cuda",
      "                        (default examples/scripts/bench_torch.py)");

  public static void main(String[] args) throws Exception {
    Args.run("bench-kernels", USAGE, args, BenchKernels::launch);
  }

  private static void launch(String[] args) throws Exception {
    Args a = new Args(args, USAGE, "--no-anchor");
    String backend = a.string("--backend", System.getProperty(Backends.PROPERTY, "auto"));
    Path torchScript = a.path("--torch-script", Paths.get("examples", "scripts", "bench_torch.py"));
    int runs = a.integer("--runs", 7);
    int threads = a.integer("--threads", 1);
    String shapeList = a.string("--shapes", null);
    int[][] shapes = shapeList == null ? null : parseShapes(shapeList);
    Path anchorDir = a.flag("--no-anchor") ? null : a.path("--anchor", null);
    a.string("--anchor", null); // given together with --no-anchor, the flag wins
    a.done();
    if (runs < 5) {
      throw a.fail("--runs " + runs + ": medians need at least 5 runs");
    }
    Int8Backend be = Backends.byName(backend).withThreads(threads);
    boolean gpu = be instanceof CudaBackend;
    if (shapes == null && gpu) {
      shapes = BenchKernelsCuda.SHAPES;
    }
    new JsonLine("machine")
        .put("cpu", cpuModel())
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("backend", be.name())
        .put("isa", be.isa())
        .put("cpu_isa", be.name().equals("native") ? NativeBackend.cpuIsa() : "n/a")
        .put("fp32_route", be.gemmF32Route())
        .put("java", System.getProperty("java.version"))
        .put("runs", runs)
        .put("loadavg_1min", loadAverage())
        .print();
    AnchorGemm anchor =
        anchorDir != null && Files.isDirectory(anchorDir) ? new AnchorGemm(anchorDir) : null;
    try (OffHeapAllocator alloc = new OffHeapAllocator("bench-kernels")) {
      BenchGemm gemm = new BenchGemm(be, alloc, runs, anchor);
      if (shapes != null) {
        for (int[] s : shapes) {
          gemm.shape("given", s[0], s[1], s[2]);
        }
      } else {
        for (int[] s : BenchGemm.BENCHMARK_SHAPES) {
          gemm.shape("benchmark", s[0], s[1], s[2]);
        }
        for (int[] s : BenchGemm.TRAINING_SHAPES) {
          gemm.shape("training_step", s[0], s[1], s[2]);
        }
        gemm.threads(1024, 1024, 1024);
      }
      quantize(be, alloc, runs);
      im2col(be, alloc, runs);
    }
    new JsonLine("load").put("when", "end").put("loadavg_1min", loadAverage()).print();
    if (gpu) {
      BenchKernelsCuda.run((CudaBackend) be, shapes, runs, torchScript);
    }
  }

  private static void quantize(Int8Backend be, OffHeapAllocator alloc, int runs) {
    int rows = 1024;
    int cols = 4096;
    SplittableRandom rnd = new SplittableRandom(2);
    try (Float32Buffer src = alloc.allocateFloat32((long) rows * cols);
        Int8Buffer codes = alloc.allocateInt8((long) rows * cols);
        Float32Buffer scales = alloc.allocateFloat32((long) rows * cols / 64)) {
      BenchGemm.fillFloats(src, rnd);
      List<QuantDesc> cases = new ArrayList<>();
      cases.add(QuantDesc.perTensor(rows, cols));
      cases.add(QuantDesc.perRow(rows, cols));
      cases.add(QuantDesc.perRow(rows, cols).stochastic(1, 2));
      cases.add(QuantDesc.perRow(rows, cols).withBits(4).withGroups(64, true).stochastic(1, 2));
      for (QuantDesc q : cases) {
        double sec = Timing.medianSeconds(() -> be.quantize(q, src, null, codes, scales), runs, 0.2);
        new JsonLine("quantize")
            .put("rows", rows).put("cols", cols)
            .put("bits", q.bits())
            .put("granularity", q.granularity().toString())
            .put("group", q.group())
            .put("rounding", q.rounding().toString())
            .put("gbps", (double) rows * cols * 5 / sec / 1e9) // 4 bytes in, 1 byte out
            .put("backend", be.name()).put("isa", be.isa())
            .print();
      }
    }
  }

  private static void im2col(Int8Backend be, OffHeapAllocator alloc, int runs) {
    ConvDesc d = ConvDesc.of(64, 28, 28, 32, 3, 1, 1);
    long cells = (long) d.colRows() * d.colCols();
    SplittableRandom rnd = new SplittableRandom(3);
    try (Int8Buffer src8 = alloc.allocateInt8(d.inputSize());
        Int8Buffer cols8 = alloc.allocateInt8(cells);
        Float32Buffer src32 = alloc.allocateFloat32(d.inputSize());
        Float32Buffer cols32 = alloc.allocateFloat32(cells)) {
      BenchGemm.fillCodes(src8, rnd, -127);
      BenchGemm.fillFloats(src32, rnd);
      double s8 = Timing.medianSeconds(() -> be.im2col(d, src8, cols8), runs, 0.2);
      double f32 = Timing.medianSeconds(() -> be.im2col(d, src32, cols32), runs, 0.2);
      for (String dtype : new String[] {"s8", "f32"}) {
        int size = dtype.equals("s8") ? 1 : 4;
        double sec = dtype.equals("s8") ? s8 : f32;
        new JsonLine("im2col")
            .put("dtype", dtype)
            .put("n", d.n()).put("h", d.h()).put("w", d.w()).put("c", d.c())
            .put("kernel", d.kh()).put("stride", d.strideH()).put("pad", d.padH())
            .put("gbps", (double) (cells + d.inputSize()) * size / sec / 1e9) // written + read
            .put("backend", be.name()).put("isa", be.isa())
            .print();
      }
    }
  }

  private static int[][] parseShapes(String spec) {
    String[] parts = spec.split(";");
    int[][] out = new int[parts.length][];
    for (int i = 0; i < parts.length; i++) {
      String[] t = parts[i].trim().split(",");
      if (t.length != 3) {
        throw new Args.UsageError("--shapes: '" + parts[i] + "' is not m,n,k");
      }
      out[i] = new int[] {Integer.parseInt(t[0].trim()), Integer.parseInt(t[1].trim()),
          Integer.parseInt(t[2].trim())};
    }
    return out;
  }

  /**
   * The 1-minute load average (NaN where /proc/loadavg is missing): the figures of a shared machine
   * mean little without it.
   */
  static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Paths.get("/proc/loadavg")).split(" ")[0]);
    } catch (java.io.IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (java.io.IOException e) {
      // not Linux: fall through
    }
    return System.getProperty("os.arch");
  }
}
