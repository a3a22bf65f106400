package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.memory.OffHeapBuffer;
import io.sparkint8.kernels.spi.AbstractBackend;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Rounding;
import io.sparkint8.kernels.spi.Trans;

/**
 * The reference backend: plain loops that define what every operation computes. It favours being
 * obviously right over speed; the native backend must match it bit for bit. Floating-point expressions
 * are evaluated in the order the documentation of each operation gives (Java float arithmetic is IEEE
 * round-to-nearest-even and never fuses on its own; the fp32 GEMM fuses explicitly, with {@link
 * Math#fma}), rounding to nearest uses {@link Math#rint}, and quantization multiplies by the inverse
 * scale.
 */
public final class JavaBackend extends AbstractBackend {

  public JavaBackend() {
    this(1);
  }

  private JavaBackend(int threads) {
    super(threads);
  }

  @Override
  public String name() {
    return "java";
  }

  @Override
  public String isa() {
    return "java";
  }

  /** Accepted for interface symmetry; the reference always runs on the calling thread. */
  @Override
  public Int8Backend withThreads(int threads) {
    return new JavaBackend(threads);
  }

  // ---- GEMM ---------------------------------------------------------------------------------------

  @Override
  protected void gemmS8(
      GemmDesc d,
      Int8Buffer a,
      Int8Buffer b,
      PackedB packed,
      Epilogue ep,
      Int32Buffer c32,
      Float32Buffer cf) {
    // a packed B is a dense k x n copy
    GemmDesc shape = packed == null ? d : new GemmDesc(d.transA(), Trans.N, d.m(), d.n(), d.k(),
        d.lda(), d.n(), d.ldc());
    Int8Buffer bb = packed == null ? b : packed.data();
    for (int i = 0; i < d.m(); i++) {
      for (int j = 0; j < d.n(); j++) {
        long s = 0;
        for (int p = 0; p < d.k(); p++) {
          s += a.get((int) shape.indexA(i, p)) * bb.get((int) shape.indexB(p, j));
        }
        int at = i * d.ldc() + j;
        if (ep == null) {
          c32.set(at, (int) s);
        } else {
          cf.set(at, epilogue(s, ep, i, j, ep.beta() != 0f ? cf.get(at) : 0f));
        }
      }
    }
  }

  static float epilogue(long s, Epilogue ep, int i, int j, float old) {
    float v = (float) s;
    v = v * ep.alpha();
    if (ep.rowScale() != null) {
      v = v * ep.rowScale().get(i);
    }
    if (ep.colScale() != null) {
      v = v * ep.colScale().get(j);
    }
    if (ep.bias() != null) {
      v = v + ep.bias().get(j);
    }
    if (ep.beta() != 0f) {
      v = v + ep.beta() * old;
    }
    return v;
  }

  @Override
  protected PackedB pack(OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b) {
    Int8Buffer copy = allocator.allocateInt8((long) k * n);
    for (int p = 0; p < k; p++) {
      for (int j = 0; j < n; j++) {
        int from = transB == Trans.N ? p * ldb + j : j * ldb + p;
        copy.set(p * n + j, b.get(from));
      }
    }
    return new PackedB(copy, k, n, name() + "/" + isa());
  }

  /**
   * Each output is one fused multiply-add chain over k in ascending order from +0, then alpha and beta
   * (see {@link Int8Backend#gemmF32}); {@link Math#fma} rounds once per step, as the vector FMAs of the
   * native kernels do, so the chain fixes the bits whatever the ISA or the thread count.
   */
  @Override
  protected void sgemm(GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta,
      Float32Buffer c) {
    for (int i = 0; i < d.m(); i++) {
      for (int j = 0; j < d.n(); j++) {
        float acc = 0f;
        for (int p = 0; p < d.k(); p++) {
          acc = Math.fma(a.get((int) d.indexA(i, p)), b.get((int) d.indexB(p, j)), acc);
        }
        int at = i * d.ldc() + j;
        c.set(at, beta == 0f ? alpha * acc : alpha * acc + beta * c.get(at));
      }
    }
  }

  @Override
  public String gemmF32Route() {
    return "java-reference";
  }

  // ---- quantization -------------------------------------------------------------------------------

