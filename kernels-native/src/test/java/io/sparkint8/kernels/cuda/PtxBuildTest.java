package io.sparkint8.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The PTX the build put into the jar: one file per target, every kernel the Java side launches on that
 * target present with exactly the parameter types the kernel table passes, the tensor-core GEMM only
 * where it can run, and (where ptxas is installed) every file assembles for its architecture with the
 * GEMM kernels' accumulators in registers. Runs whenever build-ptx.sh built PTX; where nvcc was absent it
 * skips with the recorded reason, and a missing file after a successful build fails.
 */
class PtxBuildTest {
  static String status;

  @BeforeAll
  static void buildStatus() throws IOException {
    String file = System.getProperty("int8.cuda.ptxStatus");
    Path p = file == null ? null : Paths.get(file);
    status = p != null && Files.isRegularFile(p) ? Files.readString(p).trim() : null;
    if (status == null || !status.startsWith("built")) {
      String why = status == null ? "build-ptx.sh did not run (profile cuda off, or not a Maven run)"
          : status;
      System.out.println("SKIPPED PTX checks: " + why);
      Assumptions.assumeTrue(false, why);
    }
    System.out.println("PTX " + status);
  }

  private static String ptx(PtxTarget target) {
    String text = PtxSource.classpath().load(target); // throws with the reason when missing
    assertNotNull(text);
    return text;
  }

  @ParameterizedTest
  @EnumSource(PtxTarget.class)
  void everyKernelOfTheTableIsInThePtxWithItsSignature(PtxTarget target) {
    PtxEntries entries = PtxEntries.parse(ptx(target));
    assertTrue(entries.toolkit().contains("Cuda compilation tools"), entries.toolkit());
    for (CudaKernel k : CudaKernel.values()) {
      if (k.availableOn(target)) {
        assertNull(entries.mismatch(k.entry(), k.signature()), target + ": " + k);
      } else {
        assertFalse(entries.entries().containsKey(k.entry()),
            target + " must not contain " + k.entry());
      }
    }
    // and nothing in the PTX that the table does not know (a kernel nobody launches, or a renamed one)
    for (String name : entries.entries().keySet()) {
      boolean known = false;
      for (CudaKernel k : CudaKernel.values()) {
        known |= k.entry().equals(name);
      }
      assertTrue(known, target + ": PTX entry " + name + " is not in CudaKernel");
    }
  }

  @ParameterizedTest
  @EnumSource(PtxTarget.class)
  void ptxDeclaresItsTarget(PtxTarget target) {
    String text = ptx(target);
    assertTrue(text.contains(".target " + target.label()), target + " PTX has another .target");
    if (target != PtxTarget.SM_75) {
      assertTrue(text.contains("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32"),
          "the tensor-core GEMM instruction is missing from " + target);
      assertTrue(text.contains("cp.async.cg.shared.global"), target.label());
      assertTrue(text.contains("ldmatrix.sync.aligned.m8n8.x4.shared.b16"), target.label());
    }
    assertTrue(text.contains("dp4a.s32.s32"), "the DP4A GEMM is missing from " + target);
  }

  /** ptxas (when installed) assembles each PTX for its architecture: invalid inline PTX fails here. */
  @ParameterizedTest
  @EnumSource(PtxTarget.class)
  void ptxAssemblesWithoutSpillsInTheGemms(PtxTarget target) throws Exception {
    Path ptxas = findPtxas();
    Assumptions.assumeTrue(ptxas != null, "ptxas not installed");
    Path dir = Files.createTempDirectory("ptxas");
    try {
      Path in = dir.resolve(target.fileName());
      Files.writeString(in, ptx(target), StandardCharsets.US_ASCII);
      Process p = new ProcessBuilder(ptxas.toString(), "-arch=" + target.label(), "-v",
          in.toString(), "-o", dir.resolve("out.cubin").toString()).redirectErrorStream(true).start();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(300, TimeUnit.SECONDS), "ptxas timed out");
      assertEquals(0, p.exitValue(), "ptxas failed on " + target + ":\n" + log);
      for (String gemm : new String[] {"int8k_gemm_s8_mma", "int8k_gemm_s8_dp4a", "int8k_gemm_f32"}) {
        String props = properties(log, gemm);
        if (props == null) {
          continue; // not on this target
        }
        System.out.println(target + " " + gemm + ": " + props);
        assertTrue(props.contains("0 bytes stack frame") && props.contains("0 bytes spill stores"),
            gemm + " on " + target + " uses local memory: " + props);
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
  }

  /** The "N bytes stack frame, ... Used R registers" lines ptxas -v prints for one entry. */
  private static String properties(String log, String entry) {
    Matcher m = Pattern.compile("Compiling entry function '" + entry + "'[^\\n]*\\n"
        + "(?:[^\\n]*Function properties[^\\n]*\\n)?([^\\n]*\\n[^\\n]*)").matcher(log);
    return m.find() ? m.group(1).replaceAll("ptxas info\\s*:\\s*", "").replace('\n', ' ').trim()
        : null;
  }

  private static Path findPtxas() {
    List<Path> candidates = new ArrayList<>();
    String home = System.getenv("CUDA_HOME");
    if (home != null) {
      candidates.add(Paths.get(home, "bin", "ptxas"));
    }
    candidates.add(Paths.get("/usr/local/cuda/bin/ptxas"));
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(":")) {
        candidates.add(Paths.get(d, "ptxas"));
      }
    }
    for (Path c : candidates) {
      if (Files.isExecutable(c)) {
        return c;
      }
    }
    return null;
  }
}
