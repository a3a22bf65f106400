package io.sparkint8.optim;

import java.util.Objects;

/**
 * Cosine decay from base to a floor (Loshchilov and Hutter 2017, without restarts). The cosine
 * starts where the warmup ends, so the rate is continuous there:
 *
 * <pre>
 *   p  = (epoch − warmup.epochs) / (totalEpochs − warmup.epochs)
 *   lr = floor + (base − floor)·(1 + cos(π·p))/2      (p >= 1: floor)
 * </pre>
 *
 * @param base the rate at the end of the warmup, finite and > 0
 * @param floor the final rate, 0 <= floor <= base
 * @param totalEpochs the epoch at which the floor is reached, finite and > warmup.epochs
 * @param warmup the warmup ({@link Warmup#none()} for none)
 */
public record CosineSchedule(double base, double floor, double totalEpochs, Warmup warmup)
    implements LrSchedule {

  public CosineSchedule {
    Checks.positive("cosine schedule", "base", base);
    Checks.require(floor >= 0 && floor <= base, "cosine schedule", "floor", floor,
        "0 <= floor <= base (" + base + ")");
    Objects.requireNonNull(warmup, "warmup");
    Checks.require(Double.isFinite(totalEpochs) && totalEpochs > warmup.epochs(), "cosine schedule",
        "totalEpochs", totalEpochs, "finite and > warmup epochs (" + warmup.epochs() + ")");
  }

  @Override
  public double lr(double epoch) {
    LrSchedule.checkEpoch(epoch);
    if (warmup.covers(epoch)) {
      return warmup.lr(base, epoch);
    }
    double p = (epoch - warmup.epochs()) / (totalEpochs - warmup.epochs());
    if (p >= 1.0) {
      return floor;
    }
    return floor + (base - floor) * (1.0 + StrictMath.cos(Math.PI * p)) / 2.0;
  }
}
