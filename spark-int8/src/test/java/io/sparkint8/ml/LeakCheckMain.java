package io.sparkint8.ml;

import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.train.WorkerPool;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The program {@link RepeatedFitLeakTest} runs in a JVM of its own (a fixed, pre-touched heap, so
 * that resident memory moves only with what lives outside the heap): the same CrossValidator (3
 * folds x 2 step sizes: 6 fits, 6 evaluations and the refit of the best) twice in one session.
 * After each run it records the off-heap allocators still open (before and after the executors'
 * idle networks are released) and VmRSS from /proc/self/status, into
 * {@code <out>/results.properties}; the test makes the assertions.
 */
public final class LeakCheckMain {
  private LeakCheckMain() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    Files.createDirectories(out);
    Properties results = new Properties();
    int status = 0;
    try {
      run(results);
      results.setProperty("done", "true");
    } catch (Throwable t) {
      StringWriter s = new StringWriter();
      t.printStackTrace(new PrintWriter(s));
      results.setProperty("error", s.toString());
      t.printStackTrace();
      status = 1;
    } finally {
      try (OutputStream o = Files.newOutputStream(out.resolve("results.properties"))) {
        results.store(o, "spark-int8 repeated-fit leak check");
      }
    }
    // Spark leaves non-daemon threads behind; end the JVM explicitly.
    System.exit(status);
  }

  private static void run(Properties results) throws IOException, InterruptedException {
    Dataset<Row> train = Blobs.frame(600, 3L, 2).cache();
    Set<OffHeapAllocator> before = identitySet(OffHeapAllocator.openAllocators());
    for (int run = 1; run <= 2; run++) {
      long t0 = System.nanoTime();
      CrossValidatorModel cv = crossValidator().fit(train);
      String p = "run" + run + ".";
      results.setProperty(p + "metrics", Arrays.toString(cv.avgMetrics()));
      results.setProperty(p + "openBeforeRelease", describe(newSince(before)));
      results.setProperty(p + "networksReleased", Integer.toString(WorkerPool.closeIdle()));
      results.setProperty(p + "openAfterRelease", describe(newSince(before)));
      System.gc();
      Thread.sleep(500);
      results.setProperty(p + "vmRssKb", Long.toString(vmRssKb()));
      System.out.printf("LeakCheckMain: run %d in %.1f s, VmRSS %d kB, cv metrics %s%n", run,
          (System.nanoTime() - t0) * 1e-9, vmRssKb(), Arrays.toString(cv.avgMetrics()));
    }
    train.unpersist(true);
  }

  static CrossValidator crossValidator() {
    Int8Classifier clf = Blobs.classifier(2);
    ParamMap[] grid = new ParamGridBuilder()
        .addGrid(clf.stepSize(), new double[] {0.05, 0.1})
        .build();
    return new CrossValidator().setEstimator(clf).setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
        .setNumFolds(3).setSeed(9L);
  }

  private static Set<OffHeapAllocator> identitySet(List<OffHeapAllocator> list) {
    Set<OffHeapAllocator> s = Collections.newSetFromMap(new IdentityHashMap<>());
    s.addAll(list);
    return s;
  }

  private static List<OffHeapAllocator> newSince(Set<OffHeapAllocator> before) {
    List<OffHeapAllocator> now = new ArrayList<>();
    for (OffHeapAllocator a : OffHeapAllocator.openAllocators()) {
      if (!before.contains(a)) {
        now.add(a);
      }
    }
    return now;
  }

  /** One line per allocator: its name, bytes and buffers; empty when none. */
  private static String describe(List<OffHeapAllocator> open) {
    StringBuilder b = new StringBuilder();
    for (OffHeapAllocator a : open) {
      b.append(a).append('\n');
    }
    return b.toString();
  }

  static long vmRssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS line in /proc/self/status");
  }
}
