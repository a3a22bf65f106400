package io.sparkint8.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The training-speed peer (PyTorch on the same CPU, {@code ../shared/tools/peer-torch}) run in the
 * same sitting as our measurement: its JSON lines are passed through as printed, and ratio lines set
 * our images/s against its best mode and its best fp32 mode. The peer trains cnn-small only.
 */
final class PeerTrain {
  private static final Pattern MODE = Pattern.compile("\"mode\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern IMAGES = Pattern.compile("\"images_per_s\"\\s*:\\s*([0-9.eE+-]+)");

  /** One mode of the peer and its images/s. */
  record Mode(String name, double imagesPerS) {
    boolean fp32() {
      return name.startsWith("fp32");
    }
  }

  private PeerTrain() {}

  /**
   * Runs {@code peerDir/run --threads T --batch B}, prints its output lines and returns the modes it
   * measured; an empty list (and a note on stderr) when the peer is missing or fails.
   */
  static List<Mode> run(Path peerDir, int threads, int batch) {
    Path script = peerDir.resolve("run");
    List<Mode> modes = new ArrayList<>();
    if (!Files.isExecutable(script)) {
      System.err.println("bench-train: no peer at " + script + "; peer lines skipped");
      return modes;
    }
    ProcessBuilder pb = new ProcessBuilder(script.toString(), "--threads",
        Integer.toString(threads), "--batch", Integer.toString(batch))
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    try {
      Process p = pb.start();
      try (BufferedReader out = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          System.out.println(line);
          Mode m = parse(line);
          if (m != null) {
            modes.add(m);
          }
        }
      }
      int rc = p.waitFor();
      if (rc != 0) {
        System.err.println("bench-train: the peer exited with status " + rc);
      }
    } catch (IOException e) {
      System.err.println("bench-train: the peer did not run: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return modes;
  }

  /** The mode of a {@code peer_train} line, or null for any other line. */
  static Mode parse(String line) {
    if (!line.contains("\"peer_train\"")) {
      return null;
    }
    Matcher mode = MODE.matcher(line);
    Matcher images = IMAGES.matcher(line);
    if (!mode.find() || !images.find()) {
      return null;
    }
    return new Mode(mode.group(1), Double.parseDouble(images.group(1)));
  }

  /**
   * Ratio lines: our int8 against the peer's best mode, our fp32 against its best fp32 mode, and our
   * int8 against each of its modes.
   */
  static void printRatios(String model, double oursInt8, double oursFp32, List<Mode> modes) {
    Mode best = null;
    Mode bestFp32 = null;
    for (Mode m : modes) {
      if (best == null || m.imagesPerS() > best.imagesPerS()) {
        best = m;
      }
      if (m.fp32() && (bestFp32 == null || m.imagesPerS() > bestFp32.imagesPerS())) {
        bestFp32 = m;
      }
      ratio("int8_vs_peer_" + m.name(), model, m, oursInt8);
    }
    if (best != null) {
      ratio("int8_vs_peer_best", model, best, oursInt8);
    }
    if (bestFp32 != null) {
      ratio("fp32_vs_peer_best_fp32", model, bestFp32, oursFp32);
    }
  }

  private static void ratio(String what, String model, Mode peer, double ours) {
    new JsonLine("ratio").put("what", what).put("model", model).put("peer_mode", peer.name())
        .put("ratio", ours / peer.imagesPerS()).print();
  }
}
