package io.sparkint8.train;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The integer payload of one gradient tensor: the sum of the int8 codes of {@code addends}
 * partitions, stored in the narrowest type that holds every possible sum exactly. A sum of n codes
 * in [-127, 127] lies in [-127n, 127n], so int8 holds one addend, int16 up to 258 (127 * 258 =
 * 32766) and int32 up to 16,909,320. The width is a function of the addend count alone, never of
 * the values, so every merge order produces the same representation. Immutable; the arrays are
 * never exposed.
 */
final class CodeArray implements Serializable {
  private static final long serialVersionUID = 1L;

  static final int MAX_INT16_ADDENDS = Short.MAX_VALUE / 127;
  static final int MAX_INT32_ADDENDS = Integer.MAX_VALUE / 127;

  // Exactly one is non-null, the one of widthFor(addends).
  private final byte[] int8;
  private final short[] int16;
  private final int[] int32;

  private CodeArray(byte[] int8, short[] int16, int[] int32) {
    this.int8 = int8;
    this.int16 = int16;
    this.int32 = int32;
  }

  /** Bytes per element for a sum of {@code addends} int8 codes: 1, 2 or 4. */
  static int widthFor(long addends) {
    if (addends < 1 || addends > MAX_INT32_ADDENDS) {
      throw new IllegalArgumentException(
          "CodeArray: " + addends + " addends, expected 1.." + MAX_INT32_ADDENDS);
    }
    return addends == 1 ? 1 : addends <= MAX_INT16_ADDENDS ? 2 : 4;
  }

  /** Takes ownership of {@code codes}: the caller must not keep a reference. */
  static CodeArray ownInt8(byte[] codes) {
    return new CodeArray(codes, null, null);
  }

  static CodeArray ownInt16(short[] sums) {
    return new CodeArray(null, sums, null);
  }

  static CodeArray ownInt32(int[] sums) {
    return new CodeArray(null, null, sums);
  }

  int width() {
    return int8 != null ? 1 : int16 != null ? 2 : 4;
  }

  int length() {
    return int8 != null ? int8.length : int16 != null ? int16.length : int32.length;
  }

  int get(int i) {
    return int8 != null ? int8[i] : int16 != null ? int16[i] : int32[i];
  }

  /** The exact element-wise sum, stored at {@code width}; the caller guarantees it fits. */
  CodeArray plus(CodeArray o, int width) {
    int n = length();
    switch (width) {
      case 2: {
        short[] s = new short[n];
        for (int i = 0; i < n; i++) {
          s[i] = (short) (get(i) + o.get(i));
        }
        return ownInt16(s);
      }
      case 4: {
        int[] s = new int[n];
        for (int i = 0; i < n; i++) {
          s[i] = get(i) + o.get(i);
        }
        return ownInt32(s);
      }
      default:
        throw new IllegalArgumentException("CodeArray: a sum cannot have width " + width);
    }
  }

  /** The sums widened to int, a copy. */
  int[] toIntArray() {
    int[] out = new int[length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = get(i);
    }
    return out;
  }

  // Raw access for the serializer only; it neither keeps nor modifies them.
  byte[] int8() {
    return int8;
  }

  short[] int16() {
    return int16;
  }

  int[] int32() {
    return int32;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CodeArray c
        && Arrays.equals(int8, c.int8)
        && Arrays.equals(int16, c.int16)
        && Arrays.equals(int32, c.int32);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(int8) + Arrays.hashCode(int16)) + Arrays.hashCode(int32);
  }
}
