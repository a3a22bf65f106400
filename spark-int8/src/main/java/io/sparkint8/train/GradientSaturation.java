package io.sparkint8.train;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * No step loses gradient silently to the shared scales. The scales of step t come from step t-1's
 * max|g| with headroom ({@link SharedScales}), so a gradient spike, or a tensor that wakes up,
 * clips at +-127 codes. After the aggregation the driver knows, per tensor, how many values were
 * beyond their clip; if more than {@link #MAX_FRACTION} of one tensor's codes saturated, the step
 * is computed again with scales from this step's own aggregated max|g| (no headroom needed: the
 * max is exact) and that aggregate is applied. The redo sees the same broadcast state, step number
 * and partitions, so its gradients, and therefore its max, are the first attempt's bit for bit:
 * nothing clips in it, and the step stays deterministic. It costs one more step only when it
 * happens.
 */
public final class GradientSaturation {
  /** The fraction of a tensor's codes that may saturate before the step is redone. */
  public static final double MAX_FRACTION = 1e-3;

  /**
   * Test hook: a Spark local property of the thread that calls fit. At the step it names, every
   * partition multiplies its gradients by {@link #TEST_SPIKE_FACTOR} before quantizing them (in
   * every attempt, so the redo sees the same spike): a gradient spike on demand.
   */
  public static final String TEST_SPIKE_AT_STEP = "spark.int8.test.gradientSpikeAtStep";

  /** The factor of {@link #TEST_SPIKE_AT_STEP}. */
  public static final float TEST_SPIKE_FACTOR = 10f;

  private GradientSaturation() {}

  /**
   * An aggregated step as applied, and what the saturation check saw.
   *
   * @param applied the aggregate to apply (the redo's when there was one)
   * @param saturatedCodes gradient values beyond their clip in the first attempt
   * @param saturatedTensors the tensors beyond {@link #MAX_FRACTION} in the first attempt
   * @param redone whether the step was computed again
   */
  public record Outcome(GradientAccumulator applied, long saturatedCodes,
      int[] saturatedTensors, boolean redone) {}

  /** The tensors of {@code acc} with more than {@link #MAX_FRACTION} of their codes saturated. */
  public static int[] saturatedTensors(GradientAccumulator acc) {
    if (acc.isEmpty() || acc.isFp32()) {
      return new int[0];
    }
    List<Integer> out = new ArrayList<>();
    for (int t = 0; t < acc.tensorCount(); t++) {
      // codes of a tensor = its length x the partitions that sent one
      double codes = (double) acc.tensorLength(t) * acc.addends();
      if (acc.clippedCount(t) > MAX_FRACTION * codes) {
        out.add(t);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * The headroom of a tensor with fewer than 1 / {@link #MAX_FRACTION} codes per step (length x
   * partitions). For such a tensor (biases, BN scales and shifts) a single value beyond the clip
   * already exceeds the threshold and forces a redo, and the max of a few values moves more from
   * step to step than that of many: with the default 1.5 half the steps of a fit were redone
   * (FitSmokeTest, 32 steps: 16 redone; with 4: 2, with 8: 2). These tensors hold a negligible
   * share of the bytes; 2 bits of their resolution (stochastic rounding keeps them unbiased) buy
   * the redos back.
   */
  public static final float SMALL_TENSOR_HEADROOM = 4f;

  /**
   * The next step's scales from this step's aggregate: max|g| x {@link
   * SharedScales#DEFAULT_HEADROOM}, or x {@link #SMALL_TENSOR_HEADROOM} for a tensor whose codes
   * are too few for the threshold to allow a saturated one.
   */
  public static SharedScales nextScales(GradientAccumulator acc) {
    float[] headroom = new float[acc.tensorCount()];
    for (int t = 0; t < headroom.length; t++) {
      double codes = (double) acc.tensorLength(t) * acc.addends();
      headroom[t] = codes * MAX_FRACTION < 1 ? SMALL_TENSOR_HEADROOM
          : SharedScales.DEFAULT_HEADROOM;
    }
    return SharedScales.fromMaxima(acc.maxAbs(), headroom);
  }

  /** The scales of a redo: this step's aggregated max|g| itself (headroom 1). */
  public static SharedScales redoScales(GradientAccumulator acc) {
    return SharedScales.fromMaxima(acc.maxAbs(), 1f);
  }

  /**
   * Runs one aggregated step with {@code scales} and, if it saturated, once more with {@link
   * #redoScales}. {@code step} maps the scales to the step's aggregate (null scales: fp32, never
   * redone).
   */
  public static Outcome aggregate(SharedScales scales,
      Function<SharedScales, GradientAccumulator> step) {
    GradientAccumulator first = step.apply(scales);
    int[] saturated = scales == null ? new int[0] : saturatedTensors(first);
    long codes = first.isEmpty() ? 0 : first.clippedCount();
    if (saturated.length == 0) {
      return new Outcome(first, codes, saturated, false);
    }
    return new Outcome(step.apply(redoScales(first)), codes, saturated, true);
  }
}
