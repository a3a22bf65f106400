package io.sparkint8.nn;

/**
 * Per-channel batch statistics of one BatchNorm layer in one step, in a form that merges exactly and
 * robustly across partitions (Chan et al.'s parallel variance): row count, per-channel mean and sum of
 * squared deviations from it (M2), and the mean absolute deviation (for the L1 variant). Immutable.
 */
public record BnStats(long count, double[] mean, double[] m2, double[] meanAbsDev) {

  public BnStats {
    if (count < 0 || mean.length != m2.length || mean.length != meanAbsDev.length) {
      throw new IllegalArgumentException("BnStats: inconsistent count or channel arrays");
    }
    mean = mean.clone();
    m2 = m2.clone();
    meanAbsDev = meanAbsDev.clone();
  }

  public int channels() {
    return mean.length;
  }

  /** Population variance of channel c. */
  public double variance(int c) {
    return count == 0 ? 0 : m2[c] / count;
  }

  @Override
  public double[] mean() {
    return mean.clone();
  }

  @Override
  public double[] m2() {
    return m2.clone();
  }

  @Override
  public double[] meanAbsDev() {
    return meanAbsDev.clone();
  }

  /** Count-weighted merge (Chan): exact for mean and M2; mean |x - mean| is count-weighted. */
  public BnStats merge(BnStats o) {
    if (o.channels() != channels()) {
      throw new IllegalArgumentException(
          "BnStats.merge: " + channels() + " vs " + o.channels() + " channels");
    }
    if (o.count == 0) {
      return this;
    }
    if (count == 0) {
      return o;
    }
    long n = count + o.count;
    double[] mu = new double[channels()];
    double[] m = new double[channels()];
    double[] mad = new double[channels()];
    for (int c = 0; c < channels(); c++) {
      double delta = o.mean[c] - mean[c];
      mu[c] = mean[c] + delta * o.count / n;
      m[c] = m2[c] + o.m2[c] + delta * delta * ((double) count * o.count / n);
      mad[c] = (meanAbsDev[c] * count + o.meanAbsDev[c] * o.count) / n;
    }
    return new BnStats(n, mu, m, mad);
  }
}
