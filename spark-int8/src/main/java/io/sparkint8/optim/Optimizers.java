package io.sparkint8.optim;

/** Makes optimizers from their name or config. */
public final class Optimizers {
  private Optimizers() {}

  /** The optimizer named {@code name} with its defaults ({@link OptimizerConfig#defaults}). */
  public static Optimizer create(String name) {
    return create(OptimizerConfig.defaults(name));
  }

  /** The optimizer of {@code kind} with its defaults. */
  public static Optimizer create(OptimizerKind kind) {
    return create(OptimizerConfig.defaults(kind));
  }

  public static Optimizer create(OptimizerConfig config) {
    return switch (config.kind()) {
      case SGD -> new SgdOptimizer(config);
      case LARS -> new LarsOptimizer(config);
      case ADAM, ADAMW -> new AdamOptimizer(config);
      case LAMB -> new LambOptimizer(config);
    };
  }
}
