package io.sparkint8.train;

import io.sparkint8.nn.BnStats;
import java.io.Serializable;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The floating-point statistics of one or more partitions' step: the loss sum, the rectification
 * loss and every BatchNorm layer's batch statistics. Floating-point addition and Chan's merge are
 * not associative bit for bit, and Spark's treeAggregate merges in task completion order, so these
 * are merged as exact fixed-point sums ({@link FixedSums}): per BN channel Σx, Σx² and Σ|x - μ_p|
 * (μ_p the partition's own mean, the L1 variant's statistic), plus the row count per layer as a
 * long. The size of a merged value does not depend on how many partitions it holds.
 *
 * <p>A partition's own statistics (a leaf) are kept as it computed them (count, mean, M2, mean
 * absolute deviation), so a fit of one partition uses them unchanged; they enter the fixed-point
 * form at their first merge: Σx = n·mean, Σx² = M2 + n·mean², Σ|x - μ_p| = n·mad, each rounded once
 * to 2^-64. The merged statistics come back exactly: mean = Σx / n, M2 = (n·Σx² - (Σx)²) / n in
 * integer arithmetic (no cancellation in the merge), rounded once to double. The only error is the
 * leaf's double Σx², relative 2^-52 of Σx²: relative to M2 that is 2^-52 (1 + mean²/variance).
 *
 * <p>Holds primitive arrays so that Java serialization (Spark's closure path for a zero value)
 * works too. Immutable.
 */
final class StepStats implements Serializable {
  private static final long serialVersionUID = 1L;

  // BN layout, the same in every partition: channels per layer; the row count per layer
  private final int[] channels;
  private final long[] bnCount;
  // a leaf (one partition): its values as computed; per layer per channel mean, M2, mad
  private final double lossSum;
  private final double rectificationLoss;
  private final double[][] mean;
  private final double[][] m2;
  private final double[][] mad;
  // merged (two or more partitions): [loss, rectification loss, then per layer per channel
  // (Σx, Σx², Σ|x - μ_p|)] as exact sums; null for a leaf
  private final FixedSums sums;

  private StepStats(int[] channels, long[] bnCount, double lossSum, double rectificationLoss,
      double[][] mean, double[][] m2, double[][] mad, FixedSums sums) {
    this.channels = channels;
    this.bnCount = bnCount;
    this.lossSum = lossSum;
    this.rectificationLoss = rectificationLoss;
    this.mean = mean;
    this.m2 = m2;
    this.mad = mad;
    this.sums = sums;
  }

  /** One partition's statistics; {@code partition} names it in errors. */
  static StepStats leaf(int partition, double lossSum, double rectificationLoss,
      List<BnStats> bn) {
    int layers = bn.size();
    int[] channels = new int[layers];
    long[] count = new long[layers];
    double[][] mean = new double[layers][];
    double[][] m2 = new double[layers][];
    double[][] mad = new double[layers][];
    for (int l = 0; l < layers; l++) {
      BnStats s = bn.get(l);
      channels[l] = s.channels();
      count[l] = s.count();
      mean[l] = s.mean();
      m2[l] = s.m2();
      mad[l] = s.meanAbsDev();
      checkFinite(partition, l, "mean", mean[l]);
      checkFinite(partition, l, "M2", m2[l]);
      checkFinite(partition, l, "meanAbsDev", mad[l]);
    }
    return new StepStats(channels, count, lossSum, rectificationLoss, mean, m2, mad, null);
  }

  /** A leaf read back by the serializer. */
  static StepStats leaf(long[] bnCount, double lossSum, double rectificationLoss,
      double[][] mean, double[][] m2, double[][] mad) {
    int[] channels = new int[mean.length];
    for (int l = 0; l < channels.length; l++) {
      channels[l] = mean[l].length;
    }
    return new StepStats(channels, bnCount, lossSum, rectificationLoss, mean, m2, mad, null);
  }

  /** Merged statistics read back by the serializer. */
  static StepStats merged(int[] channels, long[] bnCount, FixedSums sums) {
    if (sums.length() != 2 + 3 * totalChannels(channels)) {
      throw new IllegalArgumentException("StepStats: " + sums.length() + " sums for BN channels "
          + Arrays.toString(channels));
    }
    return new StepStats(channels, bnCount, 0, 0, null, null, null, sums);
  }

  boolean isLeaf() {
    return sums == null;
  }

  int bnLayers() {
    return channels.length;
  }

  int channels(int layer) {
    return channels[layer];
  }

  long bnCount(int layer) {
    return bnCount[layer];
  }

  /** Exact: the leaf's value, or the merged sum rounded once. */
  double lossSum() {
    return isLeaf() ? lossSum : sums.get(0);
  }

  double rectificationLoss() {
    return isLeaf() ? rectificationLoss : sums.get(1);
  }

  // Raw access for the serializer.
  double[] mean(int layer) {
    return mean[layer];
  }

  double[] m2(int layer) {
    return m2[layer];
  }

  double[] mad(int layer) {
    return mad[layer];
  }

  FixedSums sums() {
    return sums;
  }

  /**
   * Both must describe the same BN layers, or their statistics cannot be merged; {@code mine} and
   * {@code theirs} name the partitions held, for the message.
   */
  void checkSameLayout(StepStats o, int[] mine, int[] theirs) {
    if (o.channels.length != channels.length) {
      throw new IllegalArgumentException("GradientAccumulator: " + channels.length
          + " BN layers in " + describe(mine) + ", " + o.channels.length + " in "
          + describe(theirs));
    }
    for (int l = 0; l < channels.length; l++) {
      if (o.channels[l] != channels[l]) {
        throw new IllegalArgumentException("GradientAccumulator: BN layer " + l + " has "
            + channels[l] + " channels in " + describe(mine) + " but " + o.channels[l] + " in "
            + describe(theirs));
      }
    }
  }

  private static String describe(int[] partitions) {
    return partitions.length == 1 ? "partition " + partitions[0]
        : "partitions " + Arrays.toString(partitions);
  }

  /** The statistics of both: exact, commutative and associative. */
  StepStats plus(StepStats o) {
    long[] count = new long[bnCount.length];
    for (int l = 0; l < count.length; l++) {
      count[l] = Math.addExact(bnCount[l], o.bnCount[l]);
    }
    return new StepStats(channels, count, 0, 0, null, null, null,
        exactSums().plus(o.exactSums()));
  }

  private FixedSums exactSums() {
    if (!isLeaf()) {
      return sums;
    }
    double[] v = new double[2 + 3 * totalChannels(channels)];
    v[0] = lossSum;
    v[1] = rectificationLoss;
    int at = 2;
    for (int l = 0; l < channels.length; l++) {
      double n = bnCount[l];
      for (int c = 0; c < channels[l]; c++) {
        v[at++] = n * mean[l][c];
        v[at++] = Math.fma(n * mean[l][c], mean[l][c], m2[l][c]);
        v[at++] = n * mad[l][c];
      }
    }
    return FixedSums.of("loss and BN statistics", v);
  }

  /** The batch statistics of BN layer {@code layer} over every partition held. */
  BnStats bn(int layer) {
    if (isLeaf()) {
      return new BnStats(bnCount[layer], mean[layer], m2[layer], mad[layer]);
    }
    int c = channels[layer];
    long n = bnCount[layer];
    double[] mu = new double[c];
    double[] m = new double[c];
    double[] d = new double[c];
    if (n == 0) {
      return new BnStats(0, mu, m, d);
    }
    int at = 2;
    for (int l = 0; l < layer; l++) {
      at += 3 * channels[l];
    }
    BigInteger bn = BigInteger.valueOf(n);
    for (int ch = 0; ch < c; ch++, at += 3) {
      BigInteger s1 = sums.raw(at);
      BigInteger s2 = sums.raw(at + 1);
      mu[ch] = sums.get(at) / n;
      // n·M2 = n·Σx² - (Σx)², all scaled by 2^128: an exact integer
      BigInteger nm2 = s2.multiply(bn).shiftLeft(FixedSums.FRACTION_BITS).subtract(s1.multiply(s1));
      double v = Math.scalb(nm2.doubleValue(), -2 * FixedSums.FRACTION_BITS) / n;
      m[ch] = Math.max(v, 0.0); // a negative value is the leaves' rounding of a zero variance
      d[ch] = sums.get(at + 2) / n;
    }
    return new BnStats(n, mu, m, d);
  }

  /** Every BN layer's statistics, in layer order. */
  List<BnStats> bnStats() {
    List<BnStats> out = new ArrayList<>();
    for (int l = 0; l < channels.length; l++) {
      out.add(bn(l));
    }
    return List.copyOf(out);
  }

  private static int totalChannels(int[] channels) {
    int n = 0;
    for (int c : channels) {
      n += c;
    }
    return n;
  }

  private static void checkFinite(int partition, int layer, String what, double[] v) {
    for (int c = 0; c < v.length; c++) {
      if (!Double.isFinite(v[c])) {
        throw new IllegalArgumentException(
            "GradientAccumulator: BN layer " + layer + " channel " + c + " " + what + " = " + v[c]
                + " in partition " + partition + ", expected finite");
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StepStats s
        && Arrays.equals(channels, s.channels)
        && Arrays.equals(bnCount, s.bnCount)
        && Double.compare(lossSum, s.lossSum) == 0
        && Double.compare(rectificationLoss, s.rectificationLoss) == 0
        && Arrays.deepEquals(mean, s.mean)
        && Arrays.deepEquals(m2, s.m2)
        && Arrays.deepEquals(mad, s.mad)
        && java.util.Objects.equals(sums, s.sums);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(bnCount) + (sums == null ? Double.hashCode(lossSum)
        : sums.hashCode());
  }
}
