package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapBuffer;
import io.sparkint8.kernels.spi.Checks;
import io.sparkint8.kernels.spi.ConvDesc;

/**
 * The reference of the sliding-window operations on NHWC tensors: im2col and its adjoint col2im, max-pool
 * of codes and of fp32 with the argmax of each winner, and max-pool's backward scatter. Arguments are
 * valid (checked by the caller); max-pool backward checks the argmax it is given.
 */
public final class WindowReference {
  private WindowReference() {}

  /** Index into the image of im2col cell (row r, kernel i, j), or -1 outside (channel 0). */
  private static int pixel(ConvDesc d, int r, int i, int j) {
    int ow = d.outW();
    int oh = d.outH();
    int b = r / (oh * ow);
    int oy = (r / ow) % oh;
    int ox = r % ow;
    int y = oy * d.strideH() - d.padH() + i;
    int x = ox * d.strideW() - d.padW() + j;
    if (y < 0 || y >= d.h() || x < 0 || x >= d.w()) {
      return -1;
    }
    return ((b * d.h() + y) * d.w() + x) * d.c();
  }

  public static void im2col(ConvDesc d, Int8Buffer src, Int8Buffer cols) {
    im2colAny(d, src, cols);
  }

  public static void im2col(ConvDesc d, Float32Buffer src, Float32Buffer cols) {
    im2colAny(d, src, cols);
  }

  private static void im2colAny(ConvDesc d, OffHeapBuffer src, OffHeapBuffer cols) {
    int ncols = d.colCols();
    for (int r = 0; r < d.colRows(); r++) {
      for (int i = 0; i < d.kh(); i++) {
        for (int j = 0; j < d.kw(); j++) {
          int base = pixel(d, r, i, j);
          for (int ch = 0; ch < d.c(); ch++) {
            int at = r * ncols + (i * d.kw() + j) * d.c() + ch;
            if (src instanceof Int8Buffer) {
              ((Int8Buffer) cols).set(at, base < 0 ? 0 : ((Int8Buffer) src).get(base + ch));
            } else {
              ((Float32Buffer) cols).set(at, base < 0 ? 0f : ((Float32Buffer) src).get(base + ch));
            }
          }
        }
      }
    }
  }

  /** dst is overwritten with the sum of the column entries of each pixel. */
  public static void col2im(ConvDesc d, Float32Buffer cols, Float32Buffer dst) {
    float[] img = new float[d.inputSize()];
    eachInImageCell(d, (cell, pixel) -> img[pixel] += cols.get(cell));
    dst.copyFrom(img);
  }

  /** As for fp32, the sums wrapping modulo 2^32. */
  public static void col2im(ConvDesc d, Int32Buffer cols, Int32Buffer dst) {
    int[] img = new int[d.inputSize()];
    eachInImageCell(d, (cell, pixel) -> img[pixel] += cols.get(cell));
    dst.copyFrom(img);
  }

  /** A cell of the im2col matrix and the element of the image it holds. */
  private interface CellVisitor {
    void visit(int cell, int pixel);
  }

  /** Every im2col cell inside the image, rows ascending, then i, j, channel: col2im's summation order. */
  private static void eachInImageCell(ConvDesc d, CellVisitor v) {
    int ncols = d.colCols();
    for (int r = 0; r < d.colRows(); r++) {
      for (int i = 0; i < d.kh(); i++) {
        for (int j = 0; j < d.kw(); j++) {
          int base = pixel(d, r, i, j);
          if (base >= 0) {
            for (int ch = 0; ch < d.c(); ch++) {
              v.visit(r * ncols + (i * d.kw() + j) * d.c() + ch, base + ch);
            }
          }
        }
      }
    }
  }

  /** The first maximum of each window wins. */
  public static void maxPool(ConvDesc d, Int8Buffer src, Int8Buffer dst, Int32Buffer argmax) {
    for (int r = 0; r < d.colRows(); r++) {
      for (int ch = 0; ch < d.c(); ch++) {
        int best = Integer.MIN_VALUE;
        int where = -1;
        for (int i = 0; i < d.kh(); i++) {
          for (int j = 0; j < d.kw(); j++) {
            int base = pixel(d, r, i, j);
            if (base >= 0 && src.get(base + ch) > best) {
              best = src.get(base + ch);
              where = base + ch;
            }
          }
        }
        dst.set(r * d.c() + ch, (byte) best);
        argmax.set(r * d.c() + ch, where);
      }
    }
  }

  /** The first in-image cell seeds the maximum; a later one wins only when strictly greater. */
  public static void maxPoolF32(
      ConvDesc d, Float32Buffer src, Float32Buffer dst, Int32Buffer argmax) {
    maxPoolF32(d, src.toArray(), dst, argmax);
  }

  /** The same from an array. */
  static void maxPoolF32(ConvDesc d, float[] x, Float32Buffer dst, Int32Buffer argmax) {
    for (int r = 0; r < d.colRows(); r++) {
      for (int ch = 0; ch < d.c(); ch++) {
        float best = 0f;
        int where = -1;
        for (int i = 0; i < d.kh(); i++) {
          for (int j = 0; j < d.kw(); j++) {
            int base = pixel(d, r, i, j);
            if (base >= 0 && (where < 0 || x[base + ch] > best)) {
              best = x[base + ch];
              where = base + ch;
            }
          }
        }
        dst.set(r * d.c() + ch, best);
        argmax.set(r * d.c() + ch, where);
      }
    }
  }

  /** gradIn = 0, then gradIn[argmax[o]] += gradOut[o] in order of o. */
  public static void maxPoolBackward(
      ConvDesc d, Float32Buffer gradOut, Int32Buffer argmax, Float32Buffer gradIn) {
    float[] g = new float[d.inputSize()];
    for (int o = 0; o < d.pooledSize(); o++) {
      int at = argmax.get(o);
      Checks.argmax(o, at, g.length);
      g[at] += gradOut.get(o);
    }
    gradIn.copyFrom(g);
  }
}
