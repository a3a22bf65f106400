package io.sparkint8.optim;

import java.util.Objects;

/**
 * The hyper-parameters of one optimizer, validated when built. Fields another kind does not read
 * keep their defaults and are validated all the same, so a config is never half-valid.
 *
 * <p>Defaults ({@link #defaults}): momentum 0.9, Nesterov off, η = 0.001 (LARS), β1 = 0.9, β2 =
 * 0.999, ε = 1e-8, weight decay 0 except adamw and lamb (0.01, as in their papers' reference code).
 * Every value is rounded to float once, when an optimizer uses it.
 *
 * @param kind which optimizer
 * @param momentum sgd/lars momentum μ, 0 <= μ < 1
 * @param nesterov sgd/lars Nesterov momentum; needs μ > 0
 * @param weightDecay wd >= 0: L2 added to the gradient (sgd, lars, adam), decoupled (adamw, lamb)
 * @param eta LARS trust coefficient η > 0
 * @param beta1 Adam/LAMB first-moment decay, 0 <= β1 < 1
 * @param beta2 Adam/LAMB second-moment decay, 0 <= β2 < 1
 * @param eps Adam/LAMB denominator term ε > 0
 */
public record OptimizerConfig(
    OptimizerKind kind,
    double momentum,
    boolean nesterov,
    double weightDecay,
    double eta,
    double beta1,
    double beta2,
    double eps) {

  public static final double DEFAULT_MOMENTUM = 0.9;
  public static final double DEFAULT_ETA = 0.001;
  public static final double DEFAULT_BETA1 = 0.9;
  public static final double DEFAULT_BETA2 = 0.999;
  public static final double DEFAULT_EPS = 1e-8;
  public static final double DEFAULT_DECOUPLED_WEIGHT_DECAY = 0.01;

  public OptimizerConfig {
    Objects.requireNonNull(kind, "kind");
    String owner = "optimizer " + kind.label();
    Checks.unitInterval(owner, "momentum", momentum);
    Checks.require(!nesterov || momentum > 0, owner, "nesterov", nesterov,
        "false when momentum is 0 (Nesterov needs momentum > 0)");
    Checks.nonNegative(owner, "weightDecay", weightDecay);
    Checks.positive(owner, "eta", eta);
    Checks.unitInterval(owner, "beta1", beta1);
    Checks.unitInterval(owner, "beta2", beta2);
    Checks.positive(owner, "eps", eps);
  }

  /** The defaults of {@code kind}. */
  public static OptimizerConfig defaults(OptimizerKind kind) {
    boolean decoupled = kind == OptimizerKind.ADAMW || kind == OptimizerKind.LAMB;
    return new OptimizerConfig(kind, DEFAULT_MOMENTUM, false,
        decoupled ? DEFAULT_DECOUPLED_WEIGHT_DECAY : 0.0, DEFAULT_ETA, DEFAULT_BETA1, DEFAULT_BETA2,
        DEFAULT_EPS);
  }

  /** The defaults of the optimizer named {@code name} ({@link OptimizerKind#parse}). */
  public static OptimizerConfig defaults(String name) {
    return defaults(OptimizerKind.parse(name));
  }

  public OptimizerConfig withMomentum(double value) {
    return new OptimizerConfig(kind, value, nesterov, weightDecay, eta, beta1, beta2, eps);
  }

  public OptimizerConfig withNesterov(boolean value) {
    return new OptimizerConfig(kind, momentum, value, weightDecay, eta, beta1, beta2, eps);
  }

  public OptimizerConfig withWeightDecay(double value) {
    return new OptimizerConfig(kind, momentum, nesterov, value, eta, beta1, beta2, eps);
  }

  public OptimizerConfig withEta(double value) {
    return new OptimizerConfig(kind, momentum, nesterov, weightDecay, value, beta1, beta2, eps);
  }

  public OptimizerConfig withBetas(double b1, double b2) {
    return new OptimizerConfig(kind, momentum, nesterov, weightDecay, eta, b1, b2, eps);
  }

  public OptimizerConfig withEps(double value) {
    return new OptimizerConfig(kind, momentum, nesterov, weightDecay, eta, beta1, beta2, value);
  }
}
