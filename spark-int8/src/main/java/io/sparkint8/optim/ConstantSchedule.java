package io.sparkint8.optim;

import java.util.Objects;

/**
 * A constant rate after an optional warmup.
 *
 * @param base the rate, finite and > 0
 * @param warmup the warmup ({@link Warmup#none()} for none)
 */
public record ConstantSchedule(double base, Warmup warmup) implements LrSchedule {

  public ConstantSchedule {
    Checks.positive("constant schedule", "base", base);
    Objects.requireNonNull(warmup, "warmup");
  }

  @Override
  public double lr(double epoch) {
    LrSchedule.checkEpoch(epoch);
    return warmup.covers(epoch) ? warmup.lr(base, epoch) : base;
  }
}
