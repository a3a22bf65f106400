package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.spi.Checks;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.ShiftQuant;

/**
 * The reference of ShiftQuant (see {@link ShiftQuant} and {@code Int8Backend.shiftQuantize} /
 * {@code gemmShiftS8S8F32}): power-of-two group exponents and the GEMM that aligns its groups' exact
 * int32 partial sums by shifts. Arguments are valid (checked by the caller); the data are checked here.
 */
public final class ShiftQuantReference {
  private ShiftQuantReference() {}

  public static void shiftQuantize(QuantDesc d, Float32Buffer src, Float32Buffer rowClip,
      Int8Buffer codes, Int32Buffer exponents) {
    QuantizeReference.Elements elements = src::get;
    float[] amax = QuantizeReference.groupAbsmax(d, elements);
    int perRow = d.groupsPerRow();
    float[] s = new float[amax.length];
    for (int r = 0; r < d.rows(); r++) {
      float clip = Float.POSITIVE_INFINITY;
      if (rowClip != null) {
        clip = rowClip.get(r);
        Checks.clipValue(r, clip);
      }
      int top = ShiftQuant.MIN_EXPONENT;
      for (int g = r * perRow; g < (r + 1) * perRow; g++) {
        Checks.finiteGroup(g, amax[g]);
        float m = Math.min(amax[g], clip);
        int e = m > 0f ? ShiftQuant.ceilExponent(m) : ShiftQuant.MIN_EXPONENT;
        exponents.set(g, e);
        top = Math.max(top, e);
      }
      for (int g = r * perRow; g < (r + 1) * perRow; g++) {
        int e = Math.max(exponents.get(g), top - ShiftQuant.SPAN);
        exponents.set(g, e);
        s[g] = Math.scalb(1f, e);
      }
    }
    QuantizeReference.codes(d, elements, s, codes);
  }

  public static void gemmShiftS8S8F32(GemmDesc d, Int8Buffer a, Int8Buffer b, int group,
      Int32Buffer exponents, float alpha, Float32Buffer c) {
    int perRow = ShiftQuant.groupsPerRow(d.k(), group);
    for (int i = 0; i < d.m(); i++) {
      int min = Integer.MAX_VALUE;
      int max = Integer.MIN_VALUE;
      for (int g = 0; g < perRow; g++) {
        int e = exponents.get(i * perRow + g);
        min = Math.min(min, e);
        max = Math.max(max, e);
      }
      Checks.shiftSpan(i, min, max);
      for (int j = 0; j < d.n(); j++) {
        long s = 0;
        for (int g = 0; g < perRow; g++) {
          int partial = 0;
          for (int p = g * group; p < Math.min(d.k(), (g + 1) * group); p++) {
            partial += a.get((int) d.indexA(i, p)) * b.get((int) d.indexB(p, j));
          }
          s += (long) partial << (exponents.get(i * perRow + g) - min);
        }
        c.set(i * d.ldc() + j, Math.scalb((float) s * alpha, min));
      }
    }
  }
}
