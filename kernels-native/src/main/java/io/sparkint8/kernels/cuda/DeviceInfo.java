package io.sparkint8.kernels.cuda;

/**
 * What the backend needs to know of a device: its compute capability (which PTX to load), its memory
 * and the shared-memory limits the GEMM launch is checked against.
 *
 * @param ordinal the device number as the driver counts it (CUDA_VISIBLE_DEVICES applies)
 * @param sharedPerBlock shared memory a block may use without an opt-in attribute (48 KiB on every part
 *     of sm_75 and newer)
 * @param sharedPerBlockOptin the most a block may use after cuFuncSetAttribute opts in
 */
public record DeviceInfo(
    int ordinal,
    String name,
    int major,
    int minor,
    long totalMemory,
    int multiprocessors,
    int sharedPerBlock,
    int sharedPerBlockOptin) {

  /** Compute capability as one number, e.g. 90 for 9.0. */
  public int computeCapability() {
    return major * 10 + minor;
  }

  @Override
  public String toString() {
    return name + " (sm_" + computeCapability() + ", " + (totalMemory >> 20) + " MiB, "
        + multiprocessors + " SMs)";
  }
}
