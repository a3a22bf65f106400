package io.sparkint8.quant;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import java.util.Arrays;

/**
 * Direction Sensitive Gradient Clipping (Unified INT8, Zhu et al. 2020): choose the per-tensor clip
 * c that minimises the deviation d_c = 1 - cos(g, ĝ(c)) between the error and its quantization.
 *
 * <p>Search (our reading, ALGORITHMS.md §2): at the first update and then every {@code
 * clipUpdateInterval} updates, evaluate c = r * max|g| for r in {1.0, 0.9, ..., 0.1} in one pass
 * ({@link Int8Backend#clipCosineDeviation}, per-tensor, nearest rounding, {@code bits} bits) and
 * keep the r of the smallest d_c (the larger r on ties). Between searches the kept r is applied to
 * the current max, because the max moves from step to step while the shape of the distribution
 * changes slowly.
 *
 * <p>Every measurement also records its sums (x·x̂, |x̂|², |x|², {@link Int8Backend#clipCosineSums})
 * in the step's {@link ClipStats}: a distributed trainer adds them over all partitions and forms
 * the deviation of the whole batch's error from them, and picks the ratio of the search from those
 * merged deviations with {@link #bestRatio} (the choice this strategy makes on its own sums).
 *
 * <p>d_c is the layer's health metric and feeds {@link Dclrs}. With {@code deviationEveryStep} it
 * is measured at the applied clip on every update (one more pass over g); otherwise the value of
 * the last search is reported. An all-zero gradient gets clip 0 and an unknown (NaN) deviation, and
 * a search due at that step waits for the next non-zero one.
 */
public final class DsgcClipping implements ClippingStrategy {
  /** Updates between searches, by default. */
  public static final int DEFAULT_CLIP_UPDATE_INTERVAL = 100;

  private static final double[] RATIOS = {1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1};

  private final int bits;
  private final int clipUpdateInterval;
  private final boolean deviationEveryStep;

  private long steps;
  private long lastSearchStep = -1;
  private double ratio = 1.0;
  private double deviation = Double.NaN;
  private ClipStats last;

  /** Defaults: search every 100 updates, deviation measured every update. */
  public DsgcClipping(int bits) {
    this(bits, DEFAULT_CLIP_UPDATE_INTERVAL, true);
  }

  public DsgcClipping(int bits, int clipUpdateInterval, boolean deviationEveryStep) {
    if (bits < 2 || bits > 8) {
      throw new IllegalArgumentException("dsgc: bits=" + bits + ", expected 2..8");
    }
    if (clipUpdateInterval < 1) {
      throw new IllegalArgumentException(
          "dsgc: clipUpdateInterval=" + clipUpdateInterval + ", expected >= 1");
    }
    this.bits = bits;
    this.clipUpdateInterval = clipUpdateInterval;
    this.deviationEveryStep = deviationEveryStep;
  }

  @Override
  public String name() {
    return "dsgc";
  }

  @Override
  public QuantGranularity clipGranularity() {
    return QuantGranularity.PER_TENSOR;
  }

  public int bits() {
    return bits;
  }

  public int clipUpdateInterval() {
    return clipUpdateInterval;
  }

  /** The clip ratio r in use (1.0 before the first search). */
  public double ratio() {
    return ratio;
  }

  /** The latest deviation d_c, NaN before the first measurement. */
  public double deviation() {
    return deviation;
  }

  /** The step of the latest search, -1 before the first. */
  public long lastSearchStep() {
    return lastSearchStep;
  }

  /** The candidate ratios, largest first. */
  public static double[] candidateRatios() {
    return RATIOS.clone();
  }

  @Override
  public ClipStats update(
      Int8Backend backend, OffHeapAllocator allocator, Float32Buffer gradient, int rows, int cols) {
    ClippingStrategies.checkShape("dsgc", backend, gradient, rows, cols);
    float max = ClippingStrategies.tensorMax("dsgc", backend, allocator, gradient, rows, cols);
    int count = rows * cols;
    float clip;
    double[] applied = null;
    double[] searched = null;
    if (max == 0f) {
      clip = 0f;
      deviation = Double.NaN;
    } else if (lastSearchStep < 0 || steps - lastSearchStep >= clipUpdateInterval) {
      searched = searchSums(backend, gradient, count, max);
      int best = bestRatio(searched);
      ratio = RATIOS[best];
      deviation = deviation(searched, best);
      clip = (float) (ratio * max);
      applied = new double[] {searched[best], searched[RATIOS.length + best],
          searched[2 * RATIOS.length]};
      lastSearchStep = steps;
    } else {
      clip = (float) (ratio * max);
      if (clip == 0f) {
        clip = max; // r * max underflowed: a subnormal max, not worth clipping
      }
      if (deviationEveryStep) {
        applied = backend.clipCosineSums(gradient, count, bits, new float[] {clip});
        deviation = Int8Backend.cosineDeviation(applied[0], applied[1], applied[2]);
      }
    }
    last =
        new ClipStats(
            name(),
            steps,
            QuantGranularity.PER_TENSOR,
            max,
            new float[] {clip},
            null,
            deviation,
            ratio,
            null,
            applied,
            searched);
    steps++;
    return last;
  }

