package io.sparkint8.optim;

import io.sparkint8.labels.Labelled;

/** The learning-rate schedules after warmup, by the name used in Params and configs. */
public enum LrScheduleKind implements Labelled {
  /** {@link ConstantSchedule}. */
  CONSTANT("constant", ""),
  /** {@link StepSchedule}: x0.1 after every half of the epochs. */
  STEP("step", "x0.1 after every half of the epochs"),
  /** {@link CosineSchedule} to 0 at the last epoch. */
  COSINE("cosine", "to 0 at the end of the last epoch");

  private final String label;
  private final String note;

  LrScheduleKind(String label, String note) {
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

  /** The kind labelled {@code s} (case-insensitive). */
  public static LrScheduleKind parse(String s) {
    return Labelled.parse(LrScheduleKind.class, "lrSchedule", s);
  }

  /** The schedule of this kind peaking at {@code peak} over {@code epochs} epochs. */
  public LrSchedule create(double peak, int epochs, Warmup warmup) {
    return switch (this) {
      case CONSTANT -> new ConstantSchedule(peak, warmup);
      case STEP -> new StepSchedule(peak, 0.1, Math.max(1.0, epochs / 2.0), warmup);
      case COSINE -> new CosineSchedule(peak, 0, epochs, warmup);
    };
  }
}
