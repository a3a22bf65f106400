package io.sparkint8.train;

import io.sparkint8.nn.BnStats;
import io.sparkint8.nn.StepResult;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The contribution of one or more partitions to one training step: what a Spark treeAggregate
 * carries from the executors to the driver (DESIGN.md §3, ALGORITHMS.md §9). Immutable.
 *
 * <p>A leaf ({@link #of}) holds one partition's gradients as int8 codes quantized with the step's
 * {@link SharedScales} and stochastic rounding keyed by (seed, step, partition, tensor). {@link
 * #merge} adds codes exactly, in int16 while at most 258 partitions have been added and in int32
 * beyond, and never requantizes, so the sums do not depend on the tree's shape or order. Alongside
 * travel max|g| per tensor (max-merged: the next step's scales), rows, correct predictions and
 * clipped values (exact integer sums), the loss sum, rectification loss and BN statistics as exact
 * fixed-point sums ({@link StepStats}), and the workers' clipping statistics, DSGC's summed over
 * all partitions ({@link WorkerReport}). The whole object, not only its payload, is therefore
 * commutative and associative bit for bit under {@link #merge}, {@link #empty()} is its identity,
 * and its size does not grow with the number of partitions it holds (but for one bit per partition
 * in the set of partitions held).
 *
 * <p>The fp32 form ({@link #ofFp32}) sums its gradients the same way, exactly ({@link Fp32Sums}).
 *
 * <p>Serializable only so that Spark can ship an empty zero value inside a closure; the wire
 * format is {@link GradientAccumulatorSerializer}.
 */
public final class GradientAccumulator implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final GradientAccumulator EMPTY =
      new GradientAccumulator(-1, null, new CodeArray[0], null, new float[0],
          PartitionSet.EMPTY, null, 0, 0, new long[0], null);

  private final long step;
  private final SharedScales scales;
  private final CodeArray[] codes;
  // fp32 form only: the gradients' exact sums (null for int8 codes)
  private final Fp32Sums fp32;
  private final float[] maxAbs;
  private final PartitionSet partitions;
  private final StepStats stats;
  private final long rows;
  private final long correct;
  // Per tensor: gradient values beyond the tensor's clip, over all partitions (zeros in fp32).
  private final long[] clipped;
  // The partitions' reports merged (null when no partition sent one).
  private final WorkerReport report;

  GradientAccumulator(
      long step,
      SharedScales scales,
      CodeArray[] codes,
      Fp32Sums fp32,
      float[] maxAbs,
      PartitionSet partitions,
      StepStats stats,
      long rows,
      long correct,
      long[] clipped,
      WorkerReport report) {
    this.report = report;
    this.step = step;
    this.scales = scales;
    this.codes = codes;
    this.fp32 = fp32;
    this.maxAbs = maxAbs;
    this.partitions = partitions;
    this.stats = stats;
    this.rows = rows;
    this.correct = correct;
    this.clipped = clipped;
  }

  /** The accumulator of no partitions: the identity of {@link #merge}. */
  public static GradientAccumulator empty() {
    return EMPTY;
  }

  /**
   * The leaf of partition {@code partition} at step {@code step}: its gradients (of the summed
   * loss) quantized to int8 with {@code scales}, and its statistics.
   */
  public static GradientAccumulator of(
      StepResult result, SharedScales scales, long seed, long step, int partition) {
    return of(result, scales, seed, step, partition, null);
  }

  /** As {@link #of(StepResult, SharedScales, long, long, int)}, carrying the worker's report. */
  public static GradientAccumulator of(StepResult result, SharedScales scales, long seed,
      long step, int partition, WorkerReport report) {
    return of(result, scales, seed, step, partition, report, LeafQuantizer.JAVA);
  }

  /** As above, quantizing with {@code quantizer} (every implementation gives the same codes). */
  static GradientAccumulator of(StepResult result, SharedScales scales, long seed, long step,
      int partition, WorkerReport report, LeafQuantizer.Implementation quantizer) {
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(scales, "scales");
    float[][] g = result.gradients();
    if (g.length != scales.size()) {
      throw new IllegalArgumentException(
          "GradientAccumulator: the step has " + g.length
              + " gradient tensors but SharedScales has " + scales.size() + " scales");
    }
    if (step < 0 || partition < 0) {
      throw new IllegalArgumentException(
          "GradientAccumulator: step = " + step + ", partition = " + partition
              + ", expected both >= 0");
    }
    if (result.rows() < 0 || result.correct() < 0 || result.correct() > result.rows()) {
      throw new IllegalArgumentException(
          "GradientAccumulator: rows = " + result.rows() + ", correct = " + result.correct()
              + ", expected 0 <= correct <= rows");
    }
    checkFinite("loss sum", result.lossSum());
    checkFinite("rectification loss", result.rectificationLoss());
    CodeArray[] codes = new CodeArray[g.length];
    float[] max = new float[g.length];
    long[] clipped = new long[g.length];
    for (int t = 0; t < g.length; t++) {
      LeafQuantizer.Result r = quantizer.quantize(g[t], scales.scale(t), seed, step, partition,
          t);
      codes[t] = r.codes();
      max[t] = r.maxAbs();
      clipped[t] = r.clipped();
    }
    StepStats stats = StepStats.leaf(
        partition, result.lossSum(), result.rectificationLoss(), result.bnStats());
    checkReport(report, partition);
    return new GradientAccumulator(step, scales, codes, null, max, PartitionSet.of(partition),
        stats, result.rows(), result.correct(), clipped, report);
  }

  /**
   * The fp32 leaf of partition {@code partition}: its gradients as floats (4 bytes per element),
   * summed exactly up the tree ({@link Fp32Sums}). For the fp32 aggregation baseline and for the
   * first step, before any shared scale exists.
   */
  public static GradientAccumulator ofFp32(
      StepResult result, long step, int partition, WorkerReport report) {
    Objects.requireNonNull(result, "result");
    if (step < 0 || partition < 0) {
      throw new IllegalArgumentException(
          "GradientAccumulator: step = " + step + ", partition = " + partition
              + ", expected both >= 0");
    }
    checkFinite("loss sum", result.lossSum());
    checkFinite("rectification loss", result.rectificationLoss());
    float[][] g = result.gradients();
    float[][] copy = new float[g.length][];
    float[] max = new float[g.length];
    for (int t = 0; t < g.length; t++) {
      copy[t] = g[t].clone();
      float m = 0;
      for (int i = 0; i < copy[t].length; i++) {
        float v = copy[t][i];
        if (!Float.isFinite(v)) {
          throw new IllegalArgumentException("GradientAccumulator: gradient tensor " + t
              + " element " + i + " = " + v + " in partition " + partition + ", expected finite");
        }
        m = Math.max(m, Math.abs(v));
      }
      max[t] = m;
    }
    StepStats stats = StepStats.leaf(partition, result.lossSum(),
        result.rectificationLoss(), result.bnStats());
    checkReport(report, partition);
    return new GradientAccumulator(step, null, new CodeArray[0], Fp32Sums.leaf(copy), max,
        PartitionSet.of(partition), stats, result.rows(), result.correct(), new long[g.length],
        report);
  }

  private static void checkReport(WorkerReport report, int partition) {
    if (report != null && (report.partition() != partition || report.addends() != 1)) {
      throw new IllegalArgumentException("GradientAccumulator: the leaf of partition " + partition
          + " carries the report of partition " + report.partition() + " (" + report.addends()
          + " partitions)");
    }
  }

  /** Whether the gradients travel as floats rather than shared-scale codes. */
  public boolean isFp32() {
    return fp32 != null;
  }

  /**
   * The partitions' reports merged ({@link WorkerReport#merge}), or null when none was sent.
   */
  public WorkerReport report() {
    return report;
  }

  /** The exact sum of both contributions; neither is modified. */
  public GradientAccumulator merge(GradientAccumulator o) {
    if (o.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return o;
    }
    checkCompatible(o);
    PartitionSet merged = partitions.union(o.partitions);
    StepStats st = stats.plus(o.stats);
    WorkerReport rep = report == null ? o.report : o.report == null ? report
        : report.merge(o.report);
    float[] max = new float[maxAbs.length];
    long[] clip = new long[maxAbs.length];
    for (int t = 0; t < max.length; t++) {
      max[t] = Math.max(maxAbs[t], o.maxAbs[t]);
      clip[t] = clipped[t] + o.clipped[t];
    }
    if (isFp32()) {
      return new GradientAccumulator(step, null, codes, fp32.plus(o.fp32), max, merged, st,
          rows + o.rows, correct + o.correct, clip, rep);
    }
    int width = CodeArray.widthFor(merged.count());
    CodeArray[] sums = new CodeArray[codes.length];
    for (int t = 0; t < codes.length; t++) {
      sums[t] = codes[t].plus(o.codes[t], width);
    }
    return new GradientAccumulator(step, scales, sums, null, max, merged, st, rows + o.rows,
        correct + o.correct, clip, rep);
  }

  /**
   * The mean gradients over a global batch of {@code globalRows}: ĝ = (S / 127) * Σq / B per
   * element, computed in double and rounded once to float.
   */
  public float[][] decode(long globalRows) {
    if (globalRows <= 0) {
      throw new IllegalArgumentException(
          "GradientAccumulator.decode: globalRows = " + globalRows + ", expected > 0");
    }
    requireNonEmpty("decode");
    if (isFp32()) {
      return fp32.decode(globalRows);
    }
    float[][] out = new float[codes.length][];
    for (int t = 0; t < codes.length; t++) {
      double unit = (double) scales.scale(t) / LeafQuantizer.QMAX / globalRows;
      CodeArray c = codes[t];
      float[] g = new float[c.length()];
      for (int i = 0; i < g.length; i++) {
        g[i] = (float) (c.get(i) * unit);
      }
      out[t] = g;
    }
    return out;
  }

  public boolean isEmpty() {
    return partitions.count() == 0;
  }

  /** How many partitions were added; it decides the payload width. */
  public int addends() {
    return partitions.count();
  }

  /** The partitions held, ascending. */
  public int[] partitions() {
    return partitions.toArray();
  }

  /** Bytes per payload element: 1 (a leaf), 2 (up to 258 addends) or 4; 0 when empty. */
  public int width() {
    return isEmpty() ? 0 : CodeArray.widthFor(addends());
  }

  public long step() {
    requireNonEmpty("step");
    return step;
  }

  /** The shared scales of the codes; null for fp32 accumulators. */
  public SharedScales scales() {
    requireNonEmpty("scales");
    return scales;
  }

  public int tensorCount() {
    return maxAbs.length;
  }

  public int tensorLength(int tensor) {
    return isFp32() ? fp32.length(tensor) : codes[tensor].length();
  }

  /** Σq of one tensor, widened to int. */
  public int[] codeSums(int tensor) {
    return codes[tensor].toIntArray();
  }

  /** max|g| per tensor over every partition held, before clipping: input to the next scales. */
  public float[] maxAbs() {
    return maxAbs.clone();
  }

  public long rows() {
    return rows;
  }

  public long correct() {
    return correct;
  }

  /** Gradient values beyond their tensor's clip, over all partitions and tensors. */
  public long clippedCount() {
    long n = 0;
    for (long c : clipped) {
      n += c;
    }
    return n;
  }

  /**
   * Gradient values of tensor {@code tensor} beyond its clip, over all partitions: the codes that
   * saturated at +-127 and lost part of their gradient (0 for fp32 accumulators).
   */
  public long clippedCount(int tensor) {
    return clipped[tensor];
  }

  /** Σ loss over all rows: exact sums of the partitions', rounded once. */
  public double lossSum() {
    return isEmpty() ? 0 : stats.lossSum();
  }

  /**
   * The BatchNorm rectification loss of the step as a row-weighted mean over the partitions (each
   * partition's loss is computed with its own batch sigma and sent as a sum over its rows): the exact
   * sum of those row sums, rounded once, divided by the rows; 0 without rows.
   */
  public double rectificationLoss() {
    return isEmpty() || rows == 0 ? 0 : stats.rectificationLoss() / rows;
  }

  /**
   * The global batch statistics per BN layer, from the exact sums of every partition's count, Σx
   * and Σx² per channel ({@link StepStats}); one partition's are its own.
   */
  public List<BnStats> bnStats() {
    return isEmpty() ? List.of() : stats.bnStats();
  }

  /**
   * The gradient bytes the partitions sent at the leaves of the tree: elements x 1 byte per
   * partition for int8 codes, elements x 4 bytes per partition for fp32. The measure of "bytes
   * aggregated per step" (inner nodes of a deeper tree add to it in the same proportion).
   */
  public long leafPayloadBytes() {
    long elements = 0;
    for (int t = 0; t < tensorCount(); t++) {
      elements += tensorLength(t);
    }
    return elements * addends() * (isFp32() ? 4 : 1);
  }

  /** The gradient payload alone: Σ elements × width (fp32: 4 bytes a leaf, 8 merged). */
  public long payloadBytes() {
    long n = 0;
    if (isFp32()) {
      return fp32.payloadBytes();
    }
    for (CodeArray c : codes) {
      n += (long) c.length() * c.width();
    }
    return n;
  }

  /**
   * The exact size of this accumulator in {@link GradientAccumulatorSerializer}'s format. Kryo's
   * own framing adds 1 to 3 bytes to it (class id, reference marker) when Spark writes it.
   */
  public long wireBytes() {
    return GradientAccumulatorSerializer.sizeOf(this);
  }

  // Package-private views for the serializer.
  CodeArray codes(int tensor) {
    return codes[tensor];
  }

  Fp32Sums fp32() {
    return fp32;
  }

  PartitionSet partitionSet() {
    return partitions;
  }

  StepStats stats() {
    return stats;
  }

  private void checkCompatible(GradientAccumulator o) {
    if (o.step != step) {
      throw new IllegalArgumentException(
          "GradientAccumulator.merge: step " + step + " vs step " + o.step);
    }
    if (o.isFp32() != isFp32()) {
      throw new IllegalArgumentException(
          "GradientAccumulator.merge: an fp32 and an int8 accumulator of the same step");
    }
    if (isFp32()) {
      if (o.maxAbs.length != maxAbs.length) {
        throw new IllegalArgumentException("GradientAccumulator.merge: " + maxAbs.length + " vs "
            + o.maxAbs.length + " gradient tensors");
      }
      for (int t = 0; t < maxAbs.length; t++) {
        if (fp32.length(t) != o.fp32.length(t)) {
          throw new IllegalArgumentException("GradientAccumulator.merge: tensor " + t + " has "
              + fp32.length(t) + " vs " + o.fp32.length(t) + " elements");
        }
      }
      stats.checkSameLayout(o.stats, partitions(), o.partitions());
      return;
    }
    if (o.codes.length != codes.length) {
      throw new IllegalArgumentException(
          "GradientAccumulator.merge: " + codes.length + " vs " + o.codes.length
              + " gradient tensors");
    }
    for (int t = 0; t < codes.length; t++) {
      if (o.codes[t].length() != codes[t].length()) {
        throw new IllegalArgumentException(
            "GradientAccumulator.merge: tensor " + t + " has " + codes[t].length() + " vs "
                + o.codes[t].length() + " elements");
      }
      if (Float.compare(o.scales.scale(t), scales.scale(t)) != 0) {
        throw new IllegalArgumentException(
            "GradientAccumulator.merge: tensor " + t + " was quantized with scale "
                + scales.scale(t) + " vs " + o.scales.scale(t)
                + "; codes add only under one shared scale");
      }
    }
    stats.checkSameLayout(o.stats, partitions(), o.partitions());
  }

  private static void checkFinite(String what, double v) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException(
          "GradientAccumulator: " + what + " = " + v + ", expected finite");
    }
  }

  private void requireNonEmpty(String what) {
    if (isEmpty()) {
      throw new IllegalStateException("GradientAccumulator." + what + ": the accumulator is empty");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GradientAccumulator a
        && step == a.step
        && Objects.equals(scales, a.scales)
        && Arrays.equals(codes, a.codes)
        && Objects.equals(fp32, a.fp32)
        && Arrays.equals(maxAbs, a.maxAbs)
        && Objects.equals(partitions, a.partitions)
        && Objects.equals(stats, a.stats)
        && rows == a.rows
        && correct == a.correct
        && Arrays.equals(clipped, a.clipped)
        && Objects.equals(report, a.report);
  }

  @Override
  public int hashCode() {
    return Objects.hash(step, scales, Arrays.hashCode(codes), partitions, rows);
  }

  @Override
  public String toString() {
    return "GradientAccumulator[step=" + step + ", partitions=" + addends()
        + (isFp32() ? ", fp32" : "") + ", tensors=" + maxAbs.length + ", width=" + width() + ", rows=" + rows + ", payloadBytes="
        + payloadBytes() + "]";
  }
}
