package io.sparkint8.examples;

import io.sparkint8.arrow.FashionMnistFiles;
import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.local.Dataset;
import io.sparkint8.local.EpochReport;
import io.sparkint8.local.FashionMnistDataset;
import io.sparkint8.local.LocalTrainer;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.optim.LrScaling;
import io.sparkint8.optim.LrScheduleKind;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.quant.ClippingKind;
import io.sparkint8.quant.Dclrs;
import io.sparkint8.step.TrainingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Accuracy benchmark: the same model, seed and schedule trained in fp32 and in several int8
 * configurations on Fashion-MNIST (60k train / 10k test by default), printing one JSON line per epoch and
 * a final line per run.
 *
 * <pre>
 * examples/run bench-accuracy [--epochs 10] [--train 60000] [--batch 256] [--model cnn-small]
 *     [--runs fp32,int8-dsgc,...] [--parallel 1] [--data DIR] [--seed 1]
 * </pre>
 *
 * <p>Below 8 bits, "pow2" runs quantize the errors of grad_weight in ShiftQuant groups of 64 rows with
 * power-of-two scales; "tensor" runs use one scale per tensor (plain rounding); "norect" runs turn the
 * BatchNorm rectification off (lambda 0) against the default 1e-4.
 */
public final class BenchAccuracy {
  private BenchAccuracy() {}

  /** One configuration to train. */
  record Run(String name, Precision precision, ClippingKind clipping, int bits, int group,
      double rect, boolean dclrs) {
    /** How the errors are scaled: pow2 (ShiftQuant groups), channel (mcs) or tensor. */
    String groupScales() {
      if (precision != Precision.INT8) {
        return "none";
      }
      if (bits < 8 && group > 0) {
        return "pow2";
      }
      return clipping == ClippingKind.MCS ? "channel" : "tensor";
    }
  }

  static final int GROUP = EngineConfig.DEFAULT_GROUP_SIZE;
  static final double RECT = 1e-4; // bnRectification's default

  static final List<Run> RUNS = List.of(
      new Run("fp32", Precision.FP32, ClippingKind.MAX, 8, 0, 0, false),
      new Run("int8-dsgc", Precision.INT8, ClippingKind.DSGC, 8, 0, RECT, true),
      new Run("int8-mcs", Precision.INT8, ClippingKind.MCS, 8, 0, RECT, false),
      new Run("int4-pow2", Precision.INT8, ClippingKind.DSGC, 4, GROUP, RECT, true),
      new Run("int4-pow2-norect", Precision.INT8, ClippingKind.DSGC, 4, GROUP, 0, true),
      new Run("int3-pow2", Precision.INT8, ClippingKind.DSGC, 3, GROUP, RECT, true),
      new Run("int3-pow2-norect", Precision.INT8, ClippingKind.DSGC, 3, GROUP, 0, true),
      new Run("int3-tensor", Precision.INT8, ClippingKind.DSGC, 3, 0, RECT, true));

  static String runNames() {
    return String.join(",", RUNS.stream().map(Run::name).toList());
  }

  static final String USAGE = String.join("\n",
      "usage: examples/run bench-accuracy [options]",
      "Fashion-MNIST test accuracy of fp32 vs int8 training configurations of the engine on one",
      "core (JSON lines).",
      "  --epochs N      epochs per run (default 10)",
      "  --train N       the first N training images (default all 60000)",
      "  --batch B       batch size (default 256)",
      "  --seed S        seed of initialization and shuffling (default 1)",
      "  --model SPEC    network preset or spec (default cnn-small)",
      "  --runs LIST     some of " + runNames() + " (default all)",
      "  --parallel N    train N runs at once, one thread each (default 1: one after the other);",
      "                  the accuracies do not depend on it, the seconds do",
      "  --data DIR      Fashion-MNIST IDX files, fetched from the Debian package when missing",
      "                  (default " + FashionMnistFiles.configuredDir() + ")");

  public static void main(String[] args) throws Exception {
    Args.run("bench-accuracy", USAGE, args, BenchAccuracy::launch);
  }

