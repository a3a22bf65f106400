package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;

/**
 * The reference of ReLU and its backward, on int8 codes (with a mask) and on fp32 (on the bit patterns,
 * so NaN and -0 give +0). Element-wise, so in place is allowed. Arguments are valid (checked by the
 * caller).
 */
public final class ActivationReference {
  private ActivationReference() {}

  /** dst = max(src, 0) on codes; mask = 1 where src > 0, else 0. */
  public static void relu(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask) {
    for (int e = 0; e < count; e++) {
      byte v = src.get(e);
      dst.set(e, v > 0 ? v : 0);
      mask.set(e, (byte) (v > 0 ? 1 : 0));
    }
  }

  /** dst = grad where mask != 0, else 0. */
  public static void reluBackward(
      int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst) {
    for (int e = 0; e < count; e++) {
      dst.set(e, mask.get(e) != 0 ? grad.get(e) : 0f);
    }
  }

  /** -1 when the float with these bits is > 0 (positive, finite or +inf), else 0. */
  private static int positive(int bits) {
    return ((bits - 0x7f800001) & -bits) >> 31;
  }

  /** dst = src where src > 0, else +0. */
  public static void reluF32(int count, Float32Buffer src, Float32Buffer dst) {
    int[] v = new int[count];
    HostArrays.bits(src).get(0, v, 0, count);
    for (int i = 0; i < count; i++) {
      v[i] &= positive(v[i]);
    }
    HostArrays.bits(dst).put(0, v, 0, count);
  }

  /** dst = grad where the forward output y > 0, else +0. */
  public static void reluBackwardF32(
      int count, Float32Buffer grad, Float32Buffer y, Float32Buffer dst) {
    int[] g = new int[count];
    int[] yv = new int[count];
    HostArrays.bits(grad).get(0, g, 0, count);
    HostArrays.bits(y).get(0, yv, 0, count);
    for (int i = 0; i < count; i++) {
      g[i] &= positive(yv[i]);
    }
    HostArrays.bits(dst).put(0, g, 0, count);
  }
}