  @Override
  protected void quantizeChecked(
      QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    float[] s = groupAbsmax(d, src);
    float qmax = d.qmax();
    for (int g = 0; g < s.length; g++) {
      if (!Float.isFinite(s[g])) {
        throw new IllegalArgumentException(
            "quantize: group " + g + " holds a non-finite value (max |x| = " + s[g] + ")");
      }
      if (clip != null) {
        float c = clip.get(g);
        if (!(Float.isFinite(c) && c >= 0f)) {
          throw new IllegalArgumentException(
              "quantize: clip[" + g + "] = " + c + ", expected a finite value >= 0");
        }
        s[g] = c;
      }
      if (d.pow2() && s[g] > 0f) {
        s[g] = roundUpToPowerOfTwo(s[g]);
      }
      scales.set(g, s[g] / qmax);
    }
    long key = StochasticRounding.key(d.seed(), d.stream());
    int qm = d.qmax();
    for (int r = 0; r < d.rows(); r++) {
      for (int col = 0; col < d.cols(); col++) {
        int e = r * d.cols() + col;
        float sg = s[d.groupOf(r, col)];
        int q = 0;
        if (sg != 0f) {
          float inv = qmax / sg;
          float x = src.get(e);
          float y = (x > sg ? sg : (x < -sg ? -sg : x)) * inv;
          if (d.rounding() == Rounding.NEAREST) {
            q = (int) Math.rint(y);
          } else {
            float t = y + StochasticRounding.uniform(key, e);
            q = (int) Math.floor(t);
          }
          q = Math.min(Math.max(q, -qm), qm);
        }
        codes.set(e, (byte) q);
      }
    }
  }

  private static float[] groupAbsmax(QuantDesc d, Float32Buffer src) {
    float[] amax = new float[d.groups()];
    for (int r = 0; r < d.rows(); r++) {
      for (int col = 0; col < d.cols(); col++) {
        int g = d.groupOf(r, col);
        amax[g] = Math.max(amax[g], Math.abs(src.get(r * d.cols() + col)));
      }
    }
    return amax;
  }

  /** The smallest power of two >= s (s > 0), exactly. */
  static float roundUpToPowerOfTwo(float s) {
    if (Math.getExponent(s) < Float.MIN_EXPONENT) { // subnormal
      float p = Float.MIN_VALUE;
      while (p < s) {
        p *= 2f;
      }
      return p;
    }
    float p = Math.scalb(1f, Math.getExponent(s));
    return p == s ? s : p * 2f;
  }

  @Override
  protected void dequantizeChecked(QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst) {
    for (int r = 0; r < d.rows(); r++) {
      for (int col = 0; col < d.cols(); col++) {
        int e = r * d.cols() + col;
        dst.set(e, (float) codes.get(e) * scales.get(d.groupOf(r, col)));
      }
    }
  }

  // ---- statistics ---------------------------------------------------------------------------------

