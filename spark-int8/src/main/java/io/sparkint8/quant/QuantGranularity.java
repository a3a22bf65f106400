package io.sparkint8.quant;

import io.sparkint8.kernels.spi.Granularity;
import java.util.Locale;

/**
 * How many scales a quantized rows x cols matrix carries.
 *
 * <p>{@link #PER_COLUMN} exists for channel-last gradients ([N*H*W x C], the layout of G_Y): one
 * scale per channel, i.e. per column. The kernels quantize per row only, so a per-column tensor is
 * quantized as its transpose and its codes are stored channel-major ([cols x rows]); {@link
 * QTensor} records that and dequantizes back to the logical layout.
 */
public enum QuantGranularity {
  /** One scale for the whole matrix. */
  PER_TENSOR("per-tensor"),
  /** One scale per row: per output channel of a weight [out x in]. */
  PER_ROW("per-row"),
  /** One scale per column: per channel of a channel-last activation or gradient. */
  PER_COLUMN("per-column"),
  /** One scale per group of {@code groupSize} consecutive columns of a row (ShiftQuant-style). */
  GROUP("group");

  private final String label;

  QuantGranularity(String label) {
    this.label = label;
  }

  /** The name used in configuration strings. */
  public String label() {
    return label;
  }

  /**
   * The granularity called {@code name}: per-tensor, per-row (alias per-channel, since a weight's
   * channels are its rows), per-column or group.
   */
  public static QuantGranularity byName(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    if (n.equals("per-channel")) {
      return PER_ROW;
    }
    for (QuantGranularity g : values()) {
      if (g.label.equals(n)) {
        return g;
      }
    }
    throw new IllegalArgumentException(
        "granularity="
            + name
            + ": expected one of per-tensor, per-row, per-channel, per-column, group");
  }

  /**
   * The kernel granularity the codes are produced with (per-column runs per-row on the transpose).
   */
  Granularity kernelGranularity() {
    switch (this) {
      case PER_TENSOR:
        return Granularity.PER_TENSOR;
      case GROUP:
        return Granularity.PER_GROUP;
      default:
        return Granularity.PER_ROW;
    }
  }
}
