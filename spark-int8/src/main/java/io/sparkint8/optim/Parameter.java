package io.sparkint8.optim;

import java.util.Objects;

/**
 * One named fp32 master tensor and its gradient, as the optimizer sees it.
 *
 * <p>The arrays are held, not copied: the optimizer updates {@link #values()} in place and reads
 * {@link #grad()}, which the trainer refills before each step. {@code decay} is false for biases
 * and BatchNorm γ/β, which then get no weight decay and no LARS/LAMB trust ratio (decaying them
 * only shrinks the network's expressiveness, Goyal et al.). The LR factor is the per-layer DCLRS φ
 * (ALGORITHMS.md §2), 1 unless the trainer sets it; it multiplies the learning rate of every
 * optimizer.
 *
 * <p>Not thread-safe: it belongs to the driver's single optimizer loop.
 */
public final class Parameter {
  private final String name;
  private final float[] values;
  private final float[] grad;
  private final boolean decay;
  private double lrFactor = 1.0;

  /**
   * @param name unique among the parameters given to one optimizer (its state is keyed by name)
   * @param values the master weights, updated in place
   * @param grad the gradient, same length as {@code values}
   * @param decay whether weight decay and trust ratios apply
   */
  public Parameter(String name, float[] values, float[] grad, boolean decay) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(grad, "grad");
    Checks.require(!name.isEmpty(), "parameter", "name", "\"\"", "a non-empty name");
    Checks.require(grad.length == values.length, "parameter " + name, "grad.length", grad.length,
        values.length + " (= values.length)");
    this.name = name;
    this.values = values;
    this.grad = grad;
    this.decay = decay;
  }

  /** A conv/linear weight: decayed, with a fresh zero gradient. */
  public static Parameter weight(String name, float[] values) {
    return new Parameter(name, values, new float[values.length], true);
  }

  /** A bias or BatchNorm γ/β: never decayed, with a fresh zero gradient. */
  public static Parameter noDecay(String name, float[] values) {
    return new Parameter(name, values, new float[values.length], false);
  }

  public String name() {
    return name;
  }

  /** The live master weights (not a copy). */
  public float[] values() {
    return values;
  }

  /** The live gradient (not a copy). */
  public float[] grad() {
    return grad;
  }

  public int size() {
    return values.length;
  }

  public boolean decay() {
    return decay;
  }

  public double lrFactor() {
    return lrFactor;
  }

  /** Sets the per-layer LR factor (DCLRS φ) for the next steps; finite and >= 0. */
  public void setLrFactor(double factor) {
    Checks.nonNegative("parameter " + name, "lrFactor", factor);
    this.lrFactor = factor;
  }

  @Override
  public String toString() {
    return "Parameter[" + name + ", size=" + values.length + ", decay=" + decay + ", lrFactor="
        + lrFactor + "]";
  }
}
