package io.sparkint8.ml;

import io.sparkint8.kernels.jni.NativeLibrary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The program {@link DistributedTrainingTest} runs in a JVM of its own, because it needs Spark
 * masters that the shared local[2] test session cannot have. It trains one tiny model three times
 * with the same seed and data and writes what it saw to {@code <out>/results.properties} and the
 * trained states to {@code <out>/*.si8m}; the test makes the assertions.
 *
 * <ol>
 *   <li>{@code cluster}: on {@code local-cluster[2,1,2048]} (a master and two workers inside this
 *       JVM, each worker launching one executor JVM from {@code $SPARK_HOME/jars}), with the given
 *       backend; records the executors that ran training tasks, every executor's pid and whether
 *       it loaded the native library, and the test-set accuracy.
 *   <li>{@code kill}: on the same cluster, the same fit again, and when the first task of step 2
 *       of epoch 2 starts, that task's executor JVM is killed with SIGKILL (its pid found among
 *       this JVM's descendant processes by its {@code --executor-id}); Spark reschedules its
 *       tasks, recomputes its cached shards and its worker starts a new executor; records the
 *       killed executor and pid, the executors removed and the failed tasks.
 *   <li>{@code plain}: on {@code local[2,2]} (one retry allowed), no failure.
 *   <li>{@code retry}: on {@code local[2,2]} with {@code spark.int8.test.failOnceAtStep=3}:
 *       partition 0's first attempt at step 3 throws, Spark retries it; records failed tasks.
 * </ol>
 *
 * <p>Arguments: output directory, backend (native or java), executor JVM options (one string).
 */
public final class DistributedCheckMain {
  static final int CLASSES = 4;
  static final int SIDE = 8;
  static final int TRAIN_ROWS = 512;
  static final int TEST_ROWS = 256;
  static final int PARTITIONS = 4;
  static final int FAIL_AT_STEP = 3;
  private static final long DATA_SEED = 2024L;

  private DistributedCheckMain() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    String backend = args[1];
    String executorOptions = args.length > 2 ? args[2] : "";
    Files.createDirectories(out);
    Properties results = new Properties();
    results.setProperty("driverPid", Long.toString(ProcessHandle.current().pid()));
    int status = 0;
    try {
      cluster(out, backend, executorOptions, results);
      local(out, backend, -1, "plain", results);
      local(out, backend, FAIL_AT_STEP, "retry", results);
      results.setProperty("done", "true");
    } catch (Throwable t) {
      StringWriter s = new StringWriter();
      t.printStackTrace(new PrintWriter(s));
      results.setProperty("error", s.toString());
      t.printStackTrace();
      status = 1;
    } finally {
      Path tmp = out.resolve("results.properties.tmp");
      try (OutputStream o = Files.newOutputStream(tmp)) {
        results.store(o, "spark-int8 distributed check");
      }
      Files.move(tmp, out.resolve("results.properties"), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    }
    // Spark leaves non-daemon threads behind after stop(); end the JVM explicitly.
    System.exit(status);
  }

  private static long last = System.nanoTime();

  /** Progress with the seconds since the previous phase, to the child's log. */
  private static void phase(String what) {
    long now = System.nanoTime();
    System.out.printf("DistributedCheckMain: %-32s %6.1f s%n", what, (now - last) * 1e-9);
    last = now;
  }

  private static SparkSession.Builder builder(String master) {
    return SparkSession.builder()
        .master(master)
        .appName("spark-int8-distributed-check")
        .config("spark.ui.enabled", "false")
        // a task that leaves a cached block locked fails instead of logging it; adaptive execution
        // is off because its materialization of a cached DataFrame (Spark 4.1) leaves such a lock
        // itself, which would hide ours
        .config("spark.storage.exceptionOnPinLeak", "true")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", Int8KryoRegistrator.class.getName())
        .config("spark.kryo.registrationRequired", "true")
        .config("spark.driver.host", "127.0.0.1");
  }

  private static void cluster(Path out, String backend, String executorOptions,
      Properties results) throws Exception {
    String sparkHome = System.getenv("SPARK_HOME");
    SparkSession spark = builder("local-cluster[2,1,2048]")
        .config("spark.home", sparkHome)
        .config("spark.executor.memory", "768m")
        .config("spark.executor.extraJavaOptions", executorOptions)
        .getOrCreate();
    try {
      spark.sparkContext().setLogLevel("WARN");
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      phase("cluster: session");
      waitForExecutors(jsc, 2, 120_000);
      phase("cluster: executors registered");
      TaskLog log = new TaskLog();
      spark.sparkContext().addSparkListener(log);
      Int8ClassificationModel model = classifier(backend).fit(data(spark, 0, TRAIN_ROWS));
      log.awaitTasks(2 * 4 * PARTITIONS, 10_000);
      phase("cluster: fit");
      List<Row> predicted = model.transform(data(spark, TRAIN_ROWS, TEST_ROWS))
          .select("label", "prediction").collectAsList();
      long correct = predicted.stream().filter(r -> r.getDouble(0) == r.getDouble(1)).count();
      results.setProperty("cluster.accuracy", Double.toString((double) correct / TEST_ROWS));
      results.setProperty("cluster.predictions", Integer.toString(predicted.size()));
      phase("cluster: transform");
      results.setProperty("cluster.epochs", Integer.toString(model.summary().totalEpochs()));
      results.setProperty("cluster.stepTasks", Integer.toString(log.succeeded.get()));
      results.setProperty("cluster.trainingExecutors", String.join(",", log.executors()));
      results.setProperty("cluster.failedTasks", Integer.toString(log.failed.get()));
      // Which JVM each executor is, and whether it holds the native library. Enough short tasks
      // that both single-core executors take some.
      // loadedFrom() does not load: it is set only if this JVM's tasks loaded the library before.
      List<String> seen = jsc.parallelize(range(16), 16).map(i -> {
        Thread.sleep(100);
        String from = NativeLibrary.loadedFrom();
        return SparkEnv.get().executorId() + "|" + ProcessHandle.current().pid() + "|"
            + (from != null ? "native-loaded:" + from
                : "native-not-loaded:" + NativeLibrary.failure());
      }).distinct().collect();
      results.setProperty("cluster.executorJvms", String.join("\n", new TreeSet<>(seen)));
      save(model, out.resolve("cluster.si8m"));
      phase("cluster: executor probe");
      killDuringFit(spark, backend, out, results);
      phase("kill: fit with an executor killed");
    } finally {
      stop(spark);
    }
  }

  /** The step whose first task start kills its executor: step 2 of epoch 2 (of 2). */
  static final String KILL_AT = ": epoch 2/2, step 2/";

  private static void killDuringFit(SparkSession spark, String backend, Path out,
      Properties results) throws Exception {
    TaskLog log = new TaskLog();
    ExecutorKiller killer = new ExecutorKiller();
    spark.sparkContext().addSparkListener(log);
    spark.sparkContext().addSparkListener(killer);
    try {
      Int8ClassificationModel model = classifier(backend).fit(data(spark, 0, TRAIN_ROWS));
      killer.awaitRemoved(1, 30_000);
      save(model, out.resolve("kill.si8m"));
      results.setProperty("kill.epochs", Integer.toString(model.summary().totalEpochs()));
    } finally {
      spark.sparkContext().removeSparkListener(killer);
      spark.sparkContext().removeSparkListener(log);
    }
    if (killer.error != null) {
      throw new IllegalStateException("the kill failed: " + killer.error);
    }
    results.setProperty("kill.executorId", String.valueOf(killer.killedExecutor));
    results.setProperty("kill.pid", Long.toString(killer.killedPid));
    results.setProperty("kill.pidAliveAfter", Boolean.toString(killer.killedPid > 0
        && ProcessHandle.of(killer.killedPid).map(ProcessHandle::isAlive).orElse(false)));
    results.setProperty("kill.executorsRemoved", String.join("\n", killer.removed));
    results.setProperty("kill.failedTasks", Integer.toString(log.failed.get()));
    results.setProperty("kill.failureMessages", String.join("\n", log.failures));
  }

  /**
   * Kills, with SIGKILL, the executor JVM that runs the first task of the step {@link #KILL_AT},
   * once, and records the executors Spark removes.
   */
  static final class ExecutorKiller extends SparkListener {
    private final java.util.Map<Integer, String> descriptionOfStage = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean fired =
        new java.util.concurrent.atomic.AtomicBoolean();
    final List<String> removed = Collections.synchronizedList(new ArrayList<>());
    volatile String killedExecutor;
    volatile long killedPid = -1;
    volatile String error;

    @Override
    public void onJobStart(SparkListenerJobStart start) {
      String description = start.properties() == null ? null
          : start.properties().getProperty("spark.job.description");
      if (description != null) {
        for (Object stage : CollectionConverters.asJava(start.stageIds())) {
          descriptionOfStage.put((Integer) stage, description);
        }
      }
    }

    @Override
    public void onTaskStart(org.apache.spark.scheduler.SparkListenerTaskStart start) {
      String description = descriptionOfStage.get(start.stageId());
      if (description == null || !description.contains(KILL_AT) || !fired.compareAndSet(false,
          true)) {
        return;
      }
      String id = start.taskInfo().executorId();
      try {
        ProcessHandle executor = executorProcess(id);
        killedExecutor = id;
        killedPid = executor.pid();
        // destroyForcibly is SIGKILL on Linux: the JVM gets no chance to say goodbye
        executor.destroyForcibly();
        executor.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        System.out.println("DistributedCheckMain: killed executor " + id + " (pid " + killedPid
            + ") at the start of its task of '" + description + "'");
      } catch (Exception | Error e) {
        error = e.toString();
      }
    }

    @Override
    public void onExecutorRemoved(org.apache.spark.scheduler.SparkListenerExecutorRemoved e) {
      removed.add(e.executorId() + ": " + e.reason());
    }

    void awaitRemoved(int n, long millis) throws InterruptedException {
      long end = System.currentTimeMillis() + millis;
      while (removed.size() < n && System.currentTimeMillis() < end) {
        Thread.sleep(50);
      }
    }

    /** The executor JVM of {@code executorId}: a descendant of this JVM (launched by a worker). */
    static ProcessHandle executorProcess(String executorId) {
      List<String> seen = new ArrayList<>();
      for (ProcessHandle p : (Iterable<ProcessHandle>) ProcessHandle.current().descendants()
          ::iterator) {
        String[] args = p.info().arguments().orElse(new String[0]);
        List<String> a = java.util.Arrays.asList(args);
        if (a.contains("org.apache.spark.executor.CoarseGrainedExecutorBackend")) {
          int i = a.indexOf("--executor-id");
          seen.add(p.pid() + ":" + (i >= 0 && i + 1 < a.size() ? a.get(i + 1) : "?"));
          if (i >= 0 && i + 1 < a.size() && a.get(i + 1).equals(executorId)) {
            return p;
          }
        }
      }
      throw new IllegalStateException("no executor JVM with --executor-id " + executorId
          + " among this JVM's descendants; executors seen (pid:id) " + seen);
    }
  }

  private static void local(Path out, String backend, int failAtStep, String name,
      Properties results) throws Exception {
    SparkSession.Builder b = builder("local[2,2]");
    if (failAtStep >= 0) {
      b.config(Int8Classifier.FAIL_ONCE_AT_STEP_CONF, Integer.toString(failAtStep));
    }
    SparkSession spark = b.getOrCreate();
    try {
      spark.sparkContext().setLogLevel("WARN");
      TaskLog log = new TaskLog();
      spark.sparkContext().addSparkListener(log);
      Int8ClassificationModel model = classifier(backend).fit(data(spark, 0, TRAIN_ROWS));
      log.awaitTasks(2 * 4 * PARTITIONS, 10_000);
      if (failAtStep >= 0) {
        log.awaitFailures(1, 10_000);
      }
      results.setProperty(name + ".failedTasks", Integer.toString(log.failed.get()));
      results.setProperty(name + ".failureMessages", String.join("\n", log.failures));
      save(model, out.resolve(name + ".si8m"));
      phase(name + ": fit");
    } finally {
      stop(spark);
    }
  }

  /** A tiny conv net with BN, 2 epochs of 4 steps (global batch 128), int8 aggregation. */
  static Int8Classifier classifier(String backend) {
    return new Int8Classifier()
        .setInputShape(new int[] {1, SIDE, SIDE})
        .setNetwork("conv(4,3,p=1)-bn-relu-maxpool(2)-fc(16)-relu-fc")
        .setBatchSize(128)
        .setMaxEpochs(2)
        .setStepSize(0.1)
        .setWarmupEpochs(0)
        .setAggregationDepth(2)
        .setSeed(7L)
        .setBackend(backend);
  }

  /**
   * Rows {@code from .. from+n-1} of a synthetic 4-class problem (a fixed random +-1 8x8 prototype
   * per class plus Gaussian noise), in {@link #PARTITIONS} contiguous partitions: every row is a pure
   * function of its id, so all three runs see the same partitions in the same order.
   */
  static Dataset<Row> data(SparkSession spark, long from, int n) {
    UserDefinedFunction features = functions.udf(
        (UDF1<Long, Vector>) id -> Vectors.dense(sample(id)), SQLDataTypes.VectorType());
    return spark.range(from, from + n, 1, PARTITIONS)
        .withColumn("label", functions.col("id").mod(CLASSES).cast("double"))
        .withColumn("features", features.apply(functions.col("id")))
        .select("label", "features");
  }

  static double[] sample(long id) {
    int label = (int) (id % CLASSES);
    SplittableRandom proto = new SplittableRandom(DATA_SEED + label);
    SplittableRandom noise = new SplittableRandom(DATA_SEED * 31 + id * 1_000_003L);
    double[] x = new double[SIDE * SIDE];
    for (int i = 0; i < x.length; i++) {
      double gauss = Math.sqrt(-2 * Math.log(1 - noise.nextDouble()))
          * Math.cos(2 * Math.PI * noise.nextDouble());
      x[i] = (proto.nextBoolean() ? 1 : -1) + 0.8 * gauss;
    }
    return x;
  }

  private static void save(Int8ClassificationModel model, Path file) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    model.modelState().write(bytes);
    Files.write(file, bytes.toByteArray());
  }

  private static void waitForExecutors(JavaSparkContext jsc, int n, long millis)
      throws InterruptedException {
    long end = System.currentTimeMillis() + millis;
    // getExecutorInfos lists the driver too
    while (jsc.sc().statusTracker().getExecutorInfos().length < n + 1) {
      if (System.currentTimeMillis() > end) {
        throw new IllegalStateException("only " + (jsc.sc().statusTracker().getExecutorInfos().length
            - 1) + " of " + n + " executors registered within " + millis + " ms; see the "
            + "executor logs under $SPARK_HOME/work");
      }
      Thread.sleep(200);
    }
  }

  private static List<Integer> range(int n) {
    List<Integer> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(i);
    }
    return l;
  }

  private static void stop(SparkSession spark) {
    spark.stop();
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  /** Records where tasks ran and which failed (the listener bus delivers asynchronously). */
  static final class TaskLog extends SparkListener {
    // the stages of the jobs whose description says they are training steps
    final Set<Integer> stepStages = ConcurrentHashMap.newKeySet();
    final Set<String> executors = ConcurrentHashMap.newKeySet();

    @Override
    public void onJobStart(SparkListenerJobStart start) {
      String description = start.properties() == null ? null
          : start.properties().getProperty("spark.job.description");
      if (description != null && description.contains(": epoch ")) {
        for (Object stage : CollectionConverters.asJava(start.stageIds())) {
          stepStages.add((Integer) stage);
        }
      }
    }

    final AtomicInteger succeeded = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      if (end.taskInfo().successful()) {
        if (stepStages.contains(end.stageId())) {
          executors.add(end.taskInfo().executorId());
          succeeded.incrementAndGet();
        }
      } else {
        failed.incrementAndGet();
        failures.add("stage " + end.stageId() + " partition " + end.taskInfo().partitionId()
            + " attempt " + end.taskInfo().attemptNumber() + ": "
            + end.reason().toString().split("\n")[0]);
      }
    }

    List<String> executors() {
      return new ArrayList<>(new TreeSet<>(executors));
    }

    void awaitTasks(int n, long millis) throws InterruptedException {
      long end = System.currentTimeMillis() + millis;
      while (succeeded.get() < n && System.currentTimeMillis() < end) {
        Thread.sleep(50);
      }
    }

    void awaitFailures(int n, long millis) throws InterruptedException {
      long end = System.currentTimeMillis() + millis;
      while (failed.get() < n && System.currentTimeMillis() < end) {
        Thread.sleep(50);
      }
    }
  }
}
