package io.sparkint8.examples;

import io.sparkint8.kernels.cuda.CudaBackend;
import io.sparkint8.kernels.cuda.CudaOps;
import io.sparkint8.kernels.cuda.DType;
import io.sparkint8.kernels.cuda.DeviceAllocator;
import io.sparkint8.kernels.cuda.DeviceBuffer;
import io.sparkint8.kernels.cuda.DeviceEpilogue;
import io.sparkint8.kernels.cuda.DeviceInfo;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Trans;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The GPU part of bench-kernels: the int8 and fp32 GEMMs on device-resident buffers (what the engine
 * would see with weights kept on the GPU; the SPI lines of BenchKernels include the PCIe copies), then
 * PyTorch's torch._int_mm (cuBLASLt) and bf16 torch.matmul on the same shapes through
 * examples/scripts/bench_torch.py, and the ratios the GPU issue sets as bars: ours >= 0.7 x _int_mm and
 * >= 2 x bf16 on the large shapes. Layouts: A m x k, B n x k (transB = T), as torch is given them.
 */
final class BenchKernelsCuda {
  /** 4096^3, then the int8 training GEMMs of cnn-small and resnet20 at batch 256 (forward: rows x cout
   * x kh*kw*cin; grad_weight: cout x kh*kw*cin x rows; grad_input: rows x kh*kw*cin x cout). */
  static final int[][] SHAPES = {
    {4096, 4096, 4096},
    {50176, 64, 288}, {64, 288, 50176}, {50176, 288, 64}, {256, 128, 3136},
    {262144, 16, 144}, {16, 144, 262144}, {65536, 32, 288}, {16384, 64, 576}, {64, 576, 16384}
  };
  private static final Pattern TORCH = Pattern.compile(
      "\"op\":\"(int_mm|bf16_matmul)\",\"m\":(\\d+),\"n\":(\\d+),\"k\":(\\d+),\"g(?:ops|flops)\":([0-9.eE+-]+)");

  private BenchKernelsCuda() {}

  static void run(CudaBackend be, int[][] shapes, int runs, Path torchScript) {
    CudaOps ops = be.device();
    DeviceInfo info = ops.device().info();
    new JsonLine("gpu").put("device", info.toString()).put("isa", be.isa())
        .put("ptx", ops.device().ptx().toolkit()).print();
    Map<String, Double> ours = new HashMap<>();
    try (DeviceAllocator dev = ops.allocator("bench-kernels-cuda")) {
      for (int[] s : shapes) {
        ours.put(key(s[0], s[1], s[2]), gemm(be, ops, dev, s[0], s[1], s[2], runs));
      }
    }
    Map<String, Double> torch = torch(torchScript, shapes, runs);
    for (int[] s : shapes) {
      String key = key(s[0], s[1], s[2]);
      Double mine = ours.get(key);
      for (String peer : new String[] {"int_mm", "bf16_matmul"}) {
        Double theirs = torch.get(peer + " " + key);
        if (mine != null && theirs != null) {
          new JsonLine("ratio")
              .put("what", "ours_s8s8s32_vs_torch_" + peer)
              .put("m", s[0]).put("n", s[1]).put("k", s[2])
              .put("ours_gops", mine).put("torch_g" + (peer.equals("int_mm") ? "ops" : "flops"), theirs)
              .put("ratio", mine / theirs)
              .put("bar", peer.equals("int_mm") ? 0.7 : 2.0)
              .print();
        }
      }
    }
  }

  private static String key(int m, int n, int k) {
    return m + "," + n + "," + k;
  }

