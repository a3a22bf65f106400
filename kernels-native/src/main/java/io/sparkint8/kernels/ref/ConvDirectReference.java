package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.Int8Backend;

/**
 * The reference of the direct (no im2col matrix) convolution ops of a network's stem: the forward on
 * codes, which must equal im2col + the s8 GEMM with its epilogue, and the fp32 weight gradient in its
 * blocked summation order (see {@link Int8Backend#convGradWeightF32Direct}). Arguments are valid
 * (checked by the caller).
 */
public final class ConvDirectReference {
  private ConvDirectReference() {}

  /**
   * Flat index into the image of the window cell {@code col} of output pixel r, or -1 outside it; the
   * cell numbering is im2col's, col = (i * kw + j) * c + ch.
   */
  static int cell(ConvDesc d, int r, int col) {
    int ow = d.outW();
    int oh = d.outH();
    int b = r / (oh * ow);
    int oy = (r / ow) % oh;
    int ox = r % ow;
    int ch = col % d.c();
    int j = (col / d.c()) % d.kw();
    int i = col / (d.c() * d.kw());
    int y = oy * d.strideH() - d.padH() + i;
    int x = ox * d.strideW() - d.padW() + j;
    if (y < 0 || y >= d.h() || x < 0 || x >= d.w()) {
      return -1;
    }
    return ((b * d.h() + y) * d.w() + x) * d.c() + ch;
  }

  public static void convS8Direct(ConvDesc d, Int8Buffer src, Int8Buffer wei, int outChannels,
      Epilogue ep, Float32Buffer dst) {
    int patch = d.colCols();
    for (int r = 0; r < d.colRows(); r++) {
      for (int o = 0; o < outChannels; o++) {
        long s = 0;
        for (int col = 0; col < patch; col++) {
          int at = cell(d, r, col);
          s += (at < 0 ? 0 : src.get(at)) * wei.get(o * patch + col);
        }
        int out = r * outChannels + o;
        dst.set(out, GemmReference.epilogue(s, ep, r, o, ep.beta() != 0f ? dst.get(out) : 0f));
      }
    }
  }

  public static void convGradWeightF32Direct(ConvDesc d, Float32Buffer src, Float32Buffer gradOut,
      int outChannels, Float32Buffer gradWeight, float[] gradBias) {
    int patch = d.colCols();
    int rows = d.colRows();
    int block = Int8Backend.DIRECT_CONV_GRAD_BLOCK;
    for (int o = 0; o < outChannels; o++) {
      for (int col = 0; col < patch; col++) {
        double total = 0.0;
        for (int r0 = 0; r0 < rows; r0 += block) {
          float part = 0f;
          for (int r = r0; r < Math.min(rows, r0 + block); r++) {
            int at = cell(d, r, col);
            float x = at < 0 ? 0f : src.get(at); // padding multiplies +0, as im2col's zeros would
            part = Math.fma(gradOut.get(r * outChannels + o), x, part);
          }
          total += part;
        }
        gradWeight.set(o * patch + col, (float) total);
      }
      if (gradBias != null) {
        double total = 0.0;
        for (int r0 = 0; r0 < rows; r0 += block) {
          float part = 0f;
          for (int r = r0; r < Math.min(rows, r0 + block); r++) {
            part += gradOut.get(r * outChannels + o);
          }
          total += part;
        }
        gradBias[o] = (float) total;
      }
    }
  }
}
