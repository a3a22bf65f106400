package io.sparkint8.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * PTX for tests on the fake driver: the PTX the build put on the class path when nvcc was there (so the
 * launches are checked against what nvcc emitted), else a stand-in written from the kernel table (so
 * the Java side is still exercised; PtxBuildTest is the test that insists on the real PTX).
 */
public final class TestPtx implements PtxSource {
  private TestPtx() {}

  public static final TestPtx INSTANCE = new TestPtx();

  /** Whether the build's PTX is on the class path. */
  public static boolean built() {
    return PtxSource.class.getResource("/cuda/" + PtxTarget.SM_90.fileName()) != null;
  }

  @Override
  public String load(PtxTarget target) {
    try (InputStream in = PtxSource.class.getResourceAsStream("/cuda/" + target.fileName())) {
      if (in != null) {
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return synthetic(target);
  }

  @Override
  public String describe() {
    return built() ? "the build's PTX" : "stand-in PTX from the kernel table";
  }

  /** PTX-shaped text declaring every kernel of the target with the table's parameter types. */
  public static String synthetic(PtxTarget target) {
    StringBuilder s = new StringBuilder("// stand-in\n.version 9.0\n.target " + target.label() + "\n");
    for (CudaKernel k : CudaKernel.on(target)) {
      s.append(".visible .entry ").append(k.entry()).append("(\n");
      String sig = k.signature();
      for (int i = 0; i < sig.length(); i++) {
        String type = switch (sig.charAt(i)) {
          case 'i' -> "u32";
          case 'f' -> "f32";
          case 'd' -> "f64";
          default -> "u64";
        };
        s.append("\t.param .").append(type).append(' ').append(k.entry()).append("_param_").append(i)
            .append(i + 1 < sig.length() ? ",\n" : "\n");
      }
      s.append(")\n{\n\tret;\n}\n");
    }
    return s.toString();
  }
}
