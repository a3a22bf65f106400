package io.sparkint8.nn;

import io.sparkint8.kernels.spi.ShiftQuant;
import io.sparkint8.quant.ClippingKind;
import io.sparkint8.quant.Dclrs;

/**
 * How a network computes: which GEMMs are int8, at how many bits the errors are quantized (and, below
 * 8 bits, in which power-of-two groups: ShiftQuant, 0 = per tensor or channel), how errors are clipped, whether DCLRS scales per-layer learning rates, the weight scale granularity,
 * the BatchNorm settings (including the rectification weight, 0 = off) and the seed of weight
 * initialization and stochastic rounding. Saved with every model (ModelState). Immutable and
 * validated.
 */
public record EngineConfig(
    Precision precision,
    int gradientBits,
    int gradientGroupSize,
    ClippingKind clipping,
    int clipUpdateInterval,
    Dclrs dclrs,
    WeightScaling weightScaling,
    double bnRectification,
    double bnMomentum,
    double bnEps,
    long seed) {

  public EngineConfig {
    if (precision == null || clipping == null || weightScaling == null) {
      throw new IllegalArgumentException("engine config: precision=" + precision + ", clipping="
          + clipping + ", weightScaling=" + weightScaling + ", expected none of them null");
    }
    if (gradientBits < 2 || gradientBits > 8) {
      throw new IllegalArgumentException("gradientBits=" + gradientBits + ", expected 2..8");
    }
    if (gradientGroupSize < 0 || gradientGroupSize > MAX_GROUP_SIZE) {
      throw new IllegalArgumentException("gradientGroupSize=" + gradientGroupSize
          + ", expected 0 (no groups) or 1.." + MAX_GROUP_SIZE);
    }
    if (clipUpdateInterval < 1) {
      throw new IllegalArgumentException(
          "clipUpdateInterval=" + clipUpdateInterval + ", expected >= 1");
    }
    if (dclrs == null) {
      throw new IllegalArgumentException("dclrs must not be null (use Dclrs.off())");
    }
    if (!(bnRectification >= 0) || Double.isInfinite(bnRectification)) {
      throw new IllegalArgumentException(
          "bnRectification=" + bnRectification + ", expected a finite value >= 0 (0 = off)");
    }
    if (!(bnMomentum > 0 && bnMomentum <= 1)) {
      throw new IllegalArgumentException("bnMomentum=" + bnMomentum + ", expected in (0, 1]");
    }
    if (!(bnEps > 0) || Double.isInfinite(bnEps)) {
      throw new IllegalArgumentException("bnEps=" + bnEps + ", expected a finite value > 0");
    }
  }

  /** The default ShiftQuant group: 64 error values of one channel share a power-of-two scale. */
  public static final int DEFAULT_GROUP_SIZE = 64;

  /** The largest group the ShiftQuant kernels take. */
  public static final int MAX_GROUP_SIZE = ShiftQuant.MAX_GROUP;

  /**
   * Defaults for a precision: 8-bit errors (groups of 64 below 8 bits), DSGC every 100 steps with
   * DCLRS, per-channel weights.
   */
  public static EngineConfig defaults(Precision precision) {
    return new EngineConfig(precision, 8, DEFAULT_GROUP_SIZE, ClippingKind.DSGC, 100,
        Dclrs.defaults(),
        WeightScaling.PER_CHANNEL, 1e-4, 0.1, 1e-5, 42L);
  }

  /** Whether weights get one scale per output channel ({@link WeightScaling#PER_CHANNEL}). */
  public boolean weightPerChannel() {
    return weightScaling == WeightScaling.PER_CHANNEL;
  }

  public EngineConfig withClipping(ClippingKind newClipping) {
    return new EngineConfig(precision, gradientBits, gradientGroupSize,
        newClipping, clipUpdateInterval, dclrs,
        weightScaling, bnRectification, bnMomentum, bnEps, seed);
  }

  public EngineConfig withGradientBits(int bits) {
    return new EngineConfig(precision, bits, gradientGroupSize,
        clipping, clipUpdateInterval, dclrs,
        weightScaling, bnRectification, bnMomentum, bnEps, seed);
  }

  /** Below 8 gradient bits: the ShiftQuant group size, 0 for per-tensor or per-channel scales. */
  public EngineConfig withGradientGroupSize(int groupSize) {
    return new EngineConfig(precision, gradientBits, groupSize, clipping, clipUpdateInterval, dclrs,
        weightScaling, bnRectification, bnMomentum, bnEps, seed);
  }

  /**
   * Whether the errors of int8 backward GEMMs are quantized with ShiftQuant's power-of-two group
   * scales: below 8 bits with a group size.
   */
  public boolean shiftQuant() {
    return gradientBits < 8 && gradientGroupSize > 0;
  }

  public EngineConfig withClipUpdateInterval(int steps) {
    return new EngineConfig(precision, gradientBits, gradientGroupSize,
        clipping, steps, dclrs,
        weightScaling, bnRectification, bnMomentum, bnEps, seed);
  }

  public EngineConfig withDclrs(Dclrs newDclrs) {
    return new EngineConfig(precision, gradientBits, gradientGroupSize,
        clipping, clipUpdateInterval, newDclrs,
        weightScaling, bnRectification, bnMomentum, bnEps, seed);
  }

  public EngineConfig withWeightScaling(WeightScaling scaling) {
    return new EngineConfig(precision, gradientBits, gradientGroupSize,
        clipping, clipUpdateInterval, dclrs,
        scaling, bnRectification, bnMomentum, bnEps, seed);
  }

  public EngineConfig withBnRectification(double lambda) {
    return new EngineConfig(precision, gradientBits, gradientGroupSize,
        clipping, clipUpdateInterval, dclrs,
        weightScaling, lambda, bnMomentum, bnEps, seed);
  }

  public EngineConfig withBnMomentum(double momentum) {
    return new EngineConfig(precision, gradientBits, gradientGroupSize,
        clipping, clipUpdateInterval, dclrs,
        weightScaling, bnRectification, momentum, bnEps, seed);
  }

  public EngineConfig withSeed(long newSeed) {
    return new EngineConfig(precision, gradientBits, gradientGroupSize,
        clipping, clipUpdateInterval, dclrs,
        weightScaling, bnRectification, bnMomentum, bnEps, newSeed);
  }
}
