package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkint8.train.CheckpointStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driver killed with SIGKILL after its first checkpoint, and started again with the same
 * checkpointDir, ends with the model of an uninterrupted run, bit for bit. The fits run in child
 * JVMs ({@link CheckpointFitMain}); the first one is killed ({@code Process.destroyForcibly}) as
 * soon as the checkpoint of epoch 1 is complete, while it trains epoch 2 (it holds after epoch 2,
 * so it cannot finish first); the uninterrupted reference is the same fit in this JVM.
 */
class CheckpointKillTest {
  private static final long TIMEOUT_SECONDS = 600;

  @TempDir Path tmp;

  @Test
  void aKilledDriverResumesToTheUninterruptedModel() throws Exception {
    Path dir = tmp.resolve("checkpoints");
    Path firstOut = tmp.resolve("first.txt");
    Process first = start(dir, firstOut, 2, tmp.resolve("first.log"));
    Path manifest = dir.resolve("epoch-000001").resolve(CheckpointStore.MANIFEST);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    try {
      while (!Files.exists(manifest)) {
        if (!first.isAlive()) {
          fail("the first child exited (" + first.exitValue() + ") before its first checkpoint:\n"
              + tail(tmp.resolve("first.log")));
        }
        if (System.nanoTime() > end) {
          fail("no checkpoint of epoch 1 within " + TIMEOUT_SECONDS + " s:\n"
              + tail(tmp.resolve("first.log")));
        }
        Thread.sleep(20);
      }
      assertTrue(first.isAlive(), "the first child must still be training when it is killed");
    } finally {
      first.destroyForcibly();
      first.waitFor(60, TimeUnit.SECONDS);
    }
    assertEquals(137, first.exitValue(), "killed by SIGKILL");
    assertFalse(Files.exists(firstOut), "the killed child finished its fit");
    List<Integer> left;
    try (CheckpointStore s = new CheckpointStore(dir.toString(), new Configuration())) {
      left = s.completeEpochs();
    }
    assertTrue(left.equals(List.of(1)) || left.equals(List.of(1, 2)),
        "complete checkpoints after the kill: " + left);

    Path againOut = tmp.resolve("again.txt");
    Process again = start(dir, againOut, 0, tmp.resolve("again.log"));
    if (!again.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      again.destroyForcibly();
      fail("the resumed child did not finish in " + TIMEOUT_SECONDS + " s:\n"
          + tail(tmp.resolve("again.log")));
    }
    assertEquals(0, again.exitValue(), tail(tmp.resolve("again.log")));
    String[] result = Files.readString(againOut).trim().split(" ");
    int resumedEpochs = Integer.parseInt(result[1]);
    assertEquals(left.get(left.size() - 1), resumedEpochs,
        "the second run resumes from the newest checkpoint the kill left");

    String uninterrupted = CheckpointResumeTest.uninterruptedDigest();
    System.out.println("CheckpointKillTest: killed after checkpoints " + left + ", resumed "
        + resumedEpochs + " epochs; digest " + result[0] + ", uninterrupted " + uninterrupted);
    assertEquals(uninterrupted, result[0], "the resumed model differs from the uninterrupted one");
  }

  private static Process start(Path dir, Path out, int holdAfter, Path log) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("@" + jvmOptions());
    // a short-lived JVM spends most of its time starting: C1 alone compiles far less
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Xmx1g");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(CheckpointFitMain.class.getName());
    cmd.add(dir.toString());
    cmd.add(out.toString());
    cmd.add(Integer.toString(holdAfter));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    return pb.start();
  }

  /** The repository's jvm.options (the add-opens Spark needs), found above this module. */
  private static Path jvmOptions() throws Exception {
    Path classes = Path.of(CheckpointKillTest.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    for (Path d = classes; d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("jvm.options"))) {
        return d.resolve("jvm.options");
      }
    }
    throw new IllegalStateException("jvm.options not found above " + classes);
  }

  private static String tail(Path log) {
    try {
      String s = Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
      return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    } catch (IOException e) {
      return e.toString();
    }
  }
}
