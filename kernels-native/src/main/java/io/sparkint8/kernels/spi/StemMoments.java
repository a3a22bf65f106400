package io.sparkint8.kernels.spi;

/**
 * What {@link Int8Backend#bnMaxPoolBackwardMoments} computes for a stem of {@code outChannels} output
 * channels and a window of {@code patch} cells (kh * kw * c), in one array whose layout the native op
 * shares: sumG, sumGh [outChannels each], momentG, momentH [outChannels x patch each], windowSum [patch]. Reused across steps by its owner; each call overwrites all of it.
 */
public final class StemMoments {
  private final int outChannels;
  private final int patch;
  private final double[] values;

  public StemMoments(int outChannels, int patch) {
    if (outChannels < 1 || patch < 1 || patch > Int8Backend.DIRECT_CONV_MAX_PATCH
        || (2L * patch + 2) * outChannels + patch > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("StemMoments: outChannels=" + outChannels + " patch="
          + patch + ", expected >= 1, 1.." + Int8Backend.DIRECT_CONV_MAX_PATCH
          + " and an array of at most 2^31-9 doubles");
    }
    this.outChannels = outChannels;
    this.patch = patch;
    this.values = new double[size(outChannels, patch)];
  }

  /** Doubles in the array of a stem of these dimensions. */
  public static int size(int outChannels, int patch) {
    return 2 * outChannels + 2 * outChannels * patch + patch;
  }

  public int outChannels() {
    return outChannels;
  }

  public int patch() {
    return patch;
  }

  /** The array the kernels write (the layout of the class comment). */
  public double[] values() {
    return values;
  }

  /** sum over rows of the masked error g of channel o: the batch norm's sum_g. */
  public double sumG(int o) {
    return values[o];
  }

  /** sum of g * xhat of channel o: the batch norm's sum_gh. */
  public double sumGh(int o) {
    return values[outChannels + o];
  }

  /** sum of g(r, o) * x(r, col), x the image's window cell col of output pixel r. */
  public double momentG(int o, int col) {
    return values[2 * outChannels + o * patch + col];
  }

  /** sum of xhat(r, o) * x(r, col). */
  public double momentH(int o, int col) {
    return values[2 * outChannels + outChannels * patch + o * patch + col];
  }

  /** sum of x(r, col). */
  public double windowSum(int col) {
    return values[2 * outChannels + 2 * outChannels * patch + col];
  }
}