  @Override
  protected void absmaxChecked(int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out) {
    float[] m = new float[(int) axis.outputs(rows, cols)];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int o = axis == Axis.TENSOR ? 0 : axis == Axis.ROW ? r : c;
        m[o] = Math.max(m[o], Math.abs(src.get(r * cols + c)));
      }
    }
    out.copyFrom(m);
  }

  @Override
  protected void channelFractionChecked(int rows, int cols, Float32Buffer src, Float32Buffer out) {
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

  @Override
  protected double[] clipDeviationChecked(Float32Buffer src, int count, int bits, float[] cand) {
    final int lanes = 16;
    int qm = (1 << (bits - 1)) - 1;
    float qmax = qm;
    int nc = cand.length;
    double[] nx = new double[lanes];
    double[][] dot = new double[nc][lanes];
    double[][] nh = new double[nc][lanes];
    float[] inv = new float[nc];
    float[] step = new float[nc];
    for (int i = 0; i < nc; i++) {
      inv[i] = qmax / cand[i];
      step[i] = cand[i] / qmax;
    }
    for (int e = 0; e < count; e++) {
      float x = src.get(e);
      int lane = e % lanes;
      nx[lane] += (double) x * (double) x;
      for (int i = 0; i < nc; i++) {
        float c = cand[i];
        int q = (int) Math.rint((x > c ? c : (x < -c ? -c : x)) * inv[i]);
        q = Math.min(Math.max(q, -qm), qm);
        float xh = (float) q * step[i];
        dot[i][lane] += (double) x * (double) xh;
        nh[i][lane] += (double) xh * (double) xh;
      }
    }
    double sx = fold(nx);
    double[] out = new double[nc];
    for (int i = 0; i < nc; i++) {
      double sd = fold(dot[i]);
      double sh = fold(nh[i]);
      out[i] = (sx == 0 || sh == 0) ? 1.0 : 1.0 - sd / (Math.sqrt(sx) * Math.sqrt(sh));
    }
    return out;
  }

  /** Folds 16 lanes pairwise at widths 8, 4, 2, 1; the order every path uses. */
  private static double fold(double[] lane) {
    double[] l = lane.clone();
    for (int w = 8; w >= 1; w /= 2) {
      for (int j = 0; j < w; j++) {
        l[j] += l[j + w];
      }
    }
    return l[0];
  }

  // ---- windows --------------------------------------------------------------------------------------

  @Override
  protected void window(WindowOp op, ConvDesc d, OffHeapBuffer src, OffHeapBuffer dst, Int32Buffer argmax) {
    switch (op) {
      case IM2COL_S8:
      case IM2COL_F32:
        im2colAny(d, src, dst);
        break;
      case COL2IM_F32:
        col2imF32(d, (Float32Buffer) src, (Float32Buffer) dst);
        break;
      case COL2IM_S32:
        col2imS32(d, (Int32Buffer) src, (Int32Buffer) dst);
        break;
      case MAXPOOL_S8:
        maxPoolS8(d, (Int8Buffer) src, (Int8Buffer) dst, argmax);
        break;
      case MAXPOOL_BACKWARD_F32:
        maxPoolBackwardF32(d, (Float32Buffer) src, argmax, (Float32Buffer) dst);
        break;
      case MAXPOOL_F32:
        maxPoolF32Reference(d, (Float32Buffer) src, (Float32Buffer) dst, argmax);
        break;
      default:
        throw new IllegalStateException("unknown window op " + op);
    }
  }

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

  private static void col2imF32(ConvDesc d, Float32Buffer cols, Float32Buffer dst) {
    float[] img = new float[d.inputSize()];
    int ncols = d.colCols();
    for (int r = 0; r < d.colRows(); r++) {
      for (int i = 0; i < d.kh(); i++) {
        for (int j = 0; j < d.kw(); j++) {
          int base = pixel(d, r, i, j);
          if (base >= 0) {
            for (int ch = 0; ch < d.c(); ch++) {
              img[base + ch] += cols.get(r * ncols + (i * d.kw() + j) * d.c() + ch);
            }
          }
        }
      }
    }
    dst.copyFrom(img);
  }

  private static void col2imS32(ConvDesc d, Int32Buffer cols, Int32Buffer dst) {
    int[] img = new int[d.inputSize()];
    int ncols = d.colCols();
    for (int r = 0; r < d.colRows(); r++) {
      for (int i = 0; i < d.kh(); i++) {
        for (int j = 0; j < d.kw(); j++) {
          int base = pixel(d, r, i, j);
          if (base >= 0) {
            for (int ch = 0; ch < d.c(); ch++) {
              img[base + ch] += cols.get(r * ncols + (i * d.kw() + j) * d.c() + ch);
            }
          }
        }
      }
    }
    dst.copyFrom(img);
  }

  private static void maxPoolS8(ConvDesc d, Int8Buffer src, Int8Buffer dst, Int32Buffer argmax) {
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

  private static void maxPoolF32Reference(
      ConvDesc d, Float32Buffer src, Float32Buffer dst, Int32Buffer argmax) {
    float[] x = src.toArray();
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

  private static void maxPoolBackwardF32(
      ConvDesc d, Float32Buffer gradOut, Int32Buffer argmax, Float32Buffer gradIn) {
    float[] g = new float[d.inputSize()];
    for (int o = 0; o < d.pooledSize(); o++) {
      int at = argmax.get(o);
      if (at < 0 || at >= g.length) {
        throw new IllegalArgumentException(
            "maxPoolBackward: argmax[" + o + "] = " + at + ", expected 0.." + (g.length - 1));
      }
      g[at] += gradOut.get(o);
    }
    gradIn.copyFrom(g);
  }

  @Override
  protected void reluChecked(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask) {
    for (int e = 0; e < count; e++) {
      byte v = src.get(e);
      dst.set(e, v > 0 ? v : 0);
      mask.set(e, (byte) (v > 0 ? 1 : 0));
    }
  }

  @Override
  protected void reluBackwardChecked(int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst) {
    for (int e = 0; e < count; e++) {
      dst.set(e, mask.get(e) != 0 ? grad.get(e) : 0f);
    }
  }
}
