package io.sparkint8.optim;

/**
 * The learning rate as a function of training progress, measured in (fractional) epochs from 0.
 * Implementations are immutable and pure.
 */
public interface LrSchedule {

  /** The rate at {@code epoch} (finite, >= 0; epoch 1.5 is halfway through the second epoch). */
  double lr(double epoch);

  /**
   * The rate for optimizer step {@code step} (0 for the first step of training) when an epoch has
   * {@code stepsPerEpoch} steps: {@code lr(step / stepsPerEpoch)}, so step k·stepsPerEpoch is
   * exactly the start of epoch k.
   */
  default double lr(long step, long stepsPerEpoch) {
    Checks.require(step >= 0, "lr schedule", "step", step, ">= 0");
    Checks.require(stepsPerEpoch >= 1, "lr schedule", "stepsPerEpoch", stepsPerEpoch, ">= 1");
    return lr((double) step / (double) stepsPerEpoch);
  }

  /** Checks an epoch argument; schedules call it first. */
  static void checkEpoch(double epoch) {
    Checks.nonNegative("lr schedule", "epoch", epoch);
  }
}