  /** Times the device-resident GEMMs of one shape; returns the s8s8s32 GOPS. */
  private static double gemm(CudaBackend be, CudaOps ops, DeviceAllocator dev, int m, int n, int k,
      int runs) {
    GemmDesc d = GemmDesc.of(Trans.N, Trans.T, m, n, k);
    double work = 2.0 * m * n * k;
    try (DeviceBuffer a = dev.allocate(DType.S8, (long) m * k);
        DeviceBuffer b = dev.allocate(DType.S8, (long) n * k);
        DeviceBuffer c = dev.allocate(DType.S32, (long) m * n);
        DeviceBuffer cf = dev.allocate(DType.F32, (long) m * n);
        DeviceBuffer rs = dev.allocate(DType.F32, m);
        DeviceBuffer cs = dev.allocate(DType.F32, n);
        DeviceBuffer fa = dev.allocate(DType.F32, (long) m * k);
        DeviceBuffer fb = dev.allocate(DType.F32, (long) n * k)) {
      // contents do not change the speed of integer or fp32 tensor-free arithmetic; zeros are fine
      double s32 = work / seconds(ops, () -> ops.gemmS8S8S32(d, a, b, c), runs) / 1e9;
      DeviceEpilogue ep = new DeviceEpilogue(1f, rs, cs, null, 0f);
      double f32out = work / seconds(ops, () -> ops.gemmS8S8F32(d, a, b, ep, cf), runs) / 1e9;
      double sgemm = work / seconds(ops, () -> ops.gemmF32(d, 1f, fa, fb, 0f, cf), runs) / 1e9;
      line("s8s8s32", m, n, k, be, s32, "gops").print();
      line("s8s8f32", m, n, k, be, f32out, "gops").put("epilogue", "row_col_scales").print();
      line("f32", m, n, k, be, sgemm, "gflops").put("route", be.gemmF32Route()).print();
      new JsonLine("ratio").put("what", "int8_s8s8s32_vs_fp32_same_engine")
          .put("m", m).put("n", n).put("k", k).put("timing", "device_resident")
          .put("ratio", s32 / sgemm).print();
      return s32;
    }
  }

  private static JsonLine line(String dtype, int m, int n, int k, CudaBackend be, double v,
      String unit) {
    return new JsonLine("gemm").put("dtype", dtype).put("m", m).put("n", n).put("k", k)
        .put("trans", "NT").put("timing", "device_resident").put(unit, v)
        .put("backend", be.name()).put("isa", be.isa());
  }

  /**
   * Median seconds per call: a run queues the call enough times to last ~0.3 s and waits for the GPU
   * once, so launch latency overlaps execution as it does in a training step.
   */
  private static double seconds(CudaOps ops, Runnable call, int runs) {
    call.run();
    ops.synchronize();
    long t0 = System.nanoTime();
    call.run();
    ops.synchronize();
    double once = Math.max(1e-6, (System.nanoTime() - t0) * 1e-9);
    int reps = (int) Math.max(1, Math.min(10_000, Math.ceil(0.3 / once)));
    double[] per = new double[runs];
    for (int r = 0; r < runs; r++) {
      long s = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        call.run();
      }
      ops.synchronize();
      per[r] = (System.nanoTime() - s) * 1e-9 / reps;
    }
    return Timing.median(per);
  }

  /** Runs the PyTorch script (its lines are printed as they come); "int_mm m,n,k" -> GOPS. */
  private static Map<String, Double> torch(Path script, int[][] shapes, int runs) {
    Map<String, Double> out = new HashMap<>();
    if (script == null || !Files.isRegularFile(script)) {
      new JsonLine("torch").put("skipped", "no script at " + script).print();
      return out;
    }
    try {
      Process probe = new ProcessBuilder("python3", "-c", "import torch")
          .redirectErrorStream(true).start();
      String why = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!probe.waitFor(120, TimeUnit.SECONDS) || probe.exitValue() != 0) {
        new JsonLine("torch").put("skipped", "python3 -c 'import torch' failed: "
            + (why.isEmpty() ? "timeout" : why.lines().reduce((x, y) -> y).orElse(why))).print();
        return out;
      }
      StringBuilder spec = new StringBuilder();
      for (int[] s : shapes) {
        spec.append(spec.length() == 0 ? "" : ";").append(key(s[0], s[1], s[2]));
      }
      Process p = new ProcessBuilder("python3", script.toString(), "--shapes", spec.toString(),
          "--runs", String.valueOf(runs)).redirectErrorStream(true).start();
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l = r.readLine(); l != null; l = r.readLine()) {
          System.out.println(l);
          Matcher m = TORCH.matcher(l);
          if (m.find()) {
            out.put(m.group(1) + " " + key(Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))),
                Double.parseDouble(m.group(5)));
          }
        }
      }
      if (p.waitFor() != 0) {
        new JsonLine("torch").put("error", "bench_torch.py exited with " + p.exitValue()).print();
      }
    } catch (java.io.IOException e) {
      new JsonLine("torch").put("skipped", "python3 could not run: " + e.getMessage()).print();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }
}
