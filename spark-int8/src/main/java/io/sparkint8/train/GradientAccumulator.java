package io.sparkint8.train;

import io.sparkint8.nn.BnStats;
import io.sparkint8.nn.StepResult;
import java.io.Serializable;
import java.util.ArrayList;
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
 * clipped values (exact integer sums), and per partition the loss sum, rectification loss and BN
 * statistics, which are folded in partition order when read so that they too are independent of
 * the merge order (see {@link PartitionStats}). The whole object, not only its payload, is
 * therefore commutative and associative bit for bit under {@link #merge}, and {@link #empty()} is
 * its identity.
 *
 * <p>Serializable only so that Spark can ship an empty zero value inside a closure; the wire
 * format is {@link GradientAccumulatorSerializer}.
 */
public final class GradientAccumulator implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final GradientAccumulator EMPTY =
      new GradientAccumulator(-1, null, new CodeArray[0], new float[0], new PartitionStats[0], 0,
          0, 0, null);

  private final long step;
  private final SharedScales scales;
  private final CodeArray[] codes;
  private final float[] maxAbs;
  // Sorted by partition, one per addend: the partitions this accumulator holds.
  private final PartitionStats[] parts;
  private final long rows;
  private final long correct;
  private final long clipped;
  // The lowest-numbered partition's report (null when no partition sent one).
  private final WorkerReport report;

  GradientAccumulator(
      long step,
      SharedScales scales,
      CodeArray[] codes,
      float[] maxAbs,
      PartitionStats[] parts,
      long rows,
      long correct,
      long clipped,
      WorkerReport report) {
    this.report = report;
    this.step = step;
    this.scales = scales;
    this.codes = codes;
    this.maxAbs = maxAbs;
    this.parts = parts;
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
    long clipped = 0;
    for (int t = 0; t < g.length; t++) {
      LeafQuantizer.Result r = LeafQuantizer.quantize(
          g[t], scales.scale(t), LeafQuantizer.key(seed, step, partition, t), t);
      codes[t] = r.codes();
      max[t] = r.maxAbs();
      clipped += r.clipped();
    }
    PartitionStats stats = PartitionStats.of(
        partition, result.lossSum(), result.rectificationLoss(), result.bnStats());
    return new GradientAccumulator(step, scales, codes, max, new PartitionStats[] {stats},
        result.rows(), result.correct(), clipped, report);
  }

  /**
   * The fp32 leaf of partition {@code partition}: its gradients as floats (4 bytes per element),
   * which the driver sums in partition order. For the fp32 aggregation baseline and for the first
   * step, before any shared scale exists.
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
    PartitionStats stats = PartitionStats.of(partition, result.lossSum(),
        result.rectificationLoss(), result.bnStats(), copy);
    return new GradientAccumulator(step, null, new CodeArray[0], max,
        new PartitionStats[] {stats}, result.rows(), result.correct(), 0, report);
  }

  /** Whether the gradients travel as floats rather than shared-scale codes. */
  public boolean isFp32() {
    return !isEmpty() && parts[0].gradients != null;
  }

  /** The lowest-numbered partition's report, or null when none was sent. */
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
    PartitionStats[] merged = mergeParts(parts, o.parts);
    WorkerReport lowest = report == null ? o.report
        : o.report == null || report.partition < o.report.partition ? report : o.report;
    if (isFp32()) {
      float[] max = new float[maxAbs.length];
      for (int t = 0; t < max.length; t++) {
        max[t] = Math.max(maxAbs[t], o.maxAbs[t]);
      }
      return new GradientAccumulator(step, null, codes, max, merged, rows + o.rows,
          correct + o.correct, 0, lowest);
    }
    int width = CodeArray.widthFor(merged.length);
    CodeArray[] sums = new CodeArray[codes.length];
    float[] max = new float[codes.length];
    for (int t = 0; t < codes.length; t++) {
      sums[t] = codes[t].plus(o.codes[t], width);
      max[t] = Math.max(maxAbs[t], o.maxAbs[t]);
    }
    return new GradientAccumulator(step, scales, sums, max, merged, rows + o.rows,
        correct + o.correct, clipped + o.clipped, lowest);
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
      return decodeFp32(globalRows);
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

  private float[][] decodeFp32(long globalRows) {
    float[][] out = new float[maxAbs.length][];
    for (int t = 0; t < out.length; t++) {
      float[] sum = parts[0].gradients[t].clone();
      for (int p = 1; p < parts.length; p++) {
        float[] g = parts[p].gradients[t];
        for (int i = 0; i < sum.length; i++) {
          sum[i] += g[i];
        }
      }
      for (int i = 0; i < sum.length; i++) {
        sum[i] = (float) (sum[i] / (double) globalRows);
      }
      out[t] = sum;
    }
    return out;
  }

  public boolean isEmpty() {
    return parts.length == 0;
  }

  /** How many partitions were added; it decides the payload width. */
  public int addends() {
    return parts.length;
  }

  /** The partitions held, ascending. */
  public int[] partitions() {
    int[] p = new int[parts.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = parts[i].partition;
    }
    return p;
  }

  /** Bytes per payload element: 1 (a leaf), 2 (up to 258 addends) or 4; 0 when empty. */
  public int width() {
    return isEmpty() ? 0 : CodeArray.widthFor(parts.length);
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
    return isFp32() ? parts[0].gradients[tensor].length : codes[tensor].length();
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

  /** Gradient values beyond their tensor's clip, over all partitions. */
  public long clippedCount() {
    return clipped;
  }

  /** Σ loss over all rows, summed in partition order. */
  public double lossSum() {
    double s = 0;
    for (PartitionStats p : parts) {
      s += p.lossSum;
    }
    return s;
  }

  /**
   * The BatchNorm rectification loss of the step as a row-weighted mean over the partitions (each
   * partition's loss is computed with its own batch sigma): Σ of the partitions' row sums, in
   * partition order, divided by the rows; 0 without rows.
   */
  public double rectificationLoss() {
    double s = 0;
    for (PartitionStats p : parts) {
      s += p.rectificationLoss;
    }
    return rows == 0 ? 0 : s / rows;
  }

  /**
   * The global batch statistics per BN layer: the partitions' statistics merged with {@link
   * BnStats#merge} in partition order.
   */
  public List<BnStats> bnStats() {
    if (isEmpty()) {
      return List.of();
    }
    List<BnStats> out = new ArrayList<>();
    for (int l = 0; l < parts[0].bnLayers(); l++) {
      BnStats s = parts[0].bn(l);
      for (int i = 1; i < parts.length; i++) {
        s = s.merge(parts[i].bn(l));
      }
      out.add(s);
    }
    return List.copyOf(out);
  }

  /**
   * The gradient bytes the partitions sent at the leaves of the tree: elements x 1 byte per
   * partition for int8 codes, elements x 4 bytes for fp32. The measure of "bytes aggregated per
   * step" (inner nodes of a deeper tree add to it in the same proportion).
   */
  public long leafPayloadBytes() {
    if (isFp32()) {
      return payloadBytes();
    }
    long elements = 0;
    for (CodeArray c : codes) {
      elements += c.length();
    }
    return elements * parts.length;
  }

  /** The integer payload alone: Σ elements × width. */
  public long payloadBytes() {
    long n = 0;
    if (isFp32()) {
      for (PartitionStats p : parts) {
        for (float[] g : p.gradients) {
          n += 4L * g.length;
        }
      }
      return n;
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

  PartitionStats part(int i) {
    return parts[i];
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
        if (parts[0].gradients[t].length != o.parts[0].gradients[t].length) {
          throw new IllegalArgumentException("GradientAccumulator.merge: tensor " + t + " has "
              + parts[0].gradients[t].length + " vs " + o.parts[0].gradients[t].length
              + " elements");
        }
      }
      parts[0].checkSameLayout(o.parts[0]);
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
    parts[0].checkSameLayout(o.parts[0]);
  }

  private static PartitionStats[] mergeParts(PartitionStats[] a, PartitionStats[] b) {
    PartitionStats[] out = new PartitionStats[a.length + b.length];
    int i = 0;
    int j = 0;
    int k = 0;
    while (i < a.length || j < b.length) {
      if (j == b.length || (i < a.length && a[i].partition < b[j].partition)) {
        out[k++] = a[i++];
      } else if (i == a.length || b[j].partition < a[i].partition) {
        out[k++] = b[j++];
      } else {
        throw new IllegalArgumentException(
            "GradientAccumulator.merge: partition " + a[i].partition
                + " is in both accumulators; each partition may contribute once");
      }
    }
    return out;
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
        && Arrays.equals(maxAbs, a.maxAbs)
        && Arrays.equals(parts, a.parts)
        && rows == a.rows
        && correct == a.correct
        && clipped == a.clipped
        && Objects.equals(report, a.report);
  }

  @Override
  public int hashCode() {
    return Objects.hash(step, scales, Arrays.hashCode(codes), Arrays.hashCode(parts), rows);
  }

  @Override
  public String toString() {
    return "GradientAccumulator[step=" + step + ", partitions=" + parts.length
        + (isFp32() ? ", fp32" : "") + ", tensors=" + maxAbs.length + ", width=" + width() + ", rows=" + rows + ", payloadBytes="
        + payloadBytes() + "]";
  }
}
