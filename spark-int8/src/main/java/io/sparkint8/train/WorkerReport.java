package io.sparkint8.train;

import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.nn.Conv2d;
import io.sparkint8.nn.Layer;
import io.sparkint8.nn.LayerStats;
import io.sparkint8.nn.Linear;
import io.sparkint8.nn.Network;
import io.sparkint8.quant.ClipStats;
import io.sparkint8.quant.ClippingState;
import io.sparkint8.quant.Dclrs;
import io.sparkint8.quant.DsgcClipping;
import io.sparkint8.step.LayerFactors;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What the workers' networks decided about error quantization at one step, for the driver: every
 * conv/fc layer's clipping state after the step and the per-layer {@link LayerFactors} (DSGC
 * deviation, the DCLRS learning-rate factor it implies, the error gain ||G_X|| / ||G_Y||), merged
 * over every partition of the step. Immutable.
 *
 * <p>Errors are activation gradients of a partition's own rows; each partition clips and
 * quantizes its own where they are computed. The driver keeps one authoritative clipping state,
 * broadcasts it with the weights, and advances it from this report. DSGC's statistics come from
 * all partitions: each reports the cosine sums of its error (x·x̂, |x̂|², |x|² at the applied clip
 * and, at a search step, at every candidate ratio, {@link ClipStats#appliedSums()}), {@link
 * #merge} adds them as exact fixed-point sums ({@link FixedSums}), and the deviation, the ratio a
 * search picks ({@link DsgcClipping#bestRatio}) and the DCLRS factor are formed from the sums of the
 * whole batch: the deviation of the concatenated error, not of one partition's. Integer sums make
 * the result independent of the order Spark merges in.
 *
 * <p>A report of one partition is used as that partition computed it (its own doubles), so a
 * single-partition fit keeps the bits of the local trainer's clipping. What is not summed comes
 * from the lowest-numbered partition (an order-independent choice): the settings and counters of
 * each clipping state, the whole state of the strategies other than DSGC (MCS's per-channel EMAs,
 * max's counter: DCLRS is not offered with them, see {@link io.sparkint8.step.TrainingConfig}),
 * and the error gains, a diagnostic measured on some steps.
 */
public final class WorkerReport implements Serializable {
  private static final long serialVersionUID = 3L;

  private static final int RATIOS = DsgcClipping.candidateRatios().length;
  /** Sums per clipping state: applied {x·x̂, |x̂|², |x|²}, then the search layout. */
  static final int SUMS_PER_STATE = 3 + 2 * RATIOS + 1;

  // the lowest-numbered partition held, and its clipping states and factors
  final int partition;
  final String[] strategies;
  final long[] steps;
  final double[][] values;
  final LayerFactors factors;
  // for each entry of factors, the index of its clipping state
  final int[] stateOfFactor;
  final Dclrs dclrs;
  // partitions held; per clipping state, how many of them measured the applied deviation / searched
  final int addends;
  final int[] measured;
  final int[] searched;
  // SUMS_PER_STATE values per clipping state: one partition's doubles, or the exact sums of several
  final double[] leafSums;
  final FixedSums sums;

  WorkerReport(int partition, String[] strategies, long[] steps, double[][] values,
      LayerFactors factors, int[] stateOfFactor, Dclrs dclrs, int addends, int[] measured,
      int[] searched, double[] leafSums, FixedSums sums) {
    if ((leafSums == null) == (sums == null) || (addends == 1) != (leafSums != null)) {
      throw new IllegalArgumentException("WorkerReport: " + addends + " partitions need "
          + (addends == 1 ? "the partition's own sums" : "exact sums"));
    }
    int n = strategies.length;
    int len = leafSums != null ? leafSums.length : sums.length();
    if (steps.length != n || values.length != n || measured.length != n || searched.length != n
        || len != n * SUMS_PER_STATE || stateOfFactor.length != factors.size()) {
      throw new IllegalArgumentException("WorkerReport: inconsistent layout for " + n
          + " clipping states");
    }
    this.partition = partition;
    this.strategies = strategies;
    this.steps = steps;
    this.values = values;
    this.factors = factors;
    this.stateOfFactor = stateOfFactor;
    this.dclrs = Objects.requireNonNull(dclrs, "dclrs");
    this.addends = addends;
    this.measured = measured;
    this.searched = searched;
    this.leafSums = leafSums;
    this.sums = sums;
  }

  /** The report of {@code net} right after a training step on partition {@code partition}. */
  public static WorkerReport of(int partition, Network net) {
    List<ClippingState> states = net.clippingStates();
    int n = states.size();
    String[] strategies = new String[n];
    long[] steps = new long[n];
    double[][] values = new double[n][];
    for (int i = 0; i < n; i++) {
      strategies[i] = states.get(i).strategy();
      steps[i] = states.get(i).steps();
      values[i] = states.get(i).values();
    }
    int[] measured = new int[n];
    int[] searched = new int[n];
    double[] leaf = new double[n * SUMS_PER_STATE];
    List<Integer> stateOfFactor = new ArrayList<>();
    int state = 0;
    // the conv/fc layers in layer order are the clipping states in order (Network#clippingStates)
    for (Layer layer : net.layers()) {
      if (!(layer instanceof Conv2d || layer instanceof Linear)) {
        continue;
      }
      for (LayerStats st : layer.stats()) {
        ClipStats clip = st.clip();
        if (clip == null) {
          continue;
        }
        stateOfFactor.add(state);
        double[] applied = clip.appliedSums();
        if (applied.length > 0) {
          measured[state] = 1;
          System.arraycopy(applied, 0, leaf, state * SUMS_PER_STATE, 3);
        }
        double[] search = clip.searchSums();
        if (search.length > 0) {
          searched[state] = 1;
          System.arraycopy(search, 0, leaf, state * SUMS_PER_STATE + 3, search.length);
        }
      }
      state++;
    }
    if (state != n) {
      throw new IllegalStateException("WorkerReport: " + state + " conv/fc layers but " + n
          + " clipping states");
    }
    LayerFactors factors = LayerFactors.measure(net);
    return new WorkerReport(partition, strategies, steps, values, factors,
        stateOfFactor.stream().mapToInt(Integer::intValue).toArray(),
        net.context().config().dclrs(), 1, measured, searched, leaf, null);
  }

  /** The lowest-numbered partition whose report this holds. */
  public int partition() {
    return partition;
  }

  /** How many partitions' reports this holds. */
  public int addends() {
    return addends;
  }

  /**
   * The report of the partitions of both; neither is modified. Exact: the sums are integers, the
   * rest is the lowest partition's, so any merge order gives the same object.
   */
  public WorkerReport merge(WorkerReport o) {
    if (o.strategies.length != strategies.length || !Arrays.equals(o.strategies, strategies)
        || !Arrays.equals(o.stateOfFactor, stateOfFactor)) {
      throw new IllegalArgumentException("WorkerReport.merge: partition " + partition
          + " reports strategies " + Arrays.toString(strategies) + " (measured "
          + Arrays.toString(stateOfFactor) + "), partition " + o.partition + " "
          + Arrays.toString(o.strategies) + " (measured " + Arrays.toString(o.stateOfFactor)
          + ")");
    }
    if (o.partition == partition) {
      throw new IllegalArgumentException("WorkerReport.merge: partition " + partition
          + " is in both reports; each partition may contribute once");
    }
    WorkerReport low = partition < o.partition ? this : o;
    int[] m = new int[measured.length];
    int[] s = new int[searched.length];
    for (int i = 0; i < m.length; i++) {
      m[i] = measured[i] + o.measured[i];
      s[i] = searched[i] + o.searched[i];
    }
    return new WorkerReport(low.partition, low.strategies, low.steps, low.values, low.factors,
        low.stateOfFactor, low.dclrs, addends + o.addends, m, s, null,
        exactSums().plus(o.exactSums()));
  }

  private FixedSums exactSums() {
    return sums != null ? sums : FixedSums.of("DSGC cosine sums", leafSums);
  }

  /** Sum {@code k} of clipping state {@code state}, as a double. */
  private double sum(int state, int k) {
    int at = state * SUMS_PER_STATE + k;
    return leafSums != null ? leafSums[at] : sums.get(at);
  }

  /** The search sums of one state in {@link ClipStats#searchSums()} layout. */
  private double[] searchSums(int state) {
    double[] out = new double[2 * RATIOS + 1];
    for (int k = 0; k < out.length; k++) {
      out[k] = sum(state, 3 + k);
    }
    return out;
  }

  /**
   * The clipping state of every conv/fc layer, in forward order, for the driver to adopt. One
   * partition's are its own; over several partitions a DSGC state takes the ratio its search picks
   * on the merged sums (at a search step) and the merged deviation.
   */
  public List<ClippingState> clippingStates() {
    List<ClippingState> out = new ArrayList<>();
    for (int i = 0; i < strategies.length; i++) {
      double[] v = values[i].clone();
      if (addends > 1 && strategies[i].equals("dsgc")) {
        DsgcMerge d = dsgc(i, v[5]);
        if (searched[i] > 0) {
          v[3] = steps[i] - 1; // the update that just ran searched
          v[4] = d.ratio;
        }
        v[5] = d.deviation;
      } else if (strategies[i].equals("dsgc")) {
        v[5] = nonNegative(v[5]); // one partition's own, which the same rounding can put below 0
      }
      out.add(new ClippingState(strategies[i], steps[i], v));
    }
    return out;
  }

  /**
   * The measured layers' factors, deviations and gains: one partition's own, or over several the
   * merged DSGC deviation and its DCLRS factor (gains from the lowest partition).
   */
  public LayerFactors factors() {
    if (addends == 1) {
      return factors;
    }
    double[] dev = factors.deviation();
    double[] lr = factors.lrFactor();
    for (int f = 0; f < dev.length; f++) {
      int st = stateOfFactor[f];
      if (strategies[st].equals("dsgc")) {
        dev[f] = dsgc(st, values[st][5]).deviation;
      }
      lr[f] = dclrs.factor(dev[f]);
    }
    return new LayerFactors(factors.layerIndex(), lr, dev, factors.gain());
  }

  private record DsgcMerge(double ratio, double deviation) {}

  /**
   * The merged DSGC decision of state {@code st}: at a search step the best ratio of the merged
   * search sums and its deviation; else the merged deviation at the applied clip; else (nobody
   * measured) the carried deviation.
   */
  private DsgcMerge dsgc(int st, double carried) {
    double ratio = values[st][4];
    if (searched[st] > 0) {
      double[] s = searchSums(st);
      int best = DsgcClipping.bestRatio(s);
      return new DsgcMerge(DsgcClipping.candidateRatios()[best],
          nonNegative(DsgcClipping.deviation(s, best)));
    }
    if (measured[st] > 0) {
      return new DsgcMerge(ratio, nonNegative(Int8Backend.cosineDeviation(sum(st, 0),
          sum(st, 1), sum(st, 2))));
    }
    return new DsgcMerge(ratio, carried);
  }

  // a quantization that is exact (codes that represent the error perfectly) has cosine 1, which
  // the rounded sums can put a hair above 1: that deviation is 0 (and the state accepts only >= 0)
  private static double nonNegative(double deviation) {
    return Math.max(deviation, 0.0);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WorkerReport r && partition == r.partition && addends == r.addends
        && Arrays.equals(strategies, r.strategies) && Arrays.equals(steps, r.steps)
        && Arrays.deepEquals(values, r.values) && factors.equals(r.factors)
        && Arrays.equals(stateOfFactor, r.stateOfFactor) && dclrs.equals(r.dclrs)
        && Arrays.equals(measured, r.measured) && Arrays.equals(searched, r.searched)
        && Arrays.equals(leafSums, r.leafSums) && Objects.equals(sums, r.sums);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * partition + addends) + Arrays.hashCode(steps) + factors.hashCode();
  }
}
