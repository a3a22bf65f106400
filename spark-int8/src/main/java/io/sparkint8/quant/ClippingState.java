package io.sparkint8.quant;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a {@link ClippingStrategy} carries from one update to the next, for a checkpoint: restored
 * with {@link ClippingStrategy#importState} into a new strategy of the same name and settings, it
 * makes the next updates give exactly the clips the original would have given.
 *
 * <p>The values are the strategy's own, as doubles so one array type serves every strategy (the
 * floats and integers stored in them convert back exactly). Each strategy documents its layout at
 * {@link ClippingStrategy#exportState}; the settings come first so an import into a strategy
 * configured differently fails instead of silently continuing with other clips. Immutable: the
 * array is copied in and out.
 *
 * @param strategy the strategy's name ({@code max}, {@code dsgc}, {@code mcs})
 * @param steps the number of updates so far, >= 0
 * @param values the strategy's settings and state
 */
public record ClippingState(String strategy, long steps, double[] values) {

  public ClippingState {
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(values, "values");
    if (steps < 0) {
      throw new IllegalArgumentException(strategy + " state: steps=" + steps + ", expected >= 0");
    }
    values = values.clone();
  }

  @Override
  public double[] values() {
    return values.clone();
  }

  /** The number of values, without copying them. */
  public int size() {
    return values.length;
  }

  /** One value, without copying the array. */
  public double value(int index) {
    return values[index];
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ClippingState)) {
      return false;
    }
    ClippingState s = (ClippingState) o;
    // Arrays.equals on doubles compares bit patterns, so NaN (DSGC's unknown deviation) equals NaN
    return strategy.equals(s.strategy) && steps == s.steps && Arrays.equals(values, s.values);
  }

  @Override
  public int hashCode() {
    return 31 * Objects.hash(strategy, steps) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    // short states are printed whole so a failed comparison shows what differs
    return "ClippingState["
        + strategy
        + ", steps "
        + steps
        + ", "
        + (values.length <= 8 ? Arrays.toString(values) : values.length + " values")
        + "]";
  }
}
