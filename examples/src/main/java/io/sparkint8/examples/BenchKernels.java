package io.sparkint8.examples;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.cuda.CudaBackend;
import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Trans;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Kernel benchmark: int8 GEMM (plain, pre-packed B, fused fp32 epilogue) and fp32 GEMM of our backend on
 * the shapes the engine runs, quantization and im2col bandwidth, and, when the shared anchor tool is
 * given, oneDNN's u8s8s32 GEMM measured alternately with ours in the same run. Prints one JSON object per
 * line; every figure is the median of the runs.
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
  static final int[][] SHAPES = {
    {1024, 1024, 1024}, {256, 3136, 288}, {3136, 64, 576}, {128, 512, 784}, {64, 4096, 4096}
  };

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
    if (shapes == null) {
      shapes = gpu ? BenchKernelsCuda.SHAPES : SHAPES;
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
        .print();
    AnchorGemm anchor =
        anchorDir != null && Files.isDirectory(anchorDir) ? new AnchorGemm(anchorDir) : null;
    try (OffHeapAllocator alloc = new OffHeapAllocator("bench-kernels")) {
      for (int[] s : shapes) {
        // activations after ReLU are non-negative (oneDNN's u8 A); errors and inputs are signed
        gemm(be, alloc, s[0], s[1], s[2], runs, anchor, true);
        gemm(be, alloc, s[0], s[1], s[2], runs, anchor, false);
      }
      quantize(be, alloc, runs);
      im2col(be, alloc, runs);
    }
    if (gpu) {
      BenchKernelsCuda.run((CudaBackend) be, shapes, runs, torchScript);
    }
  }

  private static void gemm(Int8Backend be, OffHeapAllocator alloc, int m, int n, int k, int runs,
      AnchorGemm anchor, boolean nonNegativeA) {
    String aRange = nonNegativeA ? "0..127" : "-127..127";
    SplittableRandom rnd = new SplittableRandom(1);
    GemmDesc d = GemmDesc.of(m, n, k);
    try (Int8Buffer a = alloc.allocateInt8((long) m * k);
        Int8Buffer b = alloc.allocateInt8((long) k * n);
        Int32Buffer c = alloc.allocateInt32((long) m * n);
        Float32Buffer cf = alloc.allocateFloat32((long) m * n);
        Float32Buffer rowScale = alloc.allocateFloat32(m);
        Float32Buffer colScale = alloc.allocateFloat32(n);
        Float32Buffer fa = alloc.allocateFloat32((long) m * k);
        Float32Buffer fb = alloc.allocateFloat32((long) k * n)) {
      fillCodes(a, rnd, nonNegativeA ? 0 : -127);
      fillCodes(b, rnd, -127);
      fillFloats(fa, rnd);
      fillFloats(fb, rnd);
      fillFloats(rowScale, rnd);
      fillFloats(colScale, rnd);
      Epilogue ep = Epilogue.rowsAndColumns(rowScale, colScale);
      double ops = 2.0 * m * n * k;
      try (PackedB packed = be.packB(alloc, Trans.N, k, n, n, b)) {
        // ours and the anchor alternate, so both see the same machine state
        double[] ours = new double[runs];
        double[] onednn = new double[runs];
        double[] sgemmOpenblas = new double[runs];
        boolean anchored = anchor != null;
        double[] oursBest = new double[runs];
        for (int r = 0; r < runs; r++) {
          ours[r] = ops / Timing.medianSeconds(() -> be.gemmS8S8S32(d, a, b, c), 1, 0.3) / 1e9;
          // the anchor reports the best of 10 calls; compare like with like
          oursBest[r] = ops / Timing.bestSeconds(() -> be.gemmS8S8S32(d, a, b, c), 10) / 1e9;
          if (anchored) {
            Map<String, Double> f = anchor.measure(m, n, k);
            anchored = f.containsKey("onednn_u8s8s32");
            onednn[r] = f.getOrDefault("onednn_u8s8s32", Double.NaN);
            sgemmOpenblas[r] = f.getOrDefault("openblas_sgemm", Double.NaN);
          }
        }
        double s32 = Timing.median(ours);
        line("s8s8s32", m, n, k, be, false, s32, "gops").put("a_range", aRange).print();
        double s32packed =
            ops / Timing.medianSeconds(() -> be.gemmS8S8S32(d, a, packed, c), runs, 0.3) / 1e9;
        line("s8s8s32", m, n, k, be, true, s32packed, "gops").put("a_range", aRange).print();
        double f32out =
            ops / Timing.medianSeconds(() -> be.gemmS8S8F32(d, a, b, ep, cf), runs, 0.3) / 1e9;
        line("s8s8f32", m, n, k, be, false, f32out, "gops").put("a_range", aRange)
            .put("epilogue", "row_col_scales")
            .print();
        double f32outPacked =
            ops / Timing.medianSeconds(() -> be.gemmS8S8F32(d, a, packed, ep, cf), runs, 0.3)
                / 1e9;
        line("s8s8f32", m, n, k, be, true, f32outPacked, "gops").put("a_range", aRange)
            .put("epilogue", "row_col_scales")
            .print();
        double sgemm =
            ops / Timing.medianSeconds(() -> be.gemmF32(d, 1f, fa, fb, 0f, cf), runs, 0.3) / 1e9;
        if (nonNegativeA) {
          line("f32", m, n, k, be, false, sgemm, "gflops").put("route", be.gemmF32Route())
              .print();
        }
        new JsonLine("ratio")
            .put("what", "int8_s8s8s32_vs_fp32_same_engine")
            .put("m", m).put("n", n).put("k", k).put("a_range", aRange)
            .put("ratio", s32 / sgemm)
            .print();
        if (anchored) {
          double dnnl = Timing.median(onednn);
          new JsonLine("anchor")
              .put("anchor", "onednn_u8s8s32").put("m", m).put("n", n).put("k", k)
              .put("a_range", "0..255 (u8)")
              .put("threads", 1).put("gops", dnnl).put("runs", runs)
              .put("note", anchor.note() == null ? "" : anchor.note())
              .print();
          if (nonNegativeA) {
            new JsonLine("anchor")
                .put("anchor", "openblas_sgemm").put("m", m).put("n", n).put("k", k)
                .put("threads", 1).put("gflops", Timing.median(sgemmOpenblas)).put("runs", runs)
                .print();
          }
          double best = Timing.median(oursBest);
          new JsonLine("ratio")
              .put("what", "ours_s8s8s32_vs_onednn_u8s8s32")
              .put("m", m).put("n", n).put("k", k)
              .put("a_range", aRange)
              .put("statistic", "median over runs of the best of 10 calls, both sides")
              .put("ours_gops", best).put("onednn_gops", dnnl)
              .put("ratio", best / dnnl)
              .print();
        } else if (anchor != null) {
          new JsonLine("anchor").put("note", String.valueOf(anchor.note())).print();
        }
      }
    }
  }

  private static JsonLine line(
      String dtype, int m, int n, int k, Int8Backend be, boolean packed, double v, String unit) {
    return new JsonLine("gemm")
        .put("dtype", dtype)
        .put("m", m).put("n", n).put("k", k)
        .put("threads", be.threads())
        .put("packed_b", packed)
        .put(unit, v)
        .put("backend", be.name())
        .put("isa", be.isa());
  }

  private static void quantize(Int8Backend be, OffHeapAllocator alloc, int runs) {
    int rows = 1024;
    int cols = 4096;
    SplittableRandom rnd = new SplittableRandom(2);
    try (Float32Buffer src = alloc.allocateFloat32((long) rows * cols);
        Int8Buffer codes = alloc.allocateInt8((long) rows * cols);
        Float32Buffer scales = alloc.allocateFloat32((long) rows * cols / 64)) {
      fillFloats(src, rnd);
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
      fillCodes(src8, rnd, -127);
      fillFloats(src32, rnd);
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

  /** Codes uniform in [low, 127] (the quantizer never emits -128). */
  private static void fillCodes(Int8Buffer b, SplittableRandom rnd, int low) {
    byte[] v = new byte[b.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (byte) (low + rnd.nextInt(128 - low));
    }
    b.copyFrom(v);
  }

  private static void fillFloats(Float32Buffer b, SplittableRandom rnd) {
    float[] v = new float[b.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rnd.nextDouble(-1, 1);
    }
    b.copyFrom(v);
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
