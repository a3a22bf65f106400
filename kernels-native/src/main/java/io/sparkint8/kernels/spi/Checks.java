package io.sparkint8.kernels.spi;

import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.memory.OffHeapBuffer;

/**
 * Every argument check of the kernel layer, in one place: {@link AbstractBackend} composes them for host
 * buffers, the CUDA device API for its device buffers, the reference for the checks that need the data
 * (a non-finite quantization group, an argmax out of range). Each throws {@link
 * IllegalArgumentException} with a message naming the argument, the value and what was expected.
 */
public final class Checks {
  private Checks() {}

  // ---- buffers, descriptors, sizes ---------------------------------------------------------------

  /** A host buffer that is present, open and holds at least {@code elements}. */
  public static void buffer(OffHeapBuffer buffer, long elements, String what) {
    if (buffer == null) {
      throw new IllegalArgumentException("buffer '" + what + "' is null");
    }
    buffer.checkOpen();
    if (buffer.length() < elements) {
      throw new IllegalArgumentException(
          "buffer '" + what + "' holds " + buffer.length() + " elements, the call needs "
              + elements);
    }
  }

  /** As {@link #buffer}, but null is accepted. */
  public static void optionalBuffer(OffHeapBuffer buffer, long elements, String what) {
    if (buffer != null) {
      buffer(buffer, elements, what);
    }
  }

  public static void descriptor(Object desc, String what) {
    if (desc == null) {
      throw new IllegalArgumentException(what + " must not be null");
    }
  }

  public static void count(int count, String op) {
    if (count < 1) {
      throw new IllegalArgumentException(op + ": count=" + count + ", expected >= 1");
    }
  }

