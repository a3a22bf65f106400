package io.sparkint8.train;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The clip values S_b of one step, one per gradient tensor, shared by all partitions: partition p
 * sends q = SR(127 * clamp(g, S_b) / S_b), so equal scales make the codes of all partitions add
 * exactly. Immutable.
 *
 * <p>S_b for step t comes from step t-1's aggregated max|g| times a headroom factor (ALGORITHMS.md
 * §9), because the scale must be fixed before any partition of step t has computed its gradient.
 * The headroom trades resolution for clipping: max|g| moves from step to step, values beyond S_b
 * are clipped (biased), and a headroom h costs log2(h) bits of resolution. {@link
 * #DEFAULT_HEADROOM} = 1.5 spends 0.6 bit to absorb a 50% rise of the maximum. The first step has
 * no predecessor: run a scale round (aggregate {@link #localMaxima} with a max) or aggregate it in
 * fp32, then use {@link #fromMaxima}.
 */
public final class SharedScales implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The default factor between last step's max|g| and this step's clip. */
  public static final float DEFAULT_HEADROOM = 1.5f;

  /**
   * The clip of every tensor when all gradients of the previous step were exactly zero. Any
   * positive value quantizes a zero gradient exactly; see {@link #fromMaxima} for the choice when
   * only some tensors were zero.
   */
  public static final float ALL_ZERO_SCALE = 1f;

  private final float[] scales;

  private SharedScales(float[] scales) {
    this.scales = scales;
  }

  /** Scales given explicitly; each must be finite and positive. */
  public static SharedScales of(float... scales) {
    float[] s = scales.clone();
    for (int i = 0; i < s.length; i++) {
      if (!(Float.isFinite(s[i]) && s[i] > 0f)) {
        throw new IllegalArgumentException(
            "SharedScales: scale of tensor " + i + " = " + s[i] + ", expected finite and > 0");
      }
    }
    return new SharedScales(s);
  }

  /**
   * Scales from aggregated per-tensor maxima: S_b = headroom * max_b. A tensor whose max_b is 0
   * (its gradient was exactly zero, e.g. a layer behind dead ReLUs) takes the largest scale of the
   * other tensors, or {@link #ALL_ZERO_SCALE} when every tensor was zero: a zero gradient stays
   * exactly zero under any scale, and a tensor that wakes up is then quantized unbiased (with
   * stochastic rounding) instead of clipped to almost nothing by a tiny scale. Gradients beyond
   * that scale are caught by the saturation check ({@link GradientSaturation}), which redoes the
   * step.
   */
  public static SharedScales fromMaxima(float[] maxima, float headroom) {
    float[] h = new float[maxima.length];
    java.util.Arrays.fill(h, headroom);
    return fromMaxima(maxima, h);
  }

  /** As {@link #fromMaxima(float[], float)} with a headroom per tensor. */
  public static SharedScales fromMaxima(float[] maxima, float[] headrooms) {
    if (headrooms.length != maxima.length) {
      throw new IllegalArgumentException("SharedScales: " + headrooms.length + " headrooms for "
          + maxima.length + " tensors, expected one per tensor");
    }
    float[] s = new float[maxima.length];
    float largest = 0f;
    for (int i = 0; i < s.length; i++) {
      float m = maxima[i];
      float headroom = headrooms[i];
      checkHeadroom(headroom);
      if (!(Float.isFinite(m) && m >= 0f)) {
        throw new IllegalArgumentException(
            "SharedScales: max|g| of tensor " + i + " = " + m + ", expected finite and >= 0");
      }
      float scaled = m * headroom;
      if (!Float.isFinite(scaled)) {
        throw new IllegalArgumentException(
            "SharedScales: max|g| of tensor " + i + " = " + m + " times headroom " + headroom
                + " overflows float");
      }
      s[i] = m == 0f ? 0f : Math.max(scaled, Float.MIN_NORMAL);
      largest = Math.max(largest, s[i]);
    }
    for (int i = 0; i < s.length; i++) {
      if (s[i] == 0f) {
        s[i] = largest > 0f ? largest : ALL_ZERO_SCALE;
      }
    }
    return new SharedScales(s);
  }

  /** The next step's scales from this step's aggregated maxima, with the default headroom. */
  public static SharedScales fromMaxima(float[] maxima) {
    return fromMaxima(maxima, DEFAULT_HEADROOM);
  }

  /** max|g| per tensor of one partition's gradients: its input to a scale round. */
  public static float[] localMaxima(float[][] gradients) {
    float[] m = new float[gradients.length];
    for (int t = 0; t < gradients.length; t++) {
      float[] g = gradients[t];
      float max = 0f;
      for (int i = 0; i < g.length; i++) {
        float a = Math.abs(g[i]);
        if (!Float.isFinite(a)) {
          throw new IllegalArgumentException(
              "SharedScales: gradient of tensor " + t + " element " + i + " = " + g[i]
                  + ", expected finite");
        }
        max = Math.max(max, a);
      }
      m[t] = max;
    }
    return m;
  }

  public int size() {
    return scales.length;
  }

  /** S_b of tensor {@code tensor}. */
  public float scale(int tensor) {
    return scales[tensor];
  }

  public float[] toArray() {
    return scales.clone();
  }

  private static void checkHeadroom(float headroom) {
    if (!(Float.isFinite(headroom) && headroom >= 1f)) {
      throw new IllegalArgumentException(
          "SharedScales: headroom = " + headroom + ", expected finite and >= 1");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SharedScales s && Arrays.equals(scales, s.scales);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(scales);
  }

  @Override
  public String toString() {
    return "SharedScales" + Arrays.toString(scales);
  }
}
