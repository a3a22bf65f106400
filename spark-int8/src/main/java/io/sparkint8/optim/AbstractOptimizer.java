package io.sparkint8.optim;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The step protocol shared by every optimizer: check everything first, count the step, then update
 * the parameters in list order; and the per-parameter buffers behind {@link #state()}.
 */
abstract class AbstractOptimizer implements Optimizer {
  private final OptimizerConfig config;
  private final List<String> bufferNames;
  private final Map<String, float[]> buffers = new TreeMap<>();
  private long steps;

  AbstractOptimizer(OptimizerConfig config, List<String> bufferNames) {
    this.config = Objects.requireNonNull(config, "config");
    this.bufferNames = List.copyOf(bufferNames);
  }

  /**
   * Updates one parameter.
   *
   * @param lrTimesFactor lr · the parameter's LR factor, in double; each optimizer rounds its own
   *     final step size to float once
   * @param t the step number, 1 on the first step
   */
  abstract void update(Parameter p, double lrTimesFactor, long t);

  @Override
  public final OptimizerConfig config() {
    return config;
  }

  @Override
  public final void step(List<Parameter> params, double lr) {
    Objects.requireNonNull(params, "params");
    Checks.nonNegative("optimizer " + name(), "lr", lr);
    // Validate the whole list before touching any weight, so a bad call leaves the model unchanged.
    Set<String> seen = new HashSet<>();
    for (Parameter p : params) {
      Objects.requireNonNull(p, "parameter");
      Checks.require(seen.add(p.name()), "optimizer " + name(), "parameter name", p.name(),
          "unique names in one step");
      for (String b : bufferNames) {
        float[] existing = buffers.get(key(b, p));
        Checks.require(existing == null || existing.length == p.size(),
            "optimizer " + name() + ", parameter " + p.name(), "size", p.size(),
            (existing == null ? 0 : existing.length) + " (the size of its saved " + b + " buffer)");
      }
    }
    steps++;
    for (Parameter p : params) {
      update(p, lr * p.lrFactor(), steps);
    }
  }

  /** The buffer {@code name} of {@code p}, created zero on first use. */
  final float[] buffer(String name, Parameter p) {
    return buffers.computeIfAbsent(key(name, p), k -> new float[p.size()]);
  }

  @Override
  public final long steps() {
    return steps;
  }

  @Override
  public final OptimizerState state() {
    return new OptimizerState(name(), steps, buffers);
  }

  @Override
  public final void restore(OptimizerState state) {
    Objects.requireNonNull(state, "state");
    Checks.require(state.optimizer().equals(name()), "optimizer " + name(), "state.optimizer",
        state.optimizer(), name());
    Map<String, float[]> restored = state.buffers();
    for (String key : restored.keySet()) {
      String buffer = key.substring(0, key.indexOf('/'));
      Checks.require(bufferNames.contains(buffer), "optimizer " + name(), "state buffer", key,
          "a key starting with one of " + bufferNames);
    }
    buffers.clear();
    buffers.putAll(restored);
    steps = state.step();
  }

  private static String key(String buffer, Parameter p) {
    return buffer + "/" + p.name();
  }
}
