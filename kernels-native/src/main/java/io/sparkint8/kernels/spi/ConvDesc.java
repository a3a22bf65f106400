package io.sparkint8.kernels.spi;

/**
 * A sliding window over an NHWC tensor (n x h x w x c): kernel kh x kw, strides, zero padding. Used by
 * im2col/col2im (convolution as GEMM) and by max-pooling.
 *
 * <p>NHWC rather than NCHW because with channels innermost an im2col row is a run of kw*c contiguous
 * values per kernel row (copied, not gathered), a 1x1 convolution needs no im2col at all, and per-channel
 * statistics (BN, GVQ) vectorize across channels while keeping each channel's summation order.
 */
public record ConvDesc(
    int n, int h, int w, int c, int kh, int kw, int strideH, int strideW, int padH, int padW) {

  public ConvDesc {
    if (n < 1 || h < 1 || w < 1 || c < 1) {
      throw new IllegalArgumentException(
          "window: n=" + n + " h=" + h + " w=" + w + " c=" + c + ", expected all >= 1");
    }
    if (kh < 1 || kw < 1 || strideH < 1 || strideW < 1) {
      throw new IllegalArgumentException(
          "window: kernel " + kh + "x" + kw + " stride " + strideH + "x" + strideW
              + ", expected all >= 1");
    }
    if (padH < 0 || padW < 0) {
      throw new IllegalArgumentException(
          "window: padding " + padH + "x" + padW + ", expected >= 0");
    }
    if ((long) h + 2L * padH < kh || (long) w + 2L * padW < kw) {
      throw new IllegalArgumentException(
          "window: kernel " + kh + "x" + kw + " larger than the padded image "
              + ((long) h + 2L * padH) + "x" + ((long) w + 2L * padW));
    }
    if ((long) n * h * w * c > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "window: input of " + ((long) n * h * w * c) + " elements exceeds 2^31-1");
    }
    long cells = (long) n * outH(h, kh, strideH, padH) * outW(w, kw, strideW, padW);
    if (cells * ((long) kh * kw * c) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "window: im2col matrix of " + cells + " x " + ((long) kh * kw * c)
              + " elements exceeds 2^31-1");
    }
  }

  /** Square kernel, same stride and padding in both directions. */
  public static ConvDesc of(int n, int h, int w, int c, int k, int stride, int pad) {
    return new ConvDesc(n, h, w, c, k, k, stride, stride, pad, pad);
  }

  private static int outH(int h, int kh, int strideH, int padH) {
    return (int) (((long) h + 2L * padH - kh) / strideH + 1);
  }

  private static int outW(int w, int kw, int strideW, int padW) {
    return (int) (((long) w + 2L * padW - kw) / strideW + 1);
  }

  public int outH() {
    return outH(h, kh, strideH, padH);
  }

  public int outW() {
    return outW(w, kw, strideW, padW);
  }

  /** Elements of the input tensor. */
  public int inputSize() {
    return n * h * w * c;
  }

  /** Rows of the im2col matrix: one per output pixel. */
  public int colRows() {
    return n * outH() * outW();
  }

  /** Columns of the im2col matrix: (i*kw + j)*c + ch. */
  public int colCols() {
    return kh * kw * c;
  }

  /** Elements of the pooled output (n x outH x outW x c). */
  public int pooledSize() {
    return colRows() * c;
  }

  public void requirePoolingPadding() {
    if (padH >= kh || padW >= kw) {
      throw new IllegalArgumentException(
          "maxpool: padding " + padH + "x" + padW + " must be smaller than the window " + kh + "x"
              + kw);
    }
  }
}
