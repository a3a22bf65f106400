package io.sparkint8.optim;

import java.util.Objects;

/**
 * Step decay: base·γ^⌊epoch/every⌋ after the warmup, with epochs counted from the start of training
 * (Goyal et al.: ×0.1 at epochs 30, 60, 80 whatever the warmup). The decay applies from the first
 * step of epoch k·every on.
 *
 * @param base the initial rate, finite and > 0
 * @param gamma the factor per decay, 0 < γ <= 1
 * @param every the epochs between decays, finite and > 0
 * @param warmup the warmup ({@link Warmup#none()} for none)
 */
public record StepSchedule(double base, double gamma, double every, Warmup warmup)
    implements LrSchedule {

  public StepSchedule {
    Checks.positive("step schedule", "base", base);
    Checks.require(gamma > 0 && gamma <= 1, "step schedule", "gamma", gamma, "0 < gamma <= 1");
    Checks.positive("step schedule", "every", every);
    Objects.requireNonNull(warmup, "warmup");
  }

  @Override
  public double lr(double epoch) {
    LrSchedule.checkEpoch(epoch);
    if (warmup.covers(epoch)) {
      return warmup.lr(base, epoch);
    }
    return base * StrictMath.pow(gamma, Math.floor(epoch / every));
  }
}
