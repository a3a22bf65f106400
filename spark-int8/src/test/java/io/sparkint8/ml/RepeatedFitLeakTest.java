package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, acceptance 5 (leaks): repeated fits in one JVM, a CrossValidator of 3 folds x 2 step
 * sizes run twice ({@link LeakCheckMain}, in a child JVM whose heap is fixed and pre-touched, so
 * that VmRSS grows only with memory outside the heap). After each run no off-heap allocator of the
 * fits is left open once the executors' idle networks are released, and resident memory after the
 * second run is at most 1.1x that after the first.
 */
class RepeatedFitLeakTest {
  private static final long TIMEOUT_SECONDS = 400;

  @Test
  void aRepeatedCrossValidationLeavesNoOffHeapBufferAndNoResidentGrowth() throws Exception {
    Path out = DistributedTrainingTest.moduleTarget().resolve("leak-check");
    Files.createDirectories(out);
    Files.deleteIfExists(out.resolve("results.properties"));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(DistributedTrainingTest.jvmOptions());
    cmd.add("-Xms512m");
    cmd.add("-Xmx512m");
    cmd.add("-XX:+AlwaysPreTouch");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(LeakCheckMain.class.getName());
    cmd.add(out.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(out.resolve("child.log").toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process child = pb.start();
    if (!child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      fail("the leak check did not finish in " + TIMEOUT_SECONDS + " s; " + log(out));
    }
    Path file = out.resolve("results.properties");
    assertTrue(Files.exists(file), "no results (exit " + child.exitValue() + "); " + log(out));
    Properties r = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      r.load(in);
    }
    assertEquals(null, r.getProperty("error"), "the child failed; " + log(out));
    assertEquals(0, child.exitValue());
    System.out.println("RepeatedFitLeakTest: " + r);
    for (int run = 1; run <= 2; run++) {
      String p = "run" + run + ".";
      // the check sees real allocators: the executors' pooled networks are open until released
      assertTrue(!r.getProperty(p + "openBeforeRelease").isEmpty()
          && Integer.parseInt(r.getProperty(p + "networksReleased")) > 0,
          "run " + run + ": no pooled network was open before the release");
      assertEquals("", r.getProperty(p + "openAfterRelease"),
          "run " + run + ": off-heap allocators left open by the fits");
    }
    long rss1 = Long.parseLong(r.getProperty("run1.vmRssKb"));
    long rss2 = Long.parseLong(r.getProperty("run2.vmRssKb"));
    assertTrue(rss2 <= 1.1 * rss1, "VmRSS after the second run " + rss2 + " kB > 1.1 x "
        + rss1 + " kB after the first");
  }

  private static String log(Path out) {
    try {
      String s = Files.readString(out.resolve("child.log"), StandardCharsets.ISO_8859_1);
      return "child log (tail):\n" + (s.length() > 6000 ? s.substring(s.length() - 6000) : s);
    } catch (java.io.IOException e) {
      return "no child log: " + e;
    }
  }
}
