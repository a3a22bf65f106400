package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.fail;

/** Bit-exact comparisons with a message that locates the first difference. */
public final class Compare {
  private Compare() {}

  public static void sameBits(float[] expected, float[] actual, String context) {
    for (int i = 0; i < expected.length; i++) {
      // floatToIntBits folds every NaN into one pattern: NaN-ness must agree, payloads need not
      if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
        fail(context + ": element " + i + " expected " + expected[i] + " (0x"
            + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ") but was " + actual[i]
            + " (0x" + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + ")");
      }
    }
  }

  public static void sameBits(double[] expected, double[] actual, String context) {
    for (int i = 0; i < expected.length; i++) {
      if (Double.doubleToLongBits(expected[i]) != Double.doubleToLongBits(actual[i])) {
        fail(context + ": element " + i + " expected " + expected[i] + " but was " + actual[i]);
      }
    }
  }

  public static void same(int[] expected, int[] actual, String context) {
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != actual[i]) {
        fail(context + ": element " + i + " expected " + expected[i] + " but was " + actual[i]);
      }
    }
  }

  public static void same(byte[] expected, byte[] actual, String context) {
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != actual[i]) {
        fail(context + ": element " + i + " expected " + expected[i] + " but was " + actual[i]);
      }
    }
  }
}
