package io.sparkint8.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The factory by name and the validation of hyper-parameters. */
class OptimizerConfigTest {

  private static void assertRejected(Supplier<?> build, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::get);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
  }

  @Test
  void factoryMakesEveryOptimizerByName() {
    for (String name : new String[] {"sgd", "lars", "adam", "adamw", "lamb"}) {
      Optimizer opt = Optimizers.create(name);
      assertEquals(name, opt.name());
      assertEquals(OptimizerKind.parse(name), opt.config().kind());
    }
    assertEquals(OptimizerKind.ADAMW, Optimizers.create(" AdamW ").config().kind());
  }

  @Test
  void defaultsFollowThePapers() {
    OptimizerConfig sgd = OptimizerConfig.defaults("sgd");
    assertEquals(0.9, sgd.momentum());
    assertEquals(0.0, sgd.weightDecay());
    assertEquals(0.001, OptimizerConfig.defaults("lars").eta());
    OptimizerConfig adamw = OptimizerConfig.defaults("adamw");
    assertEquals(0.9, adamw.beta1());
    assertEquals(0.999, adamw.beta2());
    assertEquals(1e-8, adamw.eps());
    assertEquals(0.01, adamw.weightDecay());
    assertEquals(0.0, OptimizerConfig.defaults("adam").weightDecay());
  }

  @Test
  void unknownNameListsTheValidOnes() {
    assertRejected(() -> Optimizers.create("rmsprop"), "optimizer=rmsprop",
        "sgd, lars, adam, adamw, lamb");
  }

  @Test
  void hyperParametersOutOfRangeAreRejectedWithNameValueAndRange() {
    OptimizerConfig sgd = OptimizerConfig.defaults("sgd");
    assertRejected(() -> sgd.withMomentum(1.0), "optimizer sgd", "momentum=1.0",
        "0 <= momentum < 1");
    assertRejected(() -> sgd.withMomentum(-0.1), "momentum=-0.1");
    assertRejected(() -> sgd.withMomentum(0).withNesterov(true), "nesterov=true", "momentum");
    assertRejected(() -> sgd.withWeightDecay(-1e-4), "weightDecay=-1.0E-4", "finite and >= 0");
    assertRejected(() -> sgd.withWeightDecay(Double.NaN), "weightDecay=NaN");
    OptimizerConfig lars = OptimizerConfig.defaults("lars");
    assertRejected(() -> lars.withEta(0), "optimizer lars", "eta=0.0", "finite and > 0");
    OptimizerConfig adam = OptimizerConfig.defaults("adam");
    assertRejected(() -> adam.withBetas(0.9, 1.0), "beta2=1.0", "0 <= beta2 < 1");
    assertRejected(() -> adam.withBetas(-0.5, 0.999), "beta1=-0.5");
    assertRejected(() -> adam.withEps(0), "eps=0.0", "finite and > 0");
    assertRejected(() -> adam.withEps(Double.POSITIVE_INFINITY), "eps=Infinity");
  }

  @Test
  void parameterChecksItsArguments() {
    assertRejected(() -> new Parameter("w", new float[3], new float[2], true), "parameter w",
        "grad.length=2", "3");
    Parameter p = Parameter.weight("w", new float[3]);
    assertRejected(() -> {
      p.setLrFactor(-0.5);
      return p;
    }, "lrFactor=-0.5", "finite and >= 0");
    assertEquals(1.0, p.lrFactor());
  }
}