  /**
   * The sums of every candidate ratio in the layout of {@link ClipStats#searchSums()}; a ratio
   * whose clip r * max underflows to 0 is not evaluated and keeps zeros (deviation 1).
   */
  private double[] searchSums(Int8Backend backend, Float32Buffer gradient, int count, float max) {
    float[] candidates = new float[RATIOS.length];
    int n = 0;
    for (double r : RATIOS) {
      float c = (float) (r * max);
      if (c > 0f) {
        candidates[n++] = c; // ratios descend, so an underflow ends the usable ones
      }
    }
    double[] s = backend.clipCosineSums(gradient, count, bits, Arrays.copyOf(candidates, n));
    int r = RATIOS.length;
    double[] out = new double[2 * r + 1];
    System.arraycopy(s, 0, out, 0, n);
    System.arraycopy(s, n, out, r, n);
    out[2 * r] = s[2 * n];
    return out;
  }

  /** The deviation of candidate {@code i} from search sums in {@link ClipStats#searchSums()} layout. */
  public static double deviation(double[] searchSums, int i) {
    int r = RATIOS.length;
    checkSearchSums(searchSums);
    return Int8Backend.cosineDeviation(searchSums[i], searchSums[r + i], searchSums[2 * r]);
  }

  /**
   * The index into {@link #candidateRatios()} of the smallest deviation of the search sums (the
   * larger ratio on ties): the choice of a search, on one partition's sums or on their sum over
   * all partitions.
   */
  public static int bestRatio(double[] searchSums) {
    checkSearchSums(searchSums);
    int best = 0;
    double bestD = deviation(searchSums, 0);
    for (int i = 1; i < RATIOS.length; i++) {
      double d = deviation(searchSums, i);
      if (d < bestD) {
        best = i;
        bestD = d;
      }
    }
    return best;
  }

  private static void checkSearchSums(double[] searchSums) {
    if (searchSums.length != 2 * RATIOS.length + 1) {
      throw new IllegalArgumentException("dsgc: " + searchSums.length + " search sums, expected "
          + (2 * RATIOS.length + 1) + " (x·x̂ and |x̂|² per ratio, then |x|²)");
    }
  }

  @Override
  public ClipStats lastStats() {
    return last;
  }

  @Override
  public long steps() {
    return steps;
  }

  @Override
  public void reset() {
    steps = 0;
    lastSearchStep = -1;
    ratio = 1.0;
    deviation = Double.NaN;
    last = null;
  }

  /**
   * Values: {@code [bits, clipUpdateInterval, deviationEveryStep (1 or 0), lastSearchStep, ratio,
   * deviation]}. The deviation is carried because between searches without {@code
   * deviationEveryStep} it is the one reported, and DCLRS scales the layer's learning rate by it.
   */
  @Override
  public ClippingState exportState() {
    return new ClippingState(
        name(),
        steps,
        new double[] {
          bits, clipUpdateInterval, deviationEveryStep ? 1 : 0, lastSearchStep, ratio, deviation
        });
  }

  @Override
  public void importState(ClippingState state) {
    ClippingStrategies.checkState(state, name(), 6, false);
    ClippingStrategies.checkSetting(name(), "bits", state.value(0), bits);
    ClippingStrategies.checkSetting(
        name(), "clipUpdateInterval", state.value(1), clipUpdateInterval);
    ClippingStrategies.checkSetting(
        name(), "deviationEveryStep", state.value(2), deviationEveryStep ? 1 : 0);
    double search = state.value(3);
    // -1 (no search yet) or the step of a past update; a double holds such integers exactly
    if (search != Math.rint(search) || search < -1 || search >= state.steps()) {
      throw new IllegalArgumentException(
          "dsgc state: lastSearchStep="
              + search
              + ", expected -1 or an integer below steps="
              + state.steps());
    }
    double r = state.value(4);
    if (Arrays.stream(RATIOS).noneMatch(c -> c == r)) {
      throw new IllegalArgumentException(
          "dsgc state: ratio=" + r + ", expected one of " + Arrays.toString(RATIOS));
    }
    double d = state.value(5);
    if (!Double.isNaN(d) && !(d >= 0 && d <= 2)) {
      throw new IllegalArgumentException(
          "dsgc state: deviation=" + d + ", expected NaN or 0..2 (1 - cos)");
    }
    steps = state.steps();
    lastSearchStep = (long) search;
    ratio = r;
    deviation = d;
    last = null;
  }
}
