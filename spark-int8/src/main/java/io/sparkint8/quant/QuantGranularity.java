package io.sparkint8.quant;

/**
 * What a layer's clip values are per: the whole error tensor, or each channel. The error of a
 * conv/fc layer is channel-last ([N*H*W x C]), so a channel is a column; per-column clips quantize
 * the error's transpose row by row.
 */
public enum QuantGranularity {
  /** One clip for the whole matrix. */
  PER_TENSOR("per-tensor"),
  /** One clip per column: per channel of a channel-last activation or error. */
  PER_COLUMN("per-column");

  private final String label;

  QuantGranularity(String label) {
    this.label = label;
  }

  /** The name used in logs. */
  public String label() {
    return label;
  }
}
