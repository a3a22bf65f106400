package io.sparkint8.optim;

/**
 * Linear warmup (Goyal et al. 2017): over the first {@code epochs} epochs the rate climbs in a
 * straight line from {@code startFactor}·base to base, so a large-batch run does not diverge before
 * its statistics settle. {@code epochs} = 0 switches it off.
 *
 * @param epochs warmup length in epochs, finite and >= 0
 * @param startFactor the fraction of the base rate at epoch 0, in [0, 1]; Goyal et al. start at the
 *     small-batch rate, i.e. 256/globalBatch
 */
public record Warmup(double epochs, double startFactor) {

  public Warmup {
    Checks.nonNegative("warmup", "epochs", epochs);
    Checks.require(startFactor >= 0 && startFactor <= 1, "warmup", "startFactor", startFactor,
        "0 <= startFactor <= 1");
  }

  public static Warmup none() {
    return new Warmup(0.0, 1.0);
  }

  public static Warmup linear(double epochs, double startFactor) {
    return new Warmup(epochs, startFactor);
  }

  /** Whether {@code epoch} lies inside the warmup. */
  public boolean covers(double epoch) {
    return epoch < epochs;
  }

  /** The warmup rate at {@code epoch} < epochs: base·(f + (1 − f)·epoch/epochs). */
  public double lr(double base, double epoch) {
    return base * (startFactor + (1.0 - startFactor) * (epoch / epochs));
  }
}
