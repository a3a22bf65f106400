package io.sparkint8.kernels.cuda;

/**
 * Grid and block of a launch, checked against the hardware limits every part of sm_75 and newer shares
 * (grid x <= 2^31 - 1, y and z <= 65535; at most 1024 threads per block) and against the device's
 * shared-memory limit when launched. The kernels use 1-D grids and grid-stride loops, so a size is never
 * limited by y/z.
 */
public record LaunchDims(int gridX, int blockX, int blockY, int blockZ, int sharedBytes) {
  /** Largest grid of the element-wise kernels: enough blocks to fill any current GPU many times over. */
  public static final int MAX_EW_BLOCKS = 65536;

  public LaunchDims {
    if (gridX < 1) {
      throw new IllegalArgumentException("launch: grid " + gridX + ", expected 1..2^31-1");
    }
    if (blockX < 1 || blockY < 1 || blockZ < 1 || (long) blockX * blockY * blockZ > 1024
        || blockZ > 64) {
      throw new IllegalArgumentException(
          "launch: block " + blockX + "x" + blockY + "x" + blockZ + ", expected at most 1024 threads");
    }
    if (sharedBytes < 0) {
      throw new IllegalArgumentException("launch: shared memory " + sharedBytes + " bytes");
    }
  }

  /** A 1-D launch of {@code blocks} blocks (a long so that overflow is caught here, not wrapped). */
  public static LaunchDims of(long blocks, int threads, int sharedBytes) {
    if (blocks < 1 || blocks > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("launch: " + blocks + " blocks, expected 1..2^31-1");
    }
    return new LaunchDims((int) blocks, threads, 1, 1, sharedBytes);
  }

  /** An element-wise launch over {@code count} items: one per thread, the grid capped (grid-stride). */
  public static LaunchDims elementwise(long count, int threads) {
    long blocks = Math.max(1, Math.min((count + threads - 1) / threads, MAX_EW_BLOCKS));
    return of(blocks, threads, 0);
  }

  public int threads() {
    return blockX * blockY * blockZ;
  }
}
