package io.sparkint8.train;

import io.sparkint8.nn.BnStats;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * The floating-point statistics of one partition's step: loss sum, rectification loss and the
 * BatchNorm batch statistics. They are kept per partition rather than summed on the way up the
 * tree because floating-point addition and {@link BnStats#merge} are not associative bit for bit:
 * summing them in the order tasks happen to finish would make the running BN statistics, and so
 * the model, differ between a run and its retry. The driver folds them in partition order instead
 * (a few hundred bytes per partition per BN layer, next to a payload of one byte per weight).
 *
 * <p>Holds primitive arrays, not {@link BnStats}, so that Java serialization (Spark's closure
 * path for a zero value) works too. Immutable.
 */
final class PartitionStats implements Serializable {
  private static final long serialVersionUID = 1L;

  final int partition;
  final double lossSum;
  final double rectificationLoss;
  // Per BN layer: count, and per channel mean, M2 and mean absolute deviation.
  private final long[] bnCount;
  private final double[][] bnMean;
  private final double[][] bnM2;
  private final double[][] bnMad;
  // fp32 aggregation only: this partition's gradients, summed in partition order by the driver
  // (float addition is not associative, so summing them up the tree would depend on its shape).
  final float[][] gradients;

  PartitionStats(
      int partition,
      double lossSum,
      double rectificationLoss,
      long[] bnCount,
      double[][] bnMean,
      double[][] bnM2,
      double[][] bnMad) {
    this(partition, lossSum, rectificationLoss, bnCount, bnMean, bnM2, bnMad, null);
  }

  PartitionStats(
      int partition,
      double lossSum,
      double rectificationLoss,
      long[] bnCount,
      double[][] bnMean,
      double[][] bnM2,
      double[][] bnMad,
      float[][] gradients) {
    this.gradients = gradients;
    this.partition = partition;
    this.lossSum = lossSum;
    this.rectificationLoss = rectificationLoss;
    this.bnCount = bnCount;
    this.bnMean = bnMean;
    this.bnM2 = bnM2;
    this.bnMad = bnMad;
  }

  static PartitionStats of(
      int partition, double lossSum, double rectificationLoss, List<BnStats> bn) {
    return of(partition, lossSum, rectificationLoss, bn, null);
  }

  static PartitionStats of(int partition, double lossSum, double rectificationLoss,
      List<BnStats> bn, float[][] gradients) {
    int layers = bn.size();
    long[] count = new long[layers];
    double[][] mean = new double[layers][];
    double[][] m2 = new double[layers][];
    double[][] mad = new double[layers][];
    for (int l = 0; l < layers; l++) {
      BnStats s = bn.get(l);
      count[l] = s.count();
      mean[l] = s.mean();
      m2[l] = s.m2();
      mad[l] = s.meanAbsDev();
      checkFinite(partition, l, "mean", mean[l]);
      checkFinite(partition, l, "M2", m2[l]);
      checkFinite(partition, l, "meanAbsDev", mad[l]);
    }
    return new PartitionStats(
        partition, lossSum, rectificationLoss, count, mean, m2, mad, gradients);
  }

  int bnLayers() {
    return bnCount.length;
  }

  int channels(int layer) {
    return bnMean[layer].length;
  }

  BnStats bn(int layer) {
    return new BnStats(bnCount[layer], bnMean[layer], bnM2[layer], bnMad[layer]);
  }

  // Raw access for the serializer only.
  long bnCount(int layer) {
    return bnCount[layer];
  }

  double[] bnMean(int layer) {
    return bnMean[layer];
  }

  double[] bnM2(int layer) {
    return bnM2[layer];
  }

  double[] bnMad(int layer) {
    return bnMad[layer];
  }

  /** Both must describe the same BN layers, or their statistics cannot be merged. */
  void checkSameLayout(PartitionStats o) {
    if (o.bnLayers() != bnLayers()) {
      throw new IllegalArgumentException(
          "GradientAccumulator: partition " + partition + " has " + bnLayers()
              + " BN layers, partition " + o.partition + " has " + o.bnLayers());
    }
    for (int l = 0; l < bnLayers(); l++) {
      if (o.channels(l) != channels(l)) {
        throw new IllegalArgumentException(
            "GradientAccumulator: BN layer " + l + " has " + channels(l) + " channels in partition "
                + partition + " but " + o.channels(l) + " in partition " + o.partition);
      }
    }
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
    return o instanceof PartitionStats p
        && partition == p.partition
        && Double.compare(lossSum, p.lossSum) == 0
        && Double.compare(rectificationLoss, p.rectificationLoss) == 0
        && Arrays.equals(bnCount, p.bnCount)
        && Arrays.deepEquals(bnMean, p.bnMean)
        && Arrays.deepEquals(bnM2, p.bnM2)
        && Arrays.deepEquals(bnMad, p.bnMad)
        && Arrays.deepEquals(gradients, p.gradients);
  }

  @Override
  public int hashCode() {
    return 31 * partition + Double.hashCode(lossSum) + Arrays.deepHashCode(bnMean);
  }
}
