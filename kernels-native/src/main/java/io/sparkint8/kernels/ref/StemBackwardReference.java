package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.spi.BnAffine;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.StemMoments;

/**
 * The reference of {@link Int8Backend#bnMaxPoolBackwardMoments}: the batch norm's error and xhat as
 * {@link PooledNormalizationReference#bnMaxPoolBackwardSums} has them, then each sum and moment as its own
 * blocked chain in {@link ConvDirectReference#convGradWeightF32Direct}'s order. Arguments are valid (checked by
 * the caller).
 */
public final class StemBackwardReference {
  private StemBackwardReference() {}

  public static void bnMaxPoolBackwardMoments(ConvDesc conv, Float32Buffer image, int oc, int pool,
      Float32Buffer gradPooled, Int32Buffer argmax, Float32Buffer x, BnAffine p, boolean relu,
      StemMoments out) {
    int rows = conv.colRows();
    int patch = conv.colCols();
    ConvDesc bn = new ConvDesc(conv.n(), conv.outH(), conv.outW(), oc, pool, pool, pool, pool, 0, 0);
    float[] xa = HostArrays.read(x, rows * oc);
    float[] error = PooledNormalizationReference.scatteredError(bn, gradPooled, argmax);
    float[] h = NormalizationReference.normalized(rows, oc, xa, p);
    float[] g = NormalizationReference.maskedError(rows, oc, error, h, p, relu);
    float[] cells = new float[rows * patch];
    for (int r = 0; r < rows; r++) {
      for (int col = 0; col < patch; col++) {
        int at = ConvDirectReference.cell(conv, r, col);
        cells[r * patch + col] = at < 0 ? 0f : image.get(at);
      }
    }
    double[] v = out.values();
    int momentG = 2 * oc;
    int momentH = momentG + oc * patch;
    int windowSum = momentH + oc * patch;
    for (int o = 0; o < oc; o++) {
      v[o] = blockedSum(g, oc, o, rows);
      v[oc + o] = blockedMoment(g, oc, o, h, oc, o, rows);
      for (int col = 0; col < patch; col++) {
        v[momentG + o * patch + col] = blockedMoment(g, oc, o, cells, patch, col, rows);
        v[momentH + o * patch + col] = blockedMoment(h, oc, o, cells, patch, col, rows);
      }
    }
    for (int col = 0; col < patch; col++) {
      v[windowSum + col] = blockedSum(cells, patch, col, rows);
    }
  }

  /** sum over rows of m[r][o] * cells[r][col]: fma chains per block, the blocks added in double. */
  private static double blockedMoment(float[] m, int stride, int o, float[] cells, int patch,
      int col, int rows) {
    int block = Int8Backend.DIRECT_CONV_GRAD_BLOCK;
    double total = 0.0;
    for (int r0 = 0; r0 < rows; r0 += block) {
      float part = 0f;
      for (int r = r0; r < Math.min(rows, r0 + block); r++) {
        part = Math.fma(m[r * stride + o], cells[r * patch + col], part);
      }
      total += part;
    }
    return total;
  }

  /** sum over rows of m[r][j]: float chains per block, the blocks added in double. */
  private static double blockedSum(float[] m, int stride, int j, int rows) {
    int block = Int8Backend.DIRECT_CONV_GRAD_BLOCK;
    double total = 0.0;
    for (int r0 = 0; r0 < rows; r0 += block) {
      float part = 0f;
      for (int r = r0; r < Math.min(rows, r0 + block); r++) {
        part += m[r * stride + j];
      }
      total += part;
    }
    return total;
  }
}
