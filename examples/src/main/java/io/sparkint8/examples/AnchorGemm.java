package io.sparkint8.examples;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the shared anchor tool (../shared/tools/anchor-gemm: oneDNN and OpenBLAS figures on a GEMM shape)
 * in place, so our kernels are compared with it in the same run. The tool's own {@code run} script is
 * tried first; where it fails (its peak probe needs AVX-512, which not every machine has), the tool's
 * library probe {@code libs.c} is compiled from the tool directory into a temporary folder and run
 * directly, single-threaded.
 */
final class AnchorGemm {
  private static final Pattern FIGURE =
      Pattern.compile("\"anchor\":\"([a-z0-9_]+)\".*?\"(gops|gflops|gops_per_core|gflops_per_core)\":([0-9.]+)");

  private final Path dir;
  private Path libs;
  private String note;

  AnchorGemm(Path dir) {
    this.dir = dir;
  }

  /** How the figures were obtained (null while the tool's run script works). */
  String note() {
    return note;
  }

  /** anchor name -> figure (GOPS or GFLOPS) for one shape, one thread; empty if the tool cannot run. */
  Map<String, Double> measure(int m, int n, int k) {
    return measure(m, n, k, 1);
  }

  /** The same with the libraries' own threads (OpenMP for oneDNN, OpenBLAS's). */
  Map<String, Double> measure(int m, int n, int k, int threads) {
    try {
      if (libs == null) {
        Result r = exec(List.of(dir.resolve("run").toString(), "" + m, "" + n, "" + k, "" + threads),
            threads);
        if (r.exit == 0) {
          return parse(r.out);
        }
        note = "anchor-gemm/run exited " + r.exit + " (" + firstErrorLine(r.out)
            + "); running its libs.c directly";
        Path tmp = Files.createTempDirectory("anchor-");
        libs = tmp.resolve("libs");
        Result cc = exec(List.of("gcc", "-O2", dir.resolve("libs.c").toString(), "-o",
            libs.toString(), "-lopenblas", "-ldnnl"), 1);
        if (cc.exit != 0) {
          note = "anchor unavailable: cannot compile libs.c: " + firstErrorLine(cc.out);
          return Map.of();
        }
      }
      return parse(exec(List.of(libs.toString(), "" + m, "" + n, "" + k, "10"), threads).out);
    } catch (IOException | InterruptedException e) {
      note = "anchor unavailable: " + e;
      return Map.of();
    }
  }

  private static Map<String, Double> parse(String out) {
    Map<String, Double> figures = new HashMap<>();
    for (String line : out.split("\n")) {
      Matcher mt = FIGURE.matcher(line);
      if (mt.find()) {
        figures.put(mt.group(1), Double.parseDouble(mt.group(3)));
      }
    }
    return figures;
  }

  /** The first error line of a failed command (or its last line). */
  private static String firstErrorLine(String out) {
    String[] lines = out.strip().split("\n");
    String last = lines[lines.length - 1];
    for (String l : lines) {
      if (l.contains("error")) {
        last = l.strip();
        break;
      }
    }
    return last.length() > 160 ? last.substring(0, 160) + "..." : last;
  }

  private record Result(int exit, String out) {}

  private static Result exec(List<String> cmd, int threads)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", "" + threads);
    pb.environment().put("OPENBLAS_NUM_THREADS", "" + threads);
    Process p = pb.start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return new Result(124, out);
    }
    return new Result(p.exitValue(), out);
  }
}
