package io.sparkint8.quant;

import io.sparkint8.labels.Labelled;

/** The error-clipping strategies, by the name used in Params, configs and saved models. */
public enum ClippingKind implements Labelled {
  /** Clip at max|g|: no clipping. */
  MAX("max", "no clipping"),
  /** Direction Sensitive Gradient Clipping (Unified INT8). */
  DSGC("dsgc", "cosine-deviation search"),
  /** Magnitude-aware Clipping with GVQ (Distribution Adaptive INT8). */
  MCS("mcs", "per-channel GVQ classes with magnitude-aware clipping");

  private final String label;
  private final String note;

  ClippingKind(String label, String note) {
    this.label = label;
    this.note = note;
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public String note() {
    return note;
  }

  /** The label, so that messages and records print what users write. */
  @Override
  public String toString() {
    return label;
  }

  /** The kind labelled {@code name} (case-insensitive). */
  public static ClippingKind parse(String name) {
    return Labelled.parse(ClippingKind.class, "clipping", name);
  }

  /** A new strategy with its defaults; {@code bits} is the gradient bit width DSGC evaluates. */
  public ClippingStrategy create(int bits) {
    return create(bits, DsgcClipping.DEFAULT_CLIP_UPDATE_INTERVAL);
  }

  /**
   * A new strategy of this kind. {@code bits} and {@code clipUpdateInterval} are used by {@code
   * dsgc} and validated for every kind, so a bad setting fails whichever is chosen.
   */
  public ClippingStrategy create(int bits, int clipUpdateInterval) {
    DsgcClipping dsgc = new DsgcClipping(bits, clipUpdateInterval, true);
    return switch (this) {
      case MAX -> new MaxClipping();
      case DSGC -> dsgc;
      case MCS -> new McsClipping();
    };
  }
}
