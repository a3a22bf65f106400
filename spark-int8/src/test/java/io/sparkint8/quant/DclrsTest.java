package io.sparkint8.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** φ(d) = max(exp(-α d), β) against hand-computed values. */
class DclrsTest {
  @Test
  void defaultsGiveTheHandComputedFactors() {
    Dclrs d = Dclrs.defaults();
    assertEquals(20.0, d.alpha());
    assertEquals(0.1, d.beta());
    assertEquals(1.0, d.factor(0.0), 0.0);
    assertEquals(Math.exp(-1), d.factor(0.05), 1e-15); // 20 * 0.05 = 1
    assertEquals(Math.exp(-0.2), d.factor(0.01), 1e-15);
    // the floor begins at ln(10)/20 = 0.11513: 0.115 is a hair above it, 0.116 on it
    assertEquals(Math.exp(-2.3), d.factor(0.115), 1e-15);
    assertEquals(0.1, d.factor(0.115), 5e-4);
    assertEquals(0.1, d.factor(0.116), 0.0);
    assertEquals(0.1, d.factor(0.2), 0.0);
    assertEquals(0.1, d.factor(2.0), 0.0);
    assertEquals(Math.log(10) / 20, d.floorDeviation(), 1e-15);
    assertEquals(0.1, d.factor(d.floorDeviation()), 1e-12);
    assertTrue(d.factor(0.11) > 0.1, "0.11 is below the floor deviation 0.1151");
  }

  @Test
  void unknownOrNegativeDeviationNeverRaisesTheRate() {
    Dclrs d = Dclrs.defaults();
    assertEquals(1.0, d.factor(Double.NaN), 0.0);
    assertEquals(1.0, d.factor(-1e-12), 0.0);
  }

  @Test
  void offIsOneAndCustomParametersApply() {
    assertEquals(1.0, Dclrs.off().factor(0.5), 0.0);
    Dclrs d = new Dclrs(true, 10, 0.5);
    assertEquals(Math.exp(-0.5), d.factor(0.05), 1e-15);
    assertEquals(0.5, d.factor(0.1), 0.0); // exp(-1) = 0.37 < 0.5
  }

  @Test
  void invalidParametersNameTheValue() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Dclrs(true, 0, 0.1));
    assertTrue(e.getMessage().contains("alpha=0.0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Dclrs(true, 20, 1.5));
    assertTrue(e.getMessage().contains("beta=1.5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Dclrs(false, Double.NaN, 0.1));
    assertTrue(e.getMessage().contains("alpha=NaN"), e.getMessage());
  }
}
