package io.sparkint8.examples;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.Trans;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The GEMM lines of bench-kernels: per shape our int8 GEMM (both A ranges, plain and pre-packed B,
 * int32 and fused-epilogue output) and our fp32 GEMM, and, when the shared anchor tool is there, oneDNN's
 * u8s8s32 and sgemm (and OpenBLAS's sgemm) on the same shape, measured alternately with ours in the same
 * run, with the ratio lines the acceptance bars read; then 1 vs 2 threads at 1024^3.
 *
 * <p>Statistics: the gemm lines are medians over runs of a timed loop; the ratio lines compare the
 * median over runs of the best of 10 calls on both sides, the anchor tool's own statistic.
 */
final class BenchGemm {
  /** The shapes the acceptance bars are set on (M, N, K; both operands untransposed). */
  static final int[][] BENCHMARK_SHAPES = {
    {1024, 1024, 1024}, {256, 3136, 288}, {3136, 64, 576}, {128, 512, 784}, {64, 4096, 4096}
  };

  /**
   * The GEMMs of one cnn-small training step at batch 256, as M, N, K with untransposed operands (the
   * anchor's layout; the engine transposes some of them): conv2 forward, grad_input, grad_weight, then
   * fc(3136 -> 128) forward, grad_input, grad_weight.
   */
  static final int[][] TRAINING_SHAPES = {
    {50176, 64, 288}, {50176, 288, 64}, {64, 288, 50176}, {256, 128, 3136}, {256, 3136, 128},
    {128, 3136, 256}
  };

  private static final int BEST_OF = 10;

  private final Int8Backend be;
  private final OffHeapAllocator alloc;
  private final int runs;
  private final AnchorGemm anchor;

  BenchGemm(Int8Backend be, OffHeapAllocator alloc, int runs, AnchorGemm anchor) {
    this.be = be;
    this.alloc = alloc;
    this.runs = runs;
    this.anchor = anchor;
  }

  /** All lines of one shape; {@code set} names the group it belongs to ("benchmark", ...). */
  void shape(String set, int m, int n, int k) {
    SplittableRandom rnd = new SplittableRandom(1);
    GemmDesc d = GemmDesc.of(m, n, k);
    double ops = 2.0 * m * n * k;
    try (Int8Buffer aPos = alloc.allocateInt8((long) m * k);
        Int8Buffer aSigned = alloc.allocateInt8((long) m * k);
        Int8Buffer b = alloc.allocateInt8((long) k * n);
        Int32Buffer c = alloc.allocateInt32((long) m * n);
        Float32Buffer cf = alloc.allocateFloat32((long) m * n);
        Float32Buffer rowScale = alloc.allocateFloat32(m);
        Float32Buffer colScale = alloc.allocateFloat32(n);
        Float32Buffer fa = alloc.allocateFloat32((long) m * k);
        Float32Buffer fb = alloc.allocateFloat32((long) k * n)) {
      // activations after ReLU are non-negative (oneDNN's u8 A); errors and inputs are signed
      fillCodes(aPos, rnd, 0);
      fillCodes(aSigned, rnd, -127);
      fillCodes(b, rnd, -127);
      fillFloats(fa, rnd);
      fillFloats(fb, rnd);
      fillFloats(rowScale, rnd);
      fillFloats(colScale, rnd);
      Int8Buffer[] as = {aPos, aSigned};
      String[] ranges = {"0..127", "-127..127"};
      // ours and the anchor alternate, so both see the same machine state
      double[] f32Best = new double[runs];
      double[][] s8Best = new double[2][runs];
      double[] dnnlS8 = new double[runs];
      double[] dnnlF32 = new double[runs];
      double[] blasF32 = new double[runs];
      boolean anchored = anchor != null;
      for (int r = 0; r < runs; r++) {
        f32Best[r] = ops / Timing.bestSeconds(() -> be.gemmF32(d, 1f, fa, fb, 0f, cf), BEST_OF) / 1e9;
        for (int x = 0; x < 2; x++) {
          Int8Buffer a = as[x];
          s8Best[x][r] = ops / Timing.bestSeconds(() -> be.gemmS8S8S32(d, a, b, c), BEST_OF) / 1e9;
        }
        if (anchored) {
          Map<String, Double> f = anchor.measure(m, n, k);
          anchored = f.containsKey("onednn_u8s8s32") && f.containsKey("onednn_sgemm");
          dnnlS8[r] = f.getOrDefault("onednn_u8s8s32", Double.NaN);
          dnnlF32[r] = f.getOrDefault("onednn_sgemm", Double.NaN);
          blasF32[r] = f.getOrDefault("openblas_sgemm", Double.NaN);
        }
      }

      Epilogue ep = Epilogue.rowsAndColumns(rowScale, colScale);
      double sgemm = ops / Timing.medianSeconds(() -> be.gemmF32(d, 1f, fa, fb, 0f, cf), runs, 0.3) / 1e9;
      line(set, "f32", m, n, k, be, false, sgemm, "gflops").put("route", be.gemmF32Route()).print();
      try (PackedB packed = be.packB(alloc, Trans.N, k, n, n, b)) {
        for (int x = 0; x < 2; x++) {
          Int8Buffer a = as[x];
          double s32 = ops / Timing.medianSeconds(() -> be.gemmS8S8S32(d, a, b, c), runs, 0.3) / 1e9;
          line(set, "s8s8s32", m, n, k, be, false, s32, "gops").put("a_range", ranges[x]).print();
          double s32p = ops / Timing.medianSeconds(() -> be.gemmS8S8S32(d, a, packed, c), runs, 0.3) / 1e9;
          line(set, "s8s8s32", m, n, k, be, true, s32p, "gops").put("a_range", ranges[x]).print();
          double f32out = ops / Timing.medianSeconds(() -> be.gemmS8S8F32(d, a, b, ep, cf), runs, 0.3) / 1e9;
          line(set, "s8s8f32", m, n, k, be, false, f32out, "gops").put("a_range", ranges[x])
              .put("epilogue", "row_col_scales").print();
          double f32outp =
              ops / Timing.medianSeconds(() -> be.gemmS8S8F32(d, a, packed, ep, cf), runs, 0.3) / 1e9;
          line(set, "s8s8f32", m, n, k, be, true, f32outp, "gops").put("a_range", ranges[x])
              .put("epilogue", "row_col_scales").print();
          ratio(set, "int8_s8s8s32_vs_fp32_same_engine", m, n, k).put("a_range", ranges[x])
              .put("ratio", s32 / sgemm).print();
        }
      }

      if (!anchored) {
        if (anchor != null) {
          new JsonLine("anchor").put("note", String.valueOf(anchor.note())).print();
        }
        return;
      }
      String note = anchor.note() == null ? "" : anchor.note();
      double dnnl = Timing.median(dnnlS8);
      double dnnlSgemm = Timing.median(dnnlF32);
      anchorLine(set, "onednn_u8s8s32", m, n, k, dnnl, "gops").put("a_range", "0..255 (u8)")
          .put("note", note).print();
      anchorLine(set, "onednn_sgemm", m, n, k, dnnlSgemm, "gflops").put("note", note).print();
      anchorLine(set, "openblas_sgemm", m, n, k, Timing.median(blasF32), "gflops").put("note", note)
          .print();
      String statistic = "median over runs of the best of " + BEST_OF + " calls, both sides";
      for (int x = 0; x < 2; x++) {
        double best = Timing.median(s8Best[x]);
        ratio(set, "ours_s8s8s32_vs_onednn_u8s8s32", m, n, k).put("a_range", ranges[x])
            .put("statistic", statistic).put("ours_gops", best).put("onednn_gops", dnnl)
            .put("ratio", best / dnnl).print();
      }
      double best = Timing.median(f32Best);
      ratio(set, "ours_f32_vs_onednn_sgemm", m, n, k).put("route", be.gemmF32Route())
          .put("statistic", statistic).put("ours_gflops", best).put("onednn_gflops", dnnlSgemm)
          .put("ratio", best / dnnlSgemm).print();
    }
  }

  /**
   * 1 vs 2 threads on one shape, both dtypes, alternating; a ratio line per dtype (bar: >= 1.8), and
   * oneDNN's own 1 vs 2 threads on the same shape in the same runs where the anchor tool is there: on a
   * machine shared with other jobs its scaling says how much of ours the load took.
   */
  void threads(int m, int n, int k) {
    SplittableRandom rnd = new SplittableRandom(2);
    GemmDesc d = GemmDesc.of(m, n, k);
    double ops = 2.0 * m * n * k;
    Int8Backend one = be.withThreads(1);
    Int8Backend two = be.withThreads(2);
    try (Int8Buffer a = alloc.allocateInt8((long) m * k);
        Int8Buffer b = alloc.allocateInt8((long) k * n);
        Int32Buffer c = alloc.allocateInt32((long) m * n);
        Float32Buffer fa = alloc.allocateFloat32((long) m * k);
        Float32Buffer fb = alloc.allocateFloat32((long) k * n);
        Float32Buffer cf = alloc.allocateFloat32((long) m * n)) {
      fillCodes(a, rnd, 0);
      fillCodes(b, rnd, -127);
      fillFloats(fa, rnd);
      fillFloats(fb, rnd);
      double[][] gops = new double[4][runs]; // f32 x1, f32 x2, s8 x1, s8 x2
      double[][] dnnl = new double[4][runs]; // the same for oneDNN (sgemm, u8s8s32)
      boolean anchored = anchor != null;
      for (int r = 0; r < runs; r++) {
        gops[0][r] = ops / Timing.bestSeconds(() -> one.gemmF32(d, 1f, fa, fb, 0f, cf), BEST_OF) / 1e9;
        gops[1][r] = ops / Timing.bestSeconds(() -> two.gemmF32(d, 1f, fa, fb, 0f, cf), BEST_OF) / 1e9;
        gops[2][r] = ops / Timing.bestSeconds(() -> one.gemmS8S8S32(d, a, b, c), BEST_OF) / 1e9;
        gops[3][r] = ops / Timing.bestSeconds(() -> two.gemmS8S8S32(d, a, b, c), BEST_OF) / 1e9;
        for (int t = 1; t <= 2 && anchored; t++) {
          Map<String, Double> f = anchor.measure(m, n, k, t);
          anchored = f.containsKey("onednn_sgemm") && f.containsKey("onednn_u8s8s32");
          dnnl[t - 1][r] = f.getOrDefault("onednn_sgemm", Double.NaN);
          dnnl[t + 1][r] = f.getOrDefault("onednn_u8s8s32", Double.NaN);
        }
      }
      String statistic = "median over runs of the best of " + BEST_OF + " calls";
      String[] dtypes = {"f32", "s8s8s32"};
      String[] anchors = {"onednn_sgemm", "onednn_u8s8s32"};
      for (int x = 0; x < 2; x++) {
        double single = Timing.median(gops[2 * x]);
        double dual = Timing.median(gops[2 * x + 1]);
        String unit = x == 0 ? "gflops" : "gops";
        line("threads", dtypes[x], m, n, k, one, false, single, unit).put("statistic", statistic)
            .print();
        line("threads", dtypes[x], m, n, k, two, false, dual, unit).put("statistic", statistic)
            .print();
        ratio("threads", "two_threads_vs_one", m, n, k).put("dtype", dtypes[x])
            .put("ratio", dual / single).print();
        if (anchored) {
          double dnnlSingle = Timing.median(dnnl[2 * x]);
          double dnnlDual = Timing.median(dnnl[2 * x + 1]);
          for (int t = 1; t <= 2; t++) {
            anchorLine("threads", anchors[x], m, n, k, t, t == 1 ? dnnlSingle : dnnlDual, unit)
                .print();
          }
          ratio("threads", "onednn_two_threads_vs_one", m, n, k).put("dtype", dtypes[x])
              .put("anchor", anchors[x]).put("ratio", dnnlDual / dnnlSingle).print();
        }
      }
    }
  }

  private static JsonLine line(String set, String dtype, int m, int n, int k, Int8Backend be,
      boolean packed, double v, String unit) {
    return new JsonLine("gemm")
        .put("dtype", dtype)
        .put("m", m).put("n", n).put("k", k)
        .put("set", set)
        .put("threads", be.threads())
        .put("packed_b", packed)
        .put(unit, v)
        .put("backend", be.name())
        .put("isa", be.isa());
  }

  private static JsonLine ratio(String set, String what, int m, int n, int k) {
    return new JsonLine("ratio").put("what", what).put("m", m).put("n", n).put("k", k)
        .put("set", set).put("loadavg_1min", BenchKernels.loadAverage());
  }

  private JsonLine anchorLine(String set, String name, int m, int n, int k, double v, String unit) {
    return anchorLine(set, name, m, n, k, 1, v, unit);
  }

  private JsonLine anchorLine(
      String set, String name, int m, int n, int k, int threads, double v, String unit) {
    return new JsonLine("anchor").put("anchor", name).put("m", m).put("n", n).put("k", k)
        .put("set", set).put("threads", threads).put(unit, v).put("runs", runs);
  }

  /** Codes uniform in [low, 127] (the quantizer never emits -128). */
  static void fillCodes(Int8Buffer b, SplittableRandom rnd, int low) {
    byte[] v = new byte[b.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (byte) (low + rnd.nextInt(128 - low));
    }
    b.copyFrom(v);
  }

  static void fillFloats(Float32Buffer b, SplittableRandom rnd) {
    float[] v = new float[b.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rnd.nextDouble(-1, 1);
    }
    b.copyFrom(v);
  }
}
