package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.spi.BnAffine;
import io.sparkint8.kernels.spi.ConvDesc;

/**
 * The reference of batch normalization fused with the max-pool that follows it, for windows that
 * tile the image (stride == kernel, no padding; checked by the caller). Written as the composition it
 * replaces: the forward normalizes every element as {@link NormalizationReference#bnNormalize} and
 * pools as {@link WindowReference#maxPoolF32}; the backward builds the error max-pool's backward
 * would scatter and runs {@link NormalizationReference}'s backward sums and input gradient on it. The
 * native kernels compute the same values without the intermediate tensors.
 */
public final class PooledNormalizationReference {
  private PooledNormalizationReference() {}

  /** Max-pool (first cell seeds, a later one wins when strictly greater) of the normalized input. */
  public static void bnMaxPool(ConvDesc d, Float32Buffer x, BnAffine p, boolean relu,
      Float32Buffer pooled, Int32Buffer argmax) {
    int rows = d.n() * d.h() * d.w();
    float[] y = NormalizationReference.bnNormalize(rows, d.c(), HostArrays.read(x, d.inputSize()),
        p, relu);
    WindowReference.maxPoolF32(d, y, pooled, argmax);
  }

  /** Sums of {@link NormalizationReference#bnBackwardSums} of the scattered pooled error. */
  public static void bnMaxPoolBackwardSums(ConvDesc d, Float32Buffer gradPooled,
      Int32Buffer argmax, Float32Buffer x, BnAffine p, boolean relu, double[] sumG,
      double[] sumGh) {
    int rows = d.n() * d.h() * d.w();
    NormalizationReference.bnBackwardSums(rows, d.c(), scatteredError(d, gradPooled, argmax),
        HostArrays.read(x, d.inputSize()), p, relu, sumG, sumGh);
  }

  /** {@link NormalizationReference#bnBackwardInput} of the scattered pooled error. */
  public static void bnMaxPoolBackwardInput(ConvDesc d, Float32Buffer gradPooled,
      Int32Buffer argmax, Float32Buffer x, BnAffine p, boolean relu, double[] a, double[] b,
      double[] k, Float32Buffer gradIn) {
    int rows = d.n() * d.h() * d.w();
    float[] out = NormalizationReference.bnBackwardInput(rows, d.c(),
        scatteredError(d, gradPooled, argmax), HostArrays.read(x, d.inputSize()), p, relu, a, b, k);
    HostArrays.floats(gradIn).put(0, out, 0, out.length);
  }

  /**
   * The error of every input element: 0f + gradPooled[o] for the element argmax[o] names when it
   * lies in window o, +0 elsewhere. For an argmax of the forward this is exactly what max-pool's
   * backward writes (its sum starts from +0); one outside its window is ignored rather than
   * scattered.
   */
  static float[] scatteredError(ConvDesc d, Float32Buffer gradPooled,
      Int32Buffer argmax) {
    float[] g = new float[d.inputSize()];
    int ow = d.outW();
    int oh = d.outH();
    for (int o = 0; o < d.pooledSize(); o++) {
      int r = o / d.c();
      int ch = o % d.c();
      int b = r / (oh * ow);
      int oy = (r / ow) % oh;
      int ox = r % ow;
      int at = argmax.get(o);
      if (insideWindow(d, at, b, oy, ox, ch)) {
        g[at] = 0f + gradPooled.get(o);
      }
    }
    return g;
  }

  private static boolean insideWindow(ConvDesc d, int at, int b, int oy, int ox, int ch) {
    if (at < 0 || at >= d.inputSize() || at % d.c() != ch) {
      return false;
    }
    int pixel = at / d.c();
    int x = pixel % d.w();
    int y = (pixel / d.w()) % d.h();
    int image = pixel / (d.w() * d.h());
    return image == b && y / d.kh() == oy && x / d.kw() == ox;
  }
}
