package io.sparkint8.quant;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a {@link ClippingStrategy} decided at one step, for the quantizer and for the step's
 * statistics. Immutable: arrays are copied in and out.
 *
 * @param strategy the strategy's name ({@code max}, {@code dsgc}, {@code mcs})
 * @param step the strategy's step counter, 0 at the first update
 * @param granularity what the clip values are per: {@link QuantGranularity#PER_TENSOR} (one value)
 *     or {@link QuantGranularity#PER_COLUMN} (one per channel)
 * @param max max|g| over the whole tensor
 * @param clips the clip values, one per scale of the granularity
 * @param channelMax max|g| per channel, empty for per-tensor strategies
 * @param deviation DSGC's 1 - cos(g, ĝ) at the chosen clip, NaN when not measured
 * @param ratio clip / max chosen by DSGC's search, NaN for other strategies
 * @param channelClasses GVQ's class of every channel, empty when not classified
 * @param appliedSums DSGC's cosine sums at the clip applied this step: {x·x̂, |x̂|², |x|²} (so
 *     that partitions can add them and form the deviation of their union), empty when not
 *     measured at this step
 * @param searchSums DSGC's sums of this step's search, laid out as {@link
 *     DsgcClipping#candidateRatios()}: x·x̂ per ratio, then |x̂|² per ratio, then |x|²; zeros for a
 *     ratio whose clip underflowed; empty when no search ran at this step
 */
public record ClipStats(
    String strategy,
    long step,
    QuantGranularity granularity,
    float max,
    float[] clips,
    float[] channelMax,
    double deviation,
    double ratio,
    ChannelClass[] channelClasses,
    double[] appliedSums,
    double[] searchSums) {

  /** Stats without cosine sums (strategies other than DSGC, or a step that measured nothing). */
  public ClipStats(String strategy, long step, QuantGranularity granularity, float max,
      float[] clips, float[] channelMax, double deviation, double ratio,
      ChannelClass[] channelClasses) {
    this(strategy, step, granularity, max, clips, channelMax, deviation, ratio, channelClasses,
        null, null);
  }

  public ClipStats {
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(granularity, "granularity");
    clips = clips.clone();
    channelMax = channelMax == null ? new float[0] : channelMax.clone();
    channelClasses = channelClasses == null ? new ChannelClass[0] : channelClasses.clone();
    appliedSums = appliedSums == null ? new double[0] : appliedSums.clone();
    searchSums = searchSums == null ? new double[0] : searchSums.clone();
    if (appliedSums.length != 0 && appliedSums.length != 3) {
      throw new IllegalArgumentException(
          "ClipStats: " + appliedSums.length + " applied cosine sums, expected 0 or 3");
    }
    if (granularity == QuantGranularity.PER_TENSOR && clips.length != 1) {
      throw new IllegalArgumentException(
          "ClipStats: per-tensor stats with " + clips.length + " clip values, expected 1");
    }
  }

  @Override
  public float[] clips() {
    return clips.clone();
  }

  @Override
  public float[] channelMax() {
    return channelMax.clone();
  }

  @Override
  public ChannelClass[] channelClasses() {
    return channelClasses.clone();
  }

  @Override
  public double[] appliedSums() {
    return appliedSums.clone();
  }

  @Override
  public double[] searchSums() {
    return searchSums.clone();
  }

  /** The clip value of a per-tensor strategy. */
  public float clip() {
    if (clips.length != 1) {
      throw new IllegalStateException(
          strategy
              + " has "
              + clips.length
              + " clip values ("
              + granularity.label()
              + "), not one");
    }
    return clips[0];
  }

  public float clip(int index) {
    return clips[index];
  }

  public int channels() {
    return clips.length;
  }

  public boolean hasDeviation() {
    return !Double.isNaN(deviation);
  }

  /** Channels classified Gaussian (0 when not classified). */
  public int gaussianChannels() {
    int n = 0;
    for (ChannelClass c : channelClasses) {
      n += c == ChannelClass.GAUSSIAN ? 1 : 0;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ClipStats)) {
      return false;
    }
    ClipStats s = (ClipStats) o;
    return strategy.equals(s.strategy)
        && step == s.step
        && granularity == s.granularity
        && Float.compare(max, s.max) == 0
        && Arrays.equals(clips, s.clips)
        && Arrays.equals(channelMax, s.channelMax)
        && Double.compare(deviation, s.deviation) == 0
        && Double.compare(ratio, s.ratio) == 0
        && Arrays.equals(channelClasses, s.channelClasses)
        && Arrays.equals(appliedSums, s.appliedSums)
        && Arrays.equals(searchSums, s.searchSums);
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(strategy, step, granularity, max, deviation, ratio);
    h = 31 * h + Arrays.hashCode(clips);
    h = 31 * h + Arrays.hashCode(channelMax);
    return 31 * h + Arrays.hashCode(channelClasses);
  }

  @Override
  public String toString() {
    StringBuilder b =
        new StringBuilder("ClipStats[").append(strategy).append(", step ").append(step);
    b.append(", max ").append(max);
    if (clips.length == 1) {
      b.append(", clip ").append(clips[0]);
    } else {
      b.append(", ").append(clips.length).append(" channel clips");
    }
    if (hasDeviation()) {
      b.append(", deviation ").append(deviation);
    }
    if (!Double.isNaN(ratio)) {
      b.append(", ratio ").append(ratio);
    }
    if (channelClasses.length > 0) {
      b.append(", ")
          .append(gaussianChannels())
          .append('/')
          .append(channelClasses.length)
          .append(" gaussian");
    }
    return b.append(']').toString();
  }
}
