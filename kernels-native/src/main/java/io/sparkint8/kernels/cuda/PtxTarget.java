package io.sparkint8.kernels.cuda;

import java.util.Locale;

/**
 * The PTX builds the jar carries (nvcc -ptx -arch=compute_XX, see src/main/cuda/build-ptx.sh) and which
 * one a device runs: the newest target not newer than its compute capability. PTX is forward compatible
 * (the driver JIT-compiles it for the actual part), so an sm_89 part runs the sm_80 build and any part
 * newer than sm_90 the sm_90 build.
 */
public enum PtxTarget {
  /** Turing: the DP4A GEMM (no m16n8k32 int8 tensor-core instruction before sm_80). */
  SM_75(75, "dp4a"),
  /** Ampere and Ada: int8 GEMM on tensor cores with mma.sync m16n8k32. */
  SM_80(80, "mma"),
  /** Hopper and newer: the same mma.sync kernel (a wgmma kernel for sm_90a is future work). */
  SM_90(90, "mma");

  /** System property forcing an older target than the device's, e.g. sm_75 to run the DP4A path. */
  public static final String PROPERTY = "int8.cuda.target";

  private final int capability;
  private final String gemm;

  PtxTarget(int capability, String gemm) {
    this.capability = capability;
    this.gemm = gemm;
  }

  /** e.g. "sm_90" */
  public String label() {
    return "sm_" + capability;
  }

  public int capability() {
    return capability;
  }

  /** The int8 GEMM path of this target: "mma" or "dp4a". */
  public String gemmPath() {
    return gemm;
  }

  /** The backend's isa() string, e.g. "sm_90-mma". */
  public String isa() {
    return label() + "-" + gemm;
  }

  /** The PTX file name, e.g. "int8k_sm_90.ptx" (under /cuda/ in the jar). */
  public String fileName() {
    return "int8k_" + label() + ".ptx";
  }

  /** The newest target a device of compute capability {@code cc} (e.g. 86) can run. */
  public static PtxTarget forCapability(int cc) {
    PtxTarget best = null;
    for (PtxTarget t : values()) {
      if (t.capability <= cc) {
        best = t;
      }
    }
    if (best == null) {
      throw new CudaUnavailableException(
          "the GPU is sm_" + cc + "; the CUDA backend needs sm_75 or newer (DP4A and the CUDA 13 "
              + "toolchain)");
    }
    return best;
  }

  /**
   * The target for a device, honouring {@value #PROPERTY} (a label such as "sm_75") when given: it may
   * only select a target the device can run.
   */
  public static PtxTarget select(int cc, String forced) {
    PtxTarget auto = forCapability(cc);
    if (forced == null || forced.isBlank()) {
      return auto;
    }
    String f = forced.trim().toLowerCase(Locale.ROOT);
    for (PtxTarget t : values()) {
      if (t.label().equals(f)) {
        if (t.capability > cc) {
          throw new CudaUnavailableException(
              PROPERTY + "=" + forced + " is newer than the GPU (sm_" + cc + ")");
        }
        return t;
      }
    }
    throw new IllegalArgumentException(
        PROPERTY + "=" + forced + ": expected one of sm_75, sm_80, sm_90");
  }
}
