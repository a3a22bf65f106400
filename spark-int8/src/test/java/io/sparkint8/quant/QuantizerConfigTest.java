package io.sparkint8.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.spi.Rounding;
import org.junit.jupiter.api.Test;

/** Validation and naming of {@link QuantizerConfig} and {@link QuantGranularity}. */
class QuantizerConfigTest {
  @Test
  void bitsOutsideTwoToEightAreRejected() {
    for (int bits : new int[] {-1, 0, 1, 9, 16}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> QuantizerConfig.perTensor(bits));
      assertEquals("bits=" + bits + ", expected 2..8", e.getMessage());
    }
    for (int bits = 2; bits <= 8; bits++) {
      assertEquals((1 << (bits - 1)) - 1, QuantizerConfig.perRow(bits).qmax());
    }
    assertEquals(127, QuantizerConfig.int8PerTensor().qmax());
    assertEquals(1, QuantizerConfig.perTensor(2).qmax());
  }

  @Test
  void groupSizeBelongsToGroupGranularityOnly() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> QuantizerConfig.shiftQuant(4, 0));
    assertTrue(e.getMessage().contains("groupSize=0"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new QuantizerConfig(8, QuantGranularity.PER_ROW, 32, false, Rounding.NEAREST));
    assertTrue(e.getMessage().contains("groupSize=32 with granularity per-row"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new QuantizerConfig(8, null, 0, false, Rounding.NEAREST));
    assertThrows(
        IllegalArgumentException.class,
        () -> new QuantizerConfig(8, QuantGranularity.PER_TENSOR, 0, false, null));
  }

  @Test
  void groupCountsFollowTheGranularity() {
    assertEquals(1, QuantizerConfig.perTensor(8).groups(5, 7));
    assertEquals(5, QuantizerConfig.perRow(8).groups(5, 7));
    assertEquals(7, QuantizerConfig.perColumn(8).groups(5, 7));
    assertEquals(5 * 3, QuantizerConfig.shiftQuant(4, 3).groups(5, 7)); // 3 + 3 + 1
    assertEquals(5, QuantizerConfig.shiftQuant(4, 64).groups(5, 7));
  }

  @Test
  void shiftQuantAndWithersKeepEverythingElse() {
    QuantizerConfig s = QuantizerConfig.shiftQuant(5, 64);
    assertEquals(QuantGranularity.GROUP, s.granularity());
    assertTrue(s.pow2Scales());
    assertEquals(Rounding.STOCHASTIC, s.rounding());
    QuantizerConfig t = s.withBits(6).withRounding(Rounding.NEAREST).withPow2Scales(false);
    assertEquals(new QuantizerConfig(6, QuantGranularity.GROUP, 64, false, Rounding.NEAREST), t);
  }

  @Test
  void namesParseAndBadNamesListTheValidOnes() {
    assertEquals(QuantGranularity.PER_TENSOR, QuantGranularity.byName("per-tensor"));
    assertEquals(QuantGranularity.PER_ROW, QuantGranularity.byName("Per-Channel"));
    assertEquals(QuantGranularity.PER_COLUMN, QuantGranularity.byName(" per-column "));
    assertEquals(QuantGranularity.GROUP, QuantGranularity.byName("group"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> QuantGranularity.byName("per-batch"));
    assertEquals(
        "granularity=per-batch: expected one of per-tensor, per-row, per-channel, per-column,"
            + " group",
        e.getMessage());
    assertEquals(Rounding.STOCHASTIC, QuantizerConfig.roundingByName("Stochastic"));
    assertEquals(Rounding.NEAREST, QuantizerConfig.roundingByName("nearest"));
    e = assertThrows(IllegalArgumentException.class, () -> QuantizerConfig.roundingByName("up"));
    assertEquals("rounding=up: expected one of nearest, stochastic", e.getMessage());
  }
}
