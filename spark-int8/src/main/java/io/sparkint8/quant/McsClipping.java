package io.sparkint8.quant;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;

/**
 * Gradient Vectorized Quantization with the Magnitude-aware Clipping Strategy (Distribution
 * Adaptive INT8, Zhao et al. 2021): one clip value per output channel of the error G_Y.
 *
 * <p>Each update classifies every channel (column of the [rows x channels] gradient) with {@link
 * Int8Backend#channelFractionAboveStd}: {@link ChannelClass#GAUSSIAN} if the fraction of |g| above
 * the channel's standard deviation exceeds λ, else {@link ChannelClass#INVERTED_T}. Gaussian
 * channels are clipped at their max|g|; inverted-T channels at s_t = (1 - k·A)·s_{t-1} +
 * A·max|g|_t, an average of the channel max that lets a one-step spike be clipped. s_{t-1} is the
 * channel's clip of the previous update, whatever its class was; the first update uses s = max|g|.
 * Following the formula, s_t may exceed the current max when the max falls; it is not capped.
 *
 * <p>The clips are per column: quantize the gradient with {@link QuantGranularity#PER_COLUMN}.
 */
public final class McsClipping implements ClippingStrategy {
  public static final double DEFAULT_LAMBDA = 0.3;
  public static final double DEFAULT_K = 1.0;
  public static final double DEFAULT_A = 0.8;

  private final double lambda;
  private final double k;
  private final double a;

  private long steps;
  private float[] previous; // s_{t-1} per channel, null before the first update
  private ClipStats last;

  /** λ = 0.3, k = 1, A = 0.8. */
  public McsClipping() {
    this(DEFAULT_LAMBDA, DEFAULT_K, DEFAULT_A);
  }

  /**
   * @param lambda GVQ threshold on P(|g| > σ), in (0, 1)
   * @param k how much of A is taken off the previous clip; k >= 0 and k·A <= 1, so the previous
   *     clip's weight 1 - k·A stays in [0, 1)
   * @param a weight A of the current channel max, in (0, 1]
   */
  public McsClipping(double lambda, double k, double a) {
    if (!(lambda > 0 && lambda < 1)) {
      throw new IllegalArgumentException("mcs: lambda=" + lambda + ", expected 0 < lambda < 1");
    }
    if (!(a > 0 && a <= 1)) {
      throw new IllegalArgumentException("mcs: A=" + a + ", expected 0 < A <= 1");
    }
    if (!(k >= 0 && k * a <= 1) || !Double.isFinite(k)) {
      throw new IllegalArgumentException(
          "mcs: k=" + k + " with A=" + a + ", expected k >= 0 and k * A <= 1");
    }
    this.lambda = lambda;
    this.k = k;
    this.a = a;
  }

  @Override
  public String name() {
    return "mcs";
  }

  @Override
  public QuantGranularity clipGranularity() {
    return QuantGranularity.PER_COLUMN;
  }

  public double lambda() {
    return lambda;
  }

  public double k() {
    return k;
  }

  public double a() {
    return a;
  }

  /** The class of each channel at the latest update (empty before the first). */
  public ChannelClass[] channelClasses() {
    return last == null ? new ChannelClass[0] : last.channelClasses();
  }

  @Override
  public ClipStats update(
      Int8Backend backend, OffHeapAllocator allocator, Float32Buffer gradient, int rows, int cols) {
    ClippingStrategies.checkShape("mcs", backend, gradient, rows, cols);
    if (previous != null && previous.length != cols) {
      throw new IllegalArgumentException(
          "mcs: "
              + cols
              + " channels, but this layer had "
              + previous.length
              + " (one strategy per layer; reset() to start over)");
    }
    float[] channelMax =
        ClippingStrategies.columnMax("mcs", backend, allocator, gradient, rows, cols);
    float[] fraction;
    try (Float32Buffer out = allocator.allocateFloat32(cols)) {
      backend.channelFractionAboveStd(rows, cols, gradient, out);
      fraction = out.toArray();
    }
    ChannelClass[] classes = new ChannelClass[cols];
    float[] clips = new float[cols];
    float max = 0f;
    for (int c = 0; c < cols; c++) {
      max = Math.max(max, channelMax[c]);
      classes[c] = fraction[c] > lambda ? ChannelClass.GAUSSIAN : ChannelClass.INVERTED_T;
      if (previous == null || classes[c] == ChannelClass.GAUSSIAN) {
        clips[c] = channelMax[c];
      } else {
        clips[c] = (float) ((1 - k * a) * previous[c] + a * channelMax[c]);
      }
    }
    previous = clips;
    last =
        new ClipStats(
            name(),
            steps,
            QuantGranularity.PER_COLUMN,
            max,
            clips,
            channelMax,
            Double.NaN,
            Double.NaN,
            classes);
    steps++;
    return last;
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
    previous = null;
    last = null;
  }

  /**
   * Values: {@code [lambda, k, A, s_0 .. s_{C-1}]}, the settings and then the previous clip of
   * each of the C channels, absent (three values only) before the first update.
   */
  @Override
  public ClippingState exportState() {
    int channels = previous == null ? 0 : previous.length;
    double[] v = new double[3 + channels];
    v[0] = lambda;
    v[1] = k;
    v[2] = a;
    for (int c = 0; c < channels; c++) {
      v[3 + c] = previous[c]; // float to double and back is exact
    }
    return new ClippingState(name(), steps, v);
  }

  @Override
  public void importState(ClippingState state) {
    ClippingStrategies.checkState(state, name(), 3, true);
    ClippingStrategies.checkSetting(name(), "lambda", state.value(0), lambda);
    ClippingStrategies.checkSetting(name(), "k", state.value(1), k);
    ClippingStrategies.checkSetting(name(), "A", state.value(2), a);
    int channels = state.size() - 3;
    // every update sets the previous clips, so they exist exactly when an update has happened
    if ((channels == 0) != (state.steps() == 0)) {
      throw new IllegalArgumentException(
          "mcs state: "
              + channels
              + " channel clips after "
              + state.steps()
              + " steps, expected none before the first update and some after");
    }
    float[] prev = channels == 0 ? null : new float[channels];
    for (int c = 0; c < channels; c++) {
      double v = state.value(3 + c);
      if (!(v >= 0) || Double.isInfinite(v) || (float) v != v) {
        throw new IllegalArgumentException(
            "mcs state: clip " + v + " of channel " + c + ", expected a finite float >= 0");
      }
      prev[c] = (float) v;
    }
    steps = state.steps();
    previous = prev;
    last = null;
  }
}
