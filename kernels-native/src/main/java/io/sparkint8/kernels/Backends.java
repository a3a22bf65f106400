package io.sparkint8.kernels;

import io.sparkint8.kernels.cuda.CudaBackend;
import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.Int8Backend;
import java.lang.System.Logger.Level;
import java.util.Locale;

/**
 * Chooses the backend from the system property {@value #PROPERTY} ({@code auto}, {@code java}, {@code
 * native}, {@code cuda} or {@code cuda:N}; default {@code auto}). An explicitly requested backend that
 * cannot run is an error that says why; {@code auto} takes the native backend when it loads and logs once
 * what it chose. {@code auto} never picks the GPU: a GPU is asked for by name, so that a job's placement
 * and cost never change silently with the machine it lands on.
 */
public final class Backends {
  /** System property selecting the backend. */
  public static final String PROPERTY = "int8.backend";

  private static final System.Logger LOG = System.getLogger(Backends.class.getName());
  private static volatile Int8Backend auto;

  private Backends() {}

  /** The backend the system property asks for (single-threaded). */
  public static Int8Backend get() {
    return byName(System.getProperty(PROPERTY, "auto"));
  }

  /**
   * The backend named {@code auto}, {@code java}, {@code native}, {@code cuda} (the GPU of {@value
   * CudaBackend#DEVICE_PROPERTY}, default 0) or {@code cuda:N} (GPU N).
   */
  public static Int8Backend byName(String name) {
    String n = name == null ? "auto" : name.trim().toLowerCase(Locale.ROOT);
    switch (n) {
      case "java":
        return new JavaBackend();
      case "native":
        return NativeBackend.create();
      case "auto":
        return autoBackend();
      case "cuda":
        return CudaBackend.create(CudaBackend.defaultDevice());
      default:
        if (n.startsWith("cuda:")) {
          return CudaBackend.create(cudaOrdinal(name, n.substring(5)));
        }
        throw new IllegalArgumentException(
            PROPERTY + "=" + name + ": expected one of auto, java, native, cuda, cuda:N");
    }
  }

  private static int cudaOrdinal(String name, String digits) {
    try {
      int ordinal = Integer.parseInt(digits);
      if (ordinal >= 0) {
        return ordinal;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        PROPERTY + "=" + name + ": expected cuda:N with a GPU ordinal N >= 0");
  }

  private static Int8Backend autoBackend() {
    Int8Backend b = auto;
    if (b == null) {
      synchronized (Backends.class) {
        if (auto == null) {
          String reason = NativeBackend.unavailableReason();
          if (reason == null) {
            auto = NativeBackend.create();
            LOG.log(
                Level.INFO,
                "int8 kernels: native backend, ISA " + auto.isa() + " (CPU supports "
                    + NativeBackend.cpuIsa() + ")");
          } else {
            auto = new JavaBackend();
            LOG.log(Level.INFO, "int8 kernels: java reference backend, because " + reason);
          }
        }
        b = auto;
      }
    }
    return b;
  }
}
