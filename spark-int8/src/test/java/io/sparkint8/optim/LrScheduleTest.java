package io.sparkint8.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Schedules at the points that matter: warmup start and end, step boundaries, cosine midpoint. */
class LrScheduleTest {
  private static final double TOL = 1e-12;

  private static void assertRejected(Supplier<?> build, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::get);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
  }

  @Test
  void constantWithWarmup() {
    LrSchedule s = new ConstantSchedule(0.4, Warmup.linear(5, 0.25));
    assertEquals(0.1, s.lr(0), TOL); // 0.4·0.25
    assertEquals(0.25, s.lr(2.5), TOL); // 0.4·(0.25 + 0.75·2.5/5)
    assertEquals(0.4, s.lr(5), TOL);
    assertEquals(0.4, s.lr(7), TOL);
    // By steps, 10 per epoch: step 0 starts warmup, step 50 is the first after it.
    assertEquals(0.1, s.lr(0, 10), TOL);
    assertEquals(0.4 * (0.25 + 0.75 * 49 / 50.0), s.lr(49, 10), TOL);
    assertEquals(0.4, s.lr(50, 10), TOL);
  }

  @Test
  void noWarmupStartsAtBase() {
    assertEquals(0.4, new ConstantSchedule(0.4, Warmup.none()).lr(0), TOL);
  }

  @Test
  void stepDecaysAtEachBoundary() {
    LrSchedule s = new StepSchedule(0.1, 0.1, 30, Warmup.linear(5, 0.1));
    assertEquals(0.01, s.lr(0), TOL); // warmup start: 0.1·0.1
    assertEquals(0.1, s.lr(5), TOL); // warmup end
    assertEquals(0.1, s.lr(29.99), TOL);
    assertEquals(0.01, s.lr(30), TOL);
    assertEquals(0.001, s.lr(60), TOL);
    // 100 steps per epoch: step 2999 is the last of epoch 29, step 3000 the first of epoch 30.
    assertEquals(0.1, s.lr(2999, 100), TOL);
    assertEquals(0.01, s.lr(3000, 100), TOL);
  }

  @Test
  void cosineFromWarmupEndToFloor() {
    LrSchedule s = new CosineSchedule(1.0, 0.1, 15, Warmup.linear(5, 0));
    assertEquals(0.0, s.lr(0), TOL); // warmup start, factor 0
    assertEquals(0.5, s.lr(2.5), TOL);
    assertEquals(1.0, s.lr(5), TOL); // warmup end = cosine start: continuous
    assertEquals(0.55, s.lr(10), TOL); // midpoint: (base + floor)/2
    assertEquals(0.1 + 0.9 * (1 + Math.cos(Math.PI / 4)) / 2, s.lr(7.5), TOL);
    assertEquals(0.1, s.lr(15), TOL);
    assertEquals(0.1, s.lr(40), TOL);
  }

  @Test
  void linearScalingRule() {
    assertEquals(3.2, LinearScaling.scale(0.1, 8192), TOL); // Goyal et al.: 0.1 × 8192/256
    assertEquals(0.1, LinearScaling.scale(0.1, 256), TOL);
    assertEquals(0.05, LinearScaling.scale(0.1, 128), TOL);
    assertEquals(0.2, LinearScaling.scale(0.1, 512, 256), TOL);
    assertEquals(1.0 / 32, LinearScaling.warmupStartFactor(8192), TOL);
    assertEquals(1.0, LinearScaling.warmupStartFactor(64), TOL);
    assertRejected(() -> LinearScaling.scale(0.1, 0), "globalBatch=0", ">= 1");
    assertRejected(() -> LinearScaling.scale(-0.1, 256), "baseLr=-0.1", "> 0");
  }

  @Test
  void invalidSchedulesAreRejected() {
    assertRejected(() -> new CosineSchedule(0.1, 0.2, 10, Warmup.none()), "floor=0.2",
        "floor <= base (0.1)");
    assertRejected(() -> new CosineSchedule(0.1, 0, 5, Warmup.linear(5, 0.1)), "totalEpochs=5.0",
        "> warmup epochs (5.0)");
    assertRejected(() -> new StepSchedule(0.1, 0, 30, Warmup.none()), "gamma=0.0",
        "0 < gamma <= 1");
    assertRejected(() -> new StepSchedule(0.1, 0.1, 0, Warmup.none()), "every=0.0");
    assertRejected(() -> new ConstantSchedule(Double.NaN, Warmup.none()), "base=NaN");
    assertRejected(() -> Warmup.linear(5, 1.5), "startFactor=1.5", "0 <= startFactor <= 1");
    assertRejected(() -> Warmup.linear(-1, 0.1), "epochs=-1.0");
    LrSchedule s = new ConstantSchedule(0.1, Warmup.none());
    assertRejected(() -> s.lr(-1.0), "epoch=-1.0");
    assertRejected(() -> s.lr(5, 0), "stepsPerEpoch=0");
    assertRejected(() -> s.lr(-1, 10), "step=-1");
  }
}
