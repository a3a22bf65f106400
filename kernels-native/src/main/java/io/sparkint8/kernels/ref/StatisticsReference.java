package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.Int8Backend;

/**
 * The reference of the statistics the clipping strategies need: max |x| (per tensor, row or column),
 * GVQ's per-channel fraction above the standard deviation and DSGC's cosine deviation of clipped
 * quantization, with its lane-ordered sums. Arguments are valid (checked by the caller).
 */
public final class StatisticsReference {
  /** Accumulator lanes of the DSGC sums: element e goes into lane e % 16. */
  public static final int LANES = 16;

  private StatisticsReference() {}

  /** max |x|; NaN when the reduction holds a NaN. */
  public static void absmax(int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out) {
    float[] m = new float[(int) axis.outputs(rows, cols)];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int o = axis == Axis.TENSOR ? 0 : axis == Axis.ROW ? r : c;
        m[o] = Math.max(m[o], Math.abs(src.get(r * cols + c)));
      }
    }
    out.copyFrom(m);
  }

  /** Per column, sums in double over rows in order: the fraction of |x| above the deviation. */
  public static void channelFractionAboveStd(
      int rows, int cols, Float32Buffer src, Float32Buffer out) {
    for (int c = 0; c < cols; c++) {
      double sum = 0;
      for (int r = 0; r < rows; r++) {
        sum += src.get(r * cols + c);
      }
      double mean = sum / rows;
      double ss = 0;
      for (int r = 0; r < rows; r++) {
        double dv = src.get(r * cols + c) - mean;
        ss += dv * dv;
      }
      double sd = Math.sqrt(ss / rows);
      int count = 0;
      for (int r = 0; r < rows; r++) {
        if ((double) Math.abs(src.get(r * cols + c)) > sd) {
          count++;
        }
      }
      out.set(c, (float) ((double) count / rows));
    }
  }

  /**
   * The sums of 1 - cos(x, dequant(quant(clamp(x, c)))) of the first {@code count} elements per
   * candidate c: x·x̂ per candidate, then |x̂|² per candidate, then |x|² (2 n + 1 values).
   */
  public static double[] clipCosineSums(
      Float32Buffer src, int count, int bits, float[] candidates) {
    int qm = (1 << (bits - 1)) - 1;
    float qmax = qm;
    int nc = candidates.length;
    double[] nx = new double[LANES];
    double[][] dot = new double[nc][LANES];
    double[][] nh = new double[nc][LANES];
    float[] inv = new float[nc];
    float[] step = new float[nc];
    for (int i = 0; i < nc; i++) {
      inv[i] = qmax / candidates[i];
      step[i] = candidates[i] / qmax;
    }
    for (int e = 0; e < count; e++) {
      float x = src.get(e);
      int lane = e % LANES;
      nx[lane] += (double) x * (double) x;
      for (int i = 0; i < nc; i++) {
        float c = candidates[i];
        int q = (int) Math.rint((x > c ? c : (x < -c ? -c : x)) * inv[i]);
        q = Math.min(Math.max(q, -qm), qm);
        float xh = (float) q * step[i];
        dot[i][lane] += (double) x * (double) xh;
        nh[i][lane] += (double) xh * (double) xh;
      }
    }
    double[] out = new double[2 * nc + 1];
    for (int i = 0; i < nc; i++) {
      out[i] = fold(dot[i], 0);
      out[nc + i] = fold(nh[i], 0);
    }
    out[2 * nc] = fold(nx, 0);
    return out;
  }

  /**
   * The sum of the {@link #LANES} lanes at {@code from}, folded pairwise at widths 8, 4, 2, 1: the
   * order every path uses.
   */
  public static double fold(double[] lanes, int from) {
    double[] l = new double[LANES];
    System.arraycopy(lanes, from, l, 0, LANES);
    for (int w = LANES / 2; w >= 1; w /= 2) {
      for (int j = 0; j < w; j++) {
        l[j] += l[j + w];
      }
    }
    return l[0];
  }

  /** 1 - dot / (|x| |xh|) from the folded sums; 1 (no signal) when either norm is zero. */
  public static double deviation(double dot, double normHat, double normX) {
    return Int8Backend.cosineDeviation(dot, normHat, normX);
  }
}