  private static void launch(String[] args) throws Exception {
    Args a = new Args(args, USAGE);
    int epochs = a.integer("--epochs", 10);
    int trainRows = a.integer("--train", 60_000);
    int batch = a.integer("--batch", 256);
    long seed = a.longInteger("--seed", 1);
    String model = a.string("--model", "cnn-small");
    Path data = FashionMnistFiles.locate(a.path("--data", FashionMnistFiles.configuredDir())).dir();
    List<String> names = new ArrayList<>();
    for (Run r : RUNS) {
      names.add(r.name());
    }
    String runs = a.string("--runs", null);
    if (runs != null) {
      names = List.of(runs.split(","));
    }
    int parallel = a.integer("--parallel", 1);
    if (parallel < 1) {
      throw new Args.UsageError("--parallel " + parallel + ": expected >= 1");
    }
    a.done();
    Dataset train = FashionMnistDataset.load(data, true);
    if (trainRows < train.size()) {
      train = train.head(trainRows);
    }
    Dataset test = FashionMnistDataset.load(data, false);
    Int8Backend backend = Backends.get();
    new JsonLine("machine").put("backend", backend.name()).put("isa", backend.isa())
        .put("train_rows", train.size()).put("test_rows", test.size()).print();
    List<Run> chosen = new ArrayList<>();
    for (String name : names) {
      chosen.add(RUNS.stream().filter(r -> r.name().equals(name)).findFirst()
          .orElseThrow(() -> new Args.UsageError("--runs: unknown run '" + name
              + "', expected some of " + runNames())));
    }
    Dataset trainSet = train;
    // every run owns its allocator, network and trainer, and the backend is thread-safe, so runs
    // in parallel compute exactly what they compute one after the other
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallel, chosen.size()));
    try {
      List<Future<?>> done = new ArrayList<>();
      for (Run run : chosen) {
        done.add(pool.submit(
            () -> train(run, model, trainSet, test, epochs, batch, seed, backend)));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void train(Run run, String model, Dataset train, Dataset test, int epochs,
      int batch, long seed, Int8Backend backend) {
    EngineConfig cfg = EngineConfig.defaults(run.precision()).withClipping(run.clipping())
        .withGradientBits(run.bits()).withGradientGroupSize(run.group())
        .withBnRectification(run.rect())
        .withDclrs(run.dclrs() ? Dclrs.defaults() : Dclrs.off()).withSeed(seed);
    // 0.1 at batch 256, scaled linearly; a cosine after one epoch of warmup when there are 3+
    TrainingConfig tc = TrainingConfig.builder(cfg,
            OptimizerConfig.defaults("sgd").withWeightDecay(5e-4).withNesterov(true))
        .lrSchedule(LrScheduleKind.COSINE, 0.1).lrScaling(LrScaling.LINEAR)
        .warmupEpochs(epochs >= 3 ? 1 : 0).batchSize(batch).epochs(epochs).shuffleSeed(seed)
        .build();
    long t0 = System.nanoTime();
    try (OffHeapAllocator alloc = new OffHeapAllocator("bench-accuracy");
        Network net = Network.build(NetworkSpec.parse(model, train.numClasses()), train.shape(),
            batch, new LayerContext(backend, alloc, cfg));
        LocalTrainer trainer = new LocalTrainer(net, tc)) {
      List<EpochReport> reports = trainer.fit(train, test, e -> line(run, model, e).print());
      EpochReport last = reports.get(reports.size() - 1);
      new JsonLine("accuracy")
          .put("final", true)
          .put("run", run.name())
          .put("model", model)
          .put("precision", run.precision().label())
          .put("clipping", run.clipping().label())
          .put("dclrs", run.dclrs())
          .put("gradient_bits", run.bits())
          .put("group_scales", run.groupScales())
          .put("group_size", run.groupScales().equals("pow2") ? run.group() : 0)
          .put("bn_rectification", run.rect())
          .put("epochs", epochs)
          .put("train_rows", train.size())
          .put("test_accuracy", last.testAccuracy())
          .put("seconds", (System.nanoTime() - t0) * 1e-9)
          .print();
    }
  }

  private static JsonLine line(Run run, String model, EpochReport e) {
    return new JsonLine("accuracy")
        .put("final", false)
        .put("model", model)
        .put("run", run.name())
        .put("epoch", e.epoch())
        .put("train_loss", e.trainLoss())
        .put("train_accuracy", e.trainAccuracy())
        .put("test_accuracy", e.testAccuracy())
        .put("seconds", e.seconds())
        .put("samples_per_s", e.samplesPerSecond())
        .put("mean_deviation", e.meanDeviation())
        .put("mean_lr_factor", e.meanLrFactor());
  }
}
