package io.sparkint8.nn;

import io.sparkint8.quant.ClippingStrategies;
import io.sparkint8.quant.Dclrs;

/**
 * How a network trains: which GEMMs are int8, at how many bits the errors are quantized, how errors are
 * clipped (max, dsgc, mcs), whether DCLRS scales per-layer learning rates, the weight scale granularity,
 * and the BatchNorm settings (including the rectification weight, 0 = off). Immutable and validated.
 */
public record EngineConfig(
    Precision precision,
    int gradientBits,
    String clipping,
    int clipUpdateInterval,
    Dclrs dclrs,
    boolean weightPerChannel,
    double bnRectification,
    double bnMomentum,
    double bnEps,
    long seed) {

  public EngineConfig {
    if (precision == null) {
      throw new IllegalArgumentException("precision must not be null");
    }
    if (gradientBits < 2 || gradientBits > 8) {
      throw new IllegalArgumentException("gradientBits=" + gradientBits + ", expected 2..8");
    }
    if (clipping == null || !ClippingStrategies.NAMES.contains(clipping)) {
      throw new IllegalArgumentException(
          "clipping '" + clipping + "': expected one of " + ClippingStrategies.NAMES);
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

  /** Defaults for a precision: 8-bit errors, DSGC every 100 steps with DCLRS, per-channel weights. */
  public static EngineConfig defaults(Precision precision) {
    return new EngineConfig(
        precision, 8, "dsgc", 100, Dclrs.defaults(), true, 1e-4, 0.1, 1e-5, 42L);
  }

  public EngineConfig withClipping(String newClipping) {
    return new EngineConfig(precision, gradientBits, newClipping, clipUpdateInterval, dclrs,
        weightPerChannel, bnRectification, bnMomentum, bnEps, seed);
  }

  public EngineConfig withGradientBits(int bits) {
    return new EngineConfig(precision, bits, clipping, clipUpdateInterval, dclrs,
        weightPerChannel, bnRectification, bnMomentum, bnEps, seed);
  }

  public EngineConfig withBnRectification(double lambda) {
    return new EngineConfig(precision, gradientBits, clipping, clipUpdateInterval, dclrs,
        weightPerChannel, lambda, bnMomentum, bnEps, seed);
  }

  public EngineConfig withDclrs(Dclrs newDclrs) {
    return new EngineConfig(precision, gradientBits, clipping, clipUpdateInterval, newDclrs,
        weightPerChannel, bnRectification, bnMomentum, bnEps, seed);
  }

  public EngineConfig withSeed(long newSeed) {
    return new EngineConfig(precision, gradientBits, clipping, clipUpdateInterval, dclrs,
        weightPerChannel, bnRectification, bnMomentum, bnEps, newSeed);
  }
}