  public static void matrix(int rows, int cols, String op) {
    if (rows < 1 || cols < 1 || (long) rows * cols > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          op + ": rows=" + rows + " cols=" + cols + ", expected >= 1 and at most 2^31-1 elements");
    }
  }

  /** A rows x channels activation matrix (batch norm). */
  public static void rowsAndChannels(int rows, int channels, String op) {
    if (rows < 1 || channels < 1 || (long) rows * channels > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          op + ": rows=" + rows + " channels=" + channels
              + ", expected >= 1 and at most 2^31-1 elements");
    }
  }

  /** A host array with one entry per channel. */
  public static void perChannel(double[] array, int channels, String what, String op) {
    perChannel(array, array == null ? 0 : array.length, channels, what, op);
  }

  public static void perChannel(float[] array, int channels, String what, String op) {
    perChannel(array, array == null ? 0 : array.length, channels, what, op);
  }

  private static void perChannel(Object array, int length, int channels, String what, String op) {
    if (array == null) {
      throw new IllegalArgumentException(op + ": array '" + what + "' is null");
    }
    if (length < channels) {
      throw new IllegalArgumentException(
          op + ": array '" + what + "' has " + length + " elements, expected >= " + channels
              + " (one per channel)");
    }
  }

  /** A host vector with one entry per column of a matrix. */
  public static void perColumn(float[] vector, int cols, String op) {
    if (vector == null || vector.length < cols) {
      throw new IllegalArgumentException(
          op + ": vector of " + (vector == null ? "null" : vector.length + " elements")
              + ", expected >= " + cols + " (one per column)");
    }
  }

  /** Two buffers that must not be the same (an operation that cannot run in place). */
  public static void distinct(OffHeapBuffer src, OffHeapBuffer dst, String op) {
    if (src == dst) {
      throw new IllegalArgumentException(op + ": src and dst are the same buffer");
    }
  }

  // ---- GEMM ---------------------------------------------------------------------------------------

  /** A, B and C of a host GEMM against the descriptor. */
  public static void gemm(GemmDesc d, OffHeapBuffer a, OffHeapBuffer b, OffHeapBuffer c) {
    descriptor(d, "gemm descriptor");
    buffer(a, d.spanA(), "a");
    buffer(b, d.spanB(), "b");
    buffer(c, d.spanC(), "c");
  }

  /** A GEMM whose B was packed, by the backend {@code user} ("name/isa") for the call's k x n. */
  public static void gemmPacked(
      GemmDesc d, Int8Buffer a, PackedB b, OffHeapBuffer c, String user) {
    descriptor(d, "gemm descriptor");
    buffer(a, d.spanA(), "a");
    if (b == null) {
      throw new IllegalArgumentException("packed b is null");
    }
    if (b.k() != d.k() || b.n() != d.n()) {
      throw new IllegalArgumentException(
          "packed b is " + b.k() + " x " + b.n() + ", the call needs " + d.k() + " x " + d.n());
    }
    if (!b.packedBy().equals(user)) {
      throw new IllegalArgumentException(
          "packed b was made by " + b.packedBy() + " and cannot be used by " + user);
    }
    b.data().checkOpen();
    buffer(c, d.spanC(), "c");
  }

  /** The host epilogue of an fp32-output GEMM. */
  public static void epilogue(GemmDesc d, Epilogue ep) {
    if (ep == null) {
      throw new IllegalArgumentException("epilogue must not be null (use Epilogue.scale(1))");
    }
    optionalBuffer(ep.rowScale(), d.m(), "rowScale");
    optionalBuffer(ep.colScale(), d.n(), "colScale");
    optionalBuffer(ep.bias(), d.n(), "bias");
  }

  /** The group, k and alpha of a ShiftQuant GEMM ({@link ShiftQuant}). */
  public static void shiftGemm(GemmDesc d, int group, float alpha) {
    if (group < 1 || group > ShiftQuant.MAX_GROUP) {
      throw new IllegalArgumentException("gemmShift: group=" + group + ", expected 1.."
          + ShiftQuant.MAX_GROUP);
    }
    if (d.k() > ShiftQuant.MAX_K) {
      throw new IllegalArgumentException("gemmShift: k=" + d.k() + ", expected at most "
          + ShiftQuant.MAX_K);
    }
    if (!Float.isFinite(alpha)) {
      throw new IllegalArgumentException("gemmShift: alpha=" + alpha + ", expected finite");
    }
  }

  /** The exponents of row i of a ShiftQuant GEMM's A, which must lie within {@link ShiftQuant#SPAN}. */
  public static void shiftSpan(int row, int min, int max) {
    if ((long) max - min > ShiftQuant.SPAN) {
      throw new IllegalArgumentException("gemmShift: row " + row + " has exponents " + min + ".."
          + max + ", expected them within " + ShiftQuant.SPAN + " of each other");
    }
  }

  /** A ShiftQuant descriptor: power-of-two groups of at most {@link ShiftQuant#MAX_GROUP}. */
  public static void shiftQuantDesc(QuantDesc d) {
    if (d.granularity() != Granularity.PER_GROUP || !d.pow2()
        || d.group() > ShiftQuant.MAX_GROUP) {
      throw new IllegalArgumentException("shiftQuantize: granularity " + d.granularity()
          + ", pow2 " + d.pow2() + ", group " + d.group() + ", expected PER_GROUP with pow2 and a"
          + " group of 1.." + ShiftQuant.MAX_GROUP);
    }
  }

  /** The shape of a B to pack (the buffer holding it is checked by the caller, host or device). */
  public static void packBShape(Object allocator, Trans transB, int k, int n, int ldb) {
    if (allocator == null || transB == null) {
      throw new IllegalArgumentException("packB: allocator and transB must not be null");
    }
    if (k < 1 || k > GemmDesc.KMAX || n < 1) {
      throw new IllegalArgumentException(
          "packB: k=" + k + " n=" + n + ", expected 1 <= k <= " + GemmDesc.KMAX + " and n >= 1");
    }
    int cols = transB == Trans.N ? n : k;
    if (ldb < cols) {
      throw new IllegalArgumentException("packB: ldb=" + ldb + ", expected >= " + cols);
    }
  }

  /** Elements of the stored B a packing reads. */
  public static long packBSpan(Trans transB, int k, int n, int ldb) {
    return transB == Trans.N ? GemmDesc.span(k, n, ldb) : GemmDesc.span(n, k, ldb);
  }

  /** packB's arguments with a host B. */
  public static void packB(
      OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b) {
    packBShape(allocator, transB, k, n, ldb);
    buffer(b, packBSpan(transB, k, n, ldb), "b");
  }

  // ---- quantization and statistics ---------------------------------------------------------------

  /** The max |x| of quantization group g, which must be finite. */
  public static void finiteGroup(int g, float max) {
    if (!Float.isFinite(max)) {
      throw new IllegalArgumentException(
          "quantize: group " + g + " holds a non-finite value (max |x| = " + max + ")");
    }
  }

  /** The clip value of quantization group g, which must be finite and >= 0. */
  public static void clipValue(int g, float clip) {
    if (!(Float.isFinite(clip) && clip >= 0f)) {
      throw new IllegalArgumentException(
          "quantize: clip[" + g + "] = " + clip + ", expected a finite value >= 0");
    }
  }

  /** DSGC's bits (2..8) and its 1..64 finite, positive candidate clip values. */
  public static void clipCandidates(int bits, float[] candidates) {
    if (bits < 2 || bits > 8) {
      throw new IllegalArgumentException("clipCosineDeviation: bits=" + bits + ", expected 2..8");
    }
    if (candidates == null || candidates.length < 1 || candidates.length > 64) {
      throw new IllegalArgumentException(
          "clipCosineDeviation: "
              + (candidates == null ? "null" : String.valueOf(candidates.length))
              + " candidates, expected 1..64");
    }
    for (int i = 0; i < candidates.length; i++) {
      if (!(Float.isFinite(candidates[i]) && candidates[i] > 0)) {
        throw new IllegalArgumentException(
            "clipCosineDeviation: candidate[" + i + "]=" + candidates[i]
                + ", expected a finite value > 0");
      }
    }
  }

  // ---- windows ------------------------------------------------------------------------------------

  /** im2col's host operands: the image and its im2col matrix. */
  public static void im2col(ConvDesc d, OffHeapBuffer src, OffHeapBuffer cols) {
    descriptor(d, "window descriptor");
    buffer(src, d.inputSize(), "src");
    buffer(cols, (long) d.colRows() * d.colCols(), "cols");
  }

  /** col2im's host operands: the im2col matrix and the image. */
  public static void col2im(ConvDesc d, OffHeapBuffer cols, OffHeapBuffer dst) {
    descriptor(d, "window descriptor");
    buffer(cols, (long) d.colRows() * d.colCols(), "cols");
    buffer(dst, d.inputSize(), "dst");
  }

  /** Max-pool's host operands: the image, the pooled output and its argmax. */
  public static void maxPool(ConvDesc d, OffHeapBuffer src, OffHeapBuffer dst, OffHeapBuffer argmax) {
    pooling(d);
    buffer(src, d.inputSize(), "src");
    buffer(dst, d.pooledSize(), "dst");
    buffer(argmax, d.pooledSize(), "argmax");
  }

  /** A direct convolution's window (small, see {@link Int8Backend#DIRECT_CONV_MAX_PATCH}) and channels. */
  public static void directConv(ConvDesc d, int outChannels, String op) {
    descriptor(d, "window descriptor");
    if (d.colCols() > Int8Backend.DIRECT_CONV_MAX_PATCH) {
      throw new IllegalArgumentException(op + ": window of " + d.colCols()
          + " cells (kh*kw*c), expected at most " + Int8Backend.DIRECT_CONV_MAX_PATCH);
    }
    if (outChannels < 1) {
      throw new IllegalArgumentException(op + ": outChannels=" + outChannels + ", expected >= 1");
    }
    if ((long) d.colRows() * outChannels > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(op + ": output of " + d.colRows() + " x " + outChannels
          + " elements exceeds 2^31-1");
    }
  }

  /** A window descriptor for pooling: present, padding smaller than the window. */
  public static void pooling(ConvDesc d) {
    descriptor(d, "window descriptor");
    d.requirePoolingPadding();
  }

  /**
   * The operands of a batch norm fused with its max-pool: a window that tiles the image (stride ==
   * kernel, no padding), the input, the pooled tensor and its argmax, the per-channel numbers.
   */
  public static void bnMaxPool(ConvDesc d, OffHeapBuffer x, OffHeapBuffer pooled,
      OffHeapBuffer argmax, BnAffine affine, String op) {
    pooling(d);
    if (d.strideH() != d.kh() || d.strideW() != d.kw() || d.padH() != 0 || d.padW() != 0) {
      throw new IllegalArgumentException(op + ": window " + d.kh() + "x" + d.kw() + " stride "
          + d.strideH() + "x" + d.strideW() + " pad " + d.padH() + "x" + d.padW()
          + " does not tile the image (expected stride == kernel and no padding)");
    }
    buffer(x, d.inputSize(), "x");
    buffer(pooled, d.pooledSize(), "pooled");
    buffer(argmax, d.pooledSize(), "argmax");
    descriptor(affine, "affine");
    affine.check(d.c(), op);
  }

  /** Entry o of a max-pool's argmax, which must index the input (inputSize elements). */
  public static void argmax(int o, int at, int inputSize) {
    if (at < 0 || at >= inputSize) {
      throw new IllegalArgumentException(
          "maxPoolBackward: argmax[" + o + "] = " + at + ", expected 0.." + (inputSize - 1));
    }
  }
}
