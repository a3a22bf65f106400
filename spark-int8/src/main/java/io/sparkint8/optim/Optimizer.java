package io.sparkint8.optim;

import java.util.List;

/**
 * Updates master weights from their gradients, one step at a time.
 *
 * <p>Each step uses the learning rate {@code lr} times each parameter's {@link
 * Parameter#lrFactor()}. State (momentum, Adam moments, the step count) is kept per parameter name
 * and created, zero, the first time a name is seen; {@link #state()} and {@link #restore} carry it
 * through a checkpoint so a resumed run continues bit for bit. Implementations are deterministic
 * and not thread-safe.
 */
public interface Optimizer {

  OptimizerConfig config();

  /** The label of {@link #config()}'s kind, also recorded in {@link OptimizerState}. */
  default String name() {
    return config().kind().label();
  }

  /**
   * Applies one update to every parameter, in list order. Arguments are checked (lr finite and >=
   * 0, unique names, state of matching size) before any weight changes.
   */
  void step(List<Parameter> params, double lr);

  /** Steps taken so far (Adam's bias correction uses it). */
  long steps();

  /** A deep copy of the state. */
  OptimizerState state();

  /**
   * Replaces this optimizer's state with a copy of {@code state}, which must come from an optimizer
   * of the same kind.
   */
  void restore(OptimizerState state);
}
