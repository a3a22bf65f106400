package io.sparkint8.quant;

import io.sparkint8.kernels.spi.Rounding;
import java.util.Locale;

/**
 * What a {@link Quantizer} does, validated once: symmetric codes of {@code bits} bits (2..8, range
 * ±(2^(bits-1) - 1)), scales per {@link QuantGranularity}, power-of-two scales or not, and the
 * rounding.
 *
 * <p>{@code groupSize} is the number of consecutive columns sharing a scale under {@link
 * QuantGranularity#GROUP} and must be 0 otherwise, so a group size never silently does nothing.
 * With {@code pow2Scales} each clip value is rounded up to a power of two, which turns rescaling a
 * group into a shift (ShiftQuant, ALGORITHMS.md §5); it is allowed with every granularity.
 */
public record QuantizerConfig(
    int bits, QuantGranularity granularity, int groupSize, boolean pow2Scales, Rounding rounding) {

  public QuantizerConfig {
    if (bits < 2 || bits > 8) {
      throw new IllegalArgumentException("bits=" + bits + ", expected 2..8");
    }
    if (granularity == null) {
      throw new IllegalArgumentException("granularity must not be null");
    }
    if (rounding == null) {
      throw new IllegalArgumentException("rounding must not be null");
    }
    if (granularity == QuantGranularity.GROUP && groupSize < 1) {
      throw new IllegalArgumentException(
          "groupSize=" + groupSize + " with granularity group, expected >= 1");
    }
    if (granularity != QuantGranularity.GROUP && groupSize != 0) {
      throw new IllegalArgumentException(
          "groupSize="
              + groupSize
              + " with granularity "
              + granularity.label()
              + ", expected 0 (group sizes apply to granularity group only)");
    }
  }

  /** 8 bits, one scale, round to nearest: the forward-operand default. */
  public static QuantizerConfig int8PerTensor() {
    return perTensor(8);
  }

  public static QuantizerConfig perTensor(int bits) {
    return new QuantizerConfig(bits, QuantGranularity.PER_TENSOR, 0, false, Rounding.NEAREST);
  }

  public static QuantizerConfig perRow(int bits) {
    return new QuantizerConfig(bits, QuantGranularity.PER_ROW, 0, false, Rounding.NEAREST);
  }

  public static QuantizerConfig perColumn(int bits) {
    return new QuantizerConfig(bits, QuantGranularity.PER_COLUMN, 0, false, Rounding.NEAREST);
  }

  /**
   * ShiftQuant: groups of {@code groupSize} columns with power-of-two scales, stochastic rounding.
   */
  public static QuantizerConfig shiftQuant(int bits, int groupSize) {
    return new QuantizerConfig(bits, QuantGranularity.GROUP, groupSize, true, Rounding.STOCHASTIC);
  }

  public QuantizerConfig withBits(int newBits) {
    return new QuantizerConfig(newBits, granularity, groupSize, pow2Scales, rounding);
  }

  public QuantizerConfig withRounding(Rounding newRounding) {
    return new QuantizerConfig(bits, granularity, groupSize, pow2Scales, newRounding);
  }

  public QuantizerConfig withPow2Scales(boolean newPow2Scales) {
    return new QuantizerConfig(bits, granularity, groupSize, newPow2Scales, rounding);
  }

  /** The largest code, 2^(bits-1) - 1. */
  public int qmax() {
    return (1 << (bits - 1)) - 1;
  }

  /** Number of scales of a rows x cols matrix quantized with this configuration. */
  public int groups(int rows, int cols) {
    switch (granularity) {
      case PER_TENSOR:
        return 1;
      case PER_ROW:
        return rows;
      case PER_COLUMN:
        return cols;
      default:
        return Math.multiplyExact(rows, (cols + groupSize - 1) / groupSize);
    }
  }

  /** {@code nearest} or {@code stochastic}. */
  public static Rounding roundingByName(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    switch (n) {
      case "nearest":
        return Rounding.NEAREST;
      case "stochastic":
        return Rounding.STOCHASTIC;
      default:
        throw new IllegalArgumentException(
            "rounding=" + name + ": expected one of nearest, stochastic");
    }
  }
}
