package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkint8.kernels.jni.NativeBackend;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 4, acceptance 3 and retry reproducibility, on real Spark masters that the shared local[2]
 * session cannot offer. One child JVM runs {@link DistributedCheckMain}; this test builds its
 * SPARK_HOME, starts it, waits for it and asserts on what it wrote.
 *
 * <p>How the executors of {@code local-cluster[2,1,2048]} start (DESIGN.md §8): the child JVM
 * hosts a standalone master and two workers; each worker launches an executor JVM with the class
 * path {@code $SPARK_HOME/jars/*} (spark-launcher's WorkerCommandBuilder, which also needs
 * {@code SPARK_SCALA_VERSION}). So {@code target/spark-home/jars} gets a link to every jar of this
 * test class path and a jar of each class directory (this module's classes and test classes,
 * arrow-io's and kernels-native's, whose classes hold native/linux-x86_64/libint8k.so, so the
 * executors load the native library from their class path as a user's would from the jar). The
 * child gets {@code SPARK_HOME} and {@code SPARK_SCALA_VERSION=2.13} in its environment, which the
 * workers read and the executors inherit, and the repository's jvm.options (the add-opens Spark
 * needs on Java 17) as {@code spark.executor.extraJavaOptions}.
 */
class DistributedTrainingTest {
  private static final long TIMEOUT_SECONDS = 300;

  private static Properties results;
  private static Path out;
  private static String backend;

  @BeforeAll
  static void runChild() throws Exception {
    Path target = moduleTarget();
    Path home = target.resolve("spark-home");
    out = target.resolve("distributed-check");
    deleteRecursively(home);
    deleteRecursively(out);
    Files.createDirectories(out);
    buildSparkHome(home);

    // The native backend is required when this JVM can load the library (the build compiled
    // it); without it (no gcc) the distribution is still tested, on the Java backend.
    String reason = NativeBackend.unavailableReason();
    backend = reason == null ? "native" : "java";
    if (reason != null) {
      System.out.println("DistributedTrainingTest: the native library does not load in the test "
          + "JVM (" + reason + "), so the executors train with backend=java");
    }
    List<String> jvmOptions = jvmOptions();
    Path log4j = out.resolve("log4j2.properties");
    Files.writeString(log4j, String.join("\n",
        "rootLogger.level = warn",
        "rootLogger.appenderRef.stderr.ref = console",
        "appender.console.type = Console",
        "appender.console.name = console",
        "appender.console.target = SYSTEM_ERR",
        "appender.console.layout.type = PatternLayout",
        "appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex",
        "logger.int8.name = io.sparkint8",
        "logger.int8.level = info",
        ""));
    // A short-lived JVM spends most of its time starting: C1 alone compiles far less.
    jvmOptions.add("-XX:TieredStopAtLevel=1");
    List<String> executorOptions = new ArrayList<>(jvmOptions);
    executorOptions.add("-Dlog4j2.configurationFile=" + log4j.toUri());

    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-Xmx1g");
    cmd.add("-Dlog4j2.configurationFile=" + log4j.toUri());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(DistributedCheckMain.class.getName());
    cmd.add(out.toString());
    cmd.add(backend);
    cmd.add(String.join(" ", executorOptions));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.put("SPARK_HOME", home.toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.remove("SPARK_CONF_DIR");
    env.remove("SPARK_TESTING");
    pb.redirectErrorStream(true);
    Path childLog = out.resolve("child.log");
    pb.redirectOutput(childLog.toFile());
    long t0 = System.nanoTime();
    Process child = pb.start();
    boolean finished;
    try {
      finished = child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } finally {
      if (child.isAlive()) {
        // the executor JVMs are the child's descendants; end them first, then the child
        child.descendants().forEach(ProcessHandle::destroyForcibly);
        child.destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
      }
    }
    System.out.printf("DistributedTrainingTest: child JVM ran %.1f s, exit %s, log %s%n",
        (System.nanoTime() - t0) * 1e-9, finished ? child.exitValue() : "timeout", childLog);
    Path file = out.resolve("results.properties");
    if (!finished || !Files.exists(file)) {
      fail("the child JVM " + (finished ? "exited with " + child.exitValue() + " without results"
          : "did not finish in " + TIMEOUT_SECONDS + " s") + "\n" + diagnostics(home, childLog));
    }
    results = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      results.load(in);
    }
    if (results.getProperty("error") != null || child.exitValue() != 0) {
      fail("the child JVM failed (exit " + child.exitValue() + "): " + results.getProperty("error")
          + "\n" + diagnostics(home, childLog));
    }
    assertEquals("true", results.getProperty("done"));
  }

  @Test
  void trainsOnTwoExecutorJvmsOfALocalCluster() {
    long driver = Long.parseLong(results.getProperty("driverPid"));
    // executorId|pid|native-loaded:<file> or native-not-loaded:<reason>, one line per executor
    Map<String, Long> pidOf = new HashMap<>();
    Map<String, String> nativeOf = new HashMap<>();
    for (String line : results.getProperty("cluster.executorJvms").split("\n")) {
      String[] f = line.split("\\|", 3);
      pidOf.put(f[0], Long.parseLong(f[1]));
      nativeOf.put(f[0], f[2]);
    }
    String[] trained = results.getProperty("cluster.trainingExecutors").split(",");
    assertTrue(trained.length >= 2, "training tasks ran on executors " + String.join(",", trained)
        + ", expected 2");
    Set<Long> pids = new HashSet<>();
    for (String id : trained) {
      assertNotEquals("driver", id);
      Long pid = pidOf.get(id);
      assertNotNull(pid, "executor " + id + " ran training tasks but no probe task; seen "
          + pidOf);
      assertNotEquals(driver, pid.longValue(), "executor " + id + " runs in the driver JVM");
      pids.add(pid);
      if (backend.equals("native")) {
        assertTrue(nativeOf.get(id).startsWith("native-loaded:"),
            "executor " + id + ": " + nativeOf.get(id));
      }
    }
    assertEquals(trained.length, pids.size(), "executor pids " + pidOf);
    assertEquals(2, Integer.parseInt(results.getProperty("cluster.epochs")));
    assertEquals(0, Integer.parseInt(results.getProperty("cluster.failedTasks")));
    double accuracy = Double.parseDouble(results.getProperty("cluster.accuracy"));
    System.out.println("DistributedTrainingTest: local-cluster test accuracy " + accuracy
        + " (chance " + 1.0 / DistributedCheckMain.CLASSES + "), executors " + pidOf + ", "
        + nativeOf);
    assertEquals(DistributedCheckMain.TEST_ROWS,
        Integer.parseInt(results.getProperty("cluster.predictions")));
    // about 0.8 after these 8 steps; chance is 0.25
    assertTrue(accuracy > 0.5, "accuracy " + accuracy + " on 4 classes");
  }

  @Test
  void aRetriedTaskGivesTheSameModelBitForBit() throws IOException {
    int failed = Integer.parseInt(results.getProperty("retry.failedTasks"));
    String messages = results.getProperty("retry.failureMessages");
    assertTrue(failed >= 1, "no task failed; the test hook did not fire");
    assertTrue(messages.contains("injected failure of partition 0 at step "
        + DistributedCheckMain.FAIL_AT_STEP), messages);
    assertEquals(0, Integer.parseInt(results.getProperty("plain.failedTasks")));
    byte[] plain = Files.readAllBytes(out.resolve("plain.si8m"));
    byte[] retried = Files.readAllBytes(out.resolve("retry.si8m"));
    assertTrue(plain.length > 100);
    assertArrayEquals(plain, retried, "the model after a retried task differs");
  }

  @Test
  void anExecutorKilledMidFitGivesTheSameModelBitForBit() throws IOException {
    // Issue 15, acceptance 2: SIGKILL of one executor JVM during epoch 2 of the fit
    long pid = Long.parseLong(results.getProperty("kill.pid"));
    String executor = results.getProperty("kill.executorId");
    assertTrue(pid > 0, "no executor was killed");
    assertEquals("false", results.getProperty("kill.pidAliveAfter"), "executor pid " + pid);
    String removed = results.getProperty("kill.executorsRemoved");
    assertTrue(removed.lines().anyMatch(l -> l.startsWith(executor + ": ")),
        "Spark did not remove the killed executor " + executor + "; removed: " + removed);
    System.out.println("DistributedTrainingTest: killed executor " + executor + " (pid " + pid
        + "); removed: " + removed + "; failed tasks: " + results.getProperty("kill.failedTasks")
        + " " + results.getProperty("kill.failureMessages"));
    assertEquals(2, Integer.parseInt(results.getProperty("kill.epochs")));
    byte[] whole = Files.readAllBytes(out.resolve("cluster.si8m"));
    byte[] killed = Files.readAllBytes(out.resolve("kill.si8m"));
    assertTrue(whole.length > 100);
    assertArrayEquals(whole, killed, "the model of the fit that lost an executor differs");
  }

  @Test
  void theClusterTrainsTheSameModelAsOneJvm() throws IOException {
    // Same seed, data, partitions and backend: two executor JVMs and local[2,2] agree bit for bit.
    byte[] cluster = Files.readAllBytes(out.resolve("cluster.si8m"));
    byte[] local = Files.readAllBytes(out.resolve("plain.si8m"));
    assertArrayEquals(local, cluster, "the local-cluster model differs from the local one");
  }

  // ---- the child's environment ----

  /** spark-int8/target, found from this class's location (target/test-classes). */
  static Path moduleTarget() throws Exception {
    Path testClasses = Path.of(DistributedTrainingTest.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    return testClasses.getParent();
  }

  /** SPARK_HOME/jars: links to the class path's jars, class directories packed as jars. */
  private static void buildSparkHome(Path home) throws IOException {
    Path jars = Files.createDirectories(home.resolve("jars"));
    Set<String> names = new HashSet<>();
    int dirs = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      Path p = Path.of(entry).toAbsolutePath();
      if (Files.isDirectory(p)) {
        // e.g. kernels-native/target/classes -> kernels-native-classes.jar
        Path module = p.getParent().getParent();
        String name = (module == null ? "dir" : module.getFileName()) + "-" + p.getFileName()
            + ".jar";
        jarDirectory(p, jars.resolve(unique(names, name)));
        dirs++;
      } else if (Files.isRegularFile(p) && entry.endsWith(".jar")) {
        Files.createSymbolicLink(jars.resolve(unique(names, p.getFileName().toString())), p);
      }
    }
    if (dirs == 0) {
      System.out.println("DistributedTrainingTest: no class directories on the class path; the "
          + "project's jars are linked as they are");
    }
  }

  private static String unique(Set<String> names, String name) {
    String n = name;
    for (int i = 2; !names.add(n); i++) {
      n = i + "-" + name;
    }
    return n;
  }

  private static void jarDirectory(Path dir, Path jar) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
    try (OutputStream os = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(os, manifest);
        Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        String name = dir.relativize(f).toString().replace(File.separatorChar, '/');
        if (name.isEmpty() || name.equals("META-INF/MANIFEST.MF")) {
          continue;
        }
        if (Files.isDirectory(f)) {
          out.putNextEntry(new JarEntry(name + "/"));
        } else {
          out.putNextEntry(new JarEntry(name));
          Files.copy(f, out);
        }
        out.closeEntry();
      }
    }
  }

  /** The repository's jvm.options (the add-opens Spark needs), one option per line. */
  static List<String> jvmOptions() throws Exception {
    for (Path d = moduleTarget(); d != null; d = d.getParent()) {
      Path f = d.resolve("jvm.options");
      if (Files.isRegularFile(f)) {
        List<String> opts = new ArrayList<>();
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          String t = line.trim();
          if (!t.isEmpty() && !t.startsWith("#")) {
            opts.add(t);
          }
        }
        return opts;
      }
    }
    throw new IllegalStateException("jvm.options not found above " + moduleTarget());
  }

  /** The child's log and the executors' stderr (under $SPARK_HOME/work), tails only. */
  private static String diagnostics(Path home, Path childLog) {
    StringBuilder b = new StringBuilder("---- child log (tail) ----\n").append(tail(childLog));
    Path work = home.resolve("work");
    if (Files.isDirectory(work)) {
      try (Stream<Path> s = Files.walk(work)) {
        s.filter(p -> p.getFileName().toString().equals("stderr")).forEach(p ->
            b.append("---- ").append(home.relativize(p)).append(" (tail) ----\n")
                .append(tail(p)));
      } catch (IOException e) {
        b.append(e);
      }
    }
    return b.toString();
  }

  private static String tail(Path f) {
    try {
      String s = Files.exists(f) ? Files.readString(f, StandardCharsets.ISO_8859_1) : "(none)";
      return (s.length() > 6000 ? s.substring(s.length() - 6000) : s) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(f);
      }
    }
  }
}
