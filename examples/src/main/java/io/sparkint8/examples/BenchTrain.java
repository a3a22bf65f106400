package io.sparkint8.examples;

import io.sparkint8.arrow.FashionMnistFiles;
import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.cuda.CudaOps;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.local.Dataset;
import io.sparkint8.local.FashionMnistDataset;
import io.sparkint8.local.LocalTrainer;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.optim.LrScheduleKind;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.step.TrainingConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Training throughput of the engine, fp32 vs int8, on Fashion-MNIST batches, with a per-layer time split
 * (GEMM, quantization, other; the GEMMs' operations per second in the model), the bytes a training row
 * needs (the network's off-heap buffers, its heap scratch and the kernels' native temporaries at their
 * peak, over the batch), and the PyTorch peer's lines with ratios when {@code --peer} names it. One
 * JSON line per measurement; images/s is the median over runs.
 *
 * <pre>
 * examples/run bench-train [--model cnn-small] [--batch 256] [--steps 12] [--runs 5] [--threads 1]
 *     [--backend auto|java|native|cuda]
 * </pre>
 *
 * <p>With {@code --backend cuda} every kernel call of the engine runs on the GPU through the SPI, i.e. with
 * its operands copied to and from the device; the engine keeping tensors on the GPU for a whole step
 * (CudaOps) is the change that would remove those copies.
 */
public final class BenchTrain {
  private BenchTrain() {}

  static final String USAGE = String.join("\n",
      "usage: examples/run bench-train [options]",
      "Training images/s of the engine, fp32 vs int8, with a per-layer time split (JSON lines).",
      "  --model SPEC     network preset or spec (default cnn-small)",
      "  --batch B        batch size (default 256)",
      "  --steps N        timed steps per run (default 12)",
      "  --runs R         runs, median reported (default 5, at least 5)",
      "  --threads T      kernel threads (default 1)",
      "  --backend NAME   auto | java | native | cuda (default auto, or -Dint8.backend)",
      "  --data DIR       Fashion-MNIST IDX files, fetched from the Debian package when missing",
      "                   (default " + FashionMnistFiles.configuredDir() + ")",
      "  --peer DIR       the PyTorch peer (../shared/tools/peer-torch, which examples/run passes",
      "                   when it exists): its lines and ratio lines follow ours (cnn-small only)",
      "  --no-peer        no peer, even if examples/run found one");

  public static void main(String[] args) throws Exception {
    Args.run("bench-train", USAGE, args, BenchTrain::launch);
  }

  private static void launch(String[] args) throws Exception {
    Args a = new Args(args, USAGE, "--no-peer");
    String model = a.string("--model", "cnn-small");
    int batch = a.integer("--batch", 256);
    int steps = a.integer("--steps", 12);
    int runs = a.integer("--runs", 5);
    int threads = a.integer("--threads", 1);
    String backend = a.string("--backend", System.getProperty(Backends.PROPERTY, "auto"));
    Path dataDir = a.path("--data", FashionMnistFiles.configuredDir());
    Path peerDir = a.path("--peer", null);
    Path peer = a.flag("--no-peer") ? null : peerDir;
    a.done();
    if (runs < 5) {
      throw a.fail("--runs " + runs + ": medians need at least 5 runs");
    }
    Path data = FashionMnistFiles.locate(dataDir).dir();
    Dataset train = FashionMnistDataset.load(data, true).head(batch * steps);
    double fp32 = 0;
    double int8 = 0;
    for (Precision p : List.of(Precision.FP32, Precision.INT8)) {
      double ips = measure(model, p, train, batch, runs, threads, backend);
      if (p == Precision.FP32) {
        fp32 = ips;
      } else {
        int8 = ips;
        new JsonLine("ratio").put("what", "int8_vs_fp32_images_per_s").put("model", model)
            .put("ratio", ips / fp32).print();
      }
    }
    if (peer != null && model.equals("cnn-small")) {
      PeerTrain.printRatios(model, int8, fp32, PeerTrain.run(peer, threads, batch));
    } else if (peer != null) {
      System.err.println("bench-train: the peer trains cnn-small only; no peer lines for " + model);
    }
  }

  private static double measure(String model, Precision p, Dataset train, int batch, int runs,
      int threads, String backendName) {
    LayerProfiler profiler = new LayerProfiler();
    Int8Backend backend =
        TimingBackend.wrap(Backends.byName(backendName).withThreads(threads), profiler);
    EngineConfig cfg = EngineConfig.defaults(p);
    double[] ips = new double[runs];
    try (OffHeapAllocator alloc = new OffHeapAllocator("bench-train")) {
      LayerContext ctx = new LayerContext(backend, alloc, cfg);
      ctx.setObserver(profiler);
      try (Network net = Network.build(NetworkSpec.parse(model, train.numClasses()),
              train.shape(), batch, ctx);
          LocalTrainer trainer = new LocalTrainer(net, TrainingConfig.builder(cfg,
                  OptimizerConfig.defaults("sgd"))
              .lrSchedule(LrScheduleKind.CONSTANT, 0.01).batchSize(batch).shuffleSeed(1).build())) {
        backend.resetNativeScratchPeak();
        trainer.fit(train, null, null); // warm-up: JIT, caches, first-touch of buffers
        profiler.reset();
        long wall = 0;
        for (int r = 0; r < runs; r++) {
          long t0 = System.nanoTime();
          trainer.fit(train, null, null);
          long dt = System.nanoTime() - t0;
          wall += dt;
          ips[r] = train.size() / (dt * 1e-9);
        }
        double median = Timing.median(ips);
        // the buffers are allocated when the network and the trainer are built and reused by every
        // step, so what the allocator holds now is the off-heap peak
        long bytes = alloc.allocatedBytes() + net.heapScratchBytes()
            + backend.nativeScratchPeakBytes();
        new JsonLine("train")
            .put("model", model)
            .put("precision", p.label())
            .put("batch", batch)
            .put("threads", backend.threads())
            .put("images_per_s", median)
            .put("gemm_route", p == Precision.FP32 ? "sgemm:" + backend.gemmF32Route()
                : "s8s8:" + backend.name() + "/" + backend.isa())
            .put("runs", runs)
            .put("peak_bytes_per_row", bytes / batch)
            .print();
        long stepsTotal = (long) runs * ((train.size() + batch - 1) / batch);
        long inLayers = 0;
        for (Map.Entry<String, LayerProfiler.Times> e : profiler.times().entrySet()) {
          LayerProfiler.Times t = e.getValue();
          inLayers += t.total;
          JsonLine line = new JsonLine("train_split")
              .put("precision", p.label())
              .put("layer", e.getKey().replaceAll("#.*", ""))
              .put("ms_per_step", t.total / 1e6 / stepsTotal)
              .put("gemm_ms", t.kernels[LayerProfiler.Kind.GEMM.ordinal()] / 1e6 / stepsTotal)
              .put("quantization_ms",
                  t.kernels[LayerProfiler.Kind.QUANTIZATION.ordinal()] / 1e6 / stepsTotal)
              .put("other_ms", t.other() / 1e6 / stepsTotal);
          if (t.gemmOps > 0) {
            line.put("gemm_gops", t.gemmGops());
          }
          line.print();
        }
        new JsonLine("train_split")
            .put("precision", p.label())
            .put("layer", "(loss, optimizer, batching)")
            .put("ms_per_step", (wall - inLayers) / 1e6 / stepsTotal)
            .print();
        return median;
      }
    }
  }
}
