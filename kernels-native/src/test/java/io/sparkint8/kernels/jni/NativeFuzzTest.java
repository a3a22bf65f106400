package io.sparkint8.kernels.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkint8.kernels.NativeTestSupport;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.memory.OffHeapBuffer;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.BnAffine;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Granularity;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Rounding;
import io.sparkint8.kernels.spi.StemMoments;
import io.sparkint8.kernels.spi.Trans;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, acceptance 5: 100,000 calls straight into the JNI entry points, below every Java check,
 * with random small descriptors (sizes up to 64, leading dimensions, transposes, window strides and
 * padding, bits, granularity, groups, rounding, axis) and random buffers (null, shorter than the
 * call needs, or long enough; NaN and infinities in the data). Each call must return ERR_ARG or
 * give the Java reference's result bit for bit, never crash the JVM; and whenever the native side
 * refuses, the same inputs through the SPI ({@link NativeBackend} as a user calls it) throw {@link
 * IllegalArgumentException}. CI runs it on every ISA path (INT8K_MAX_ISA). Each failure names the
 * call's index and seed; {@code -Dfuzz.seed=} replays a run.
 */
class NativeFuzzTest {
  private static final long SEED = Long.getLong("fuzz.seed", 0x5EED_F022L);
  private static final int CALLS = Integer.getInteger("fuzz.calls", 100_000);

  private final JavaBackend ref = new JavaBackend();
  private NativeBackend nat;
  private OffHeapAllocator alloc;
  private SplittableRandom r;
  // per op: {calls, accepted}
  private final TreeMap<String, int[]> seen = new TreeMap<>();

  private interface Op {
    void run();
  }

  @Test
  void randomCallsReturnAnErrorOrTheReferenceResult() {
    nat = NativeTestSupport.nativeBackend();
    Op[] ops = {this::gemmS32, this::gemmF32Epilogue, this::gemmF32, this::quantize,
        this::dequantize, this::absmax, this::im2colS8, this::im2colF32, this::maxPool,
        this::maxPoolBackward, this::relu, this::transposeF32, this::columnSums,
        this::bnStatistics, this::bnMaxPool, this::bnMaxPoolBackwardInput, this::convS8Direct,
        this::convGradWeightF32Direct, this::quantizeTransposedBoth, this::bnMaxPoolBackwardMoments, this::convS8DirectSums,
        this::bnDeviations};
    SplittableRandom master = new SplittableRandom(SEED);
    try (OffHeapAllocator a = new OffHeapAllocator("native fuzz")) {
      alloc = a;
      for (int i = 0; i < CALLS; i++) {
        long seed = master.nextLong();
        r = new SplittableRandom(seed);
        try {
          ops[i % ops.length].run();
        } catch (AssertionError | RuntimeException e) {
          throw new AssertionError("call " + i + " (fuzz.seed " + SEED + ", call seed " + seed
              + ", INT8K_MAX_ISA=" + System.getenv("INT8K_MAX_ISA") + ", isa "
              + nat.isa() + "): " + e.getMessage(), e);
        }
      }
    }
    System.out.println("NativeFuzzTest: " + CALLS + " calls on " + nat.isa()
        + ", per op {calls, accepted}: " + seenText());
    for (var e : seen.entrySet()) {
      int[] c = e.getValue();
      // a fuzzer that only ever hits the checks (or never does) tests half of what it claims
      assertTrue(c[1] > c[0] / 20 && c[1] < c[0], e.getKey() + ": " + c[1] + " of " + c[0]
          + " calls accepted");
    }
  }

  private String seenText() {
    StringBuilder b = new StringBuilder();
    seen.forEach((k, v) -> b.append(k).append('=').append(Arrays.toString(v)).append(' '));
    return b.toString();
  }

  /**
   * The verdict on one call: {@code status} is the raw native call's; when it refused, {@code spi}
   * (the same inputs through NativeBackend's SPI) must throw IllegalArgumentException; when it
   * accepted, {@code reference} (the Java reference through the SPI) must accept too and {@code
   * same} must hold.
   */
  private void verdict(String op, int status, Op spi, Op reference, Op same) {
    int[] c = seen.computeIfAbsent(op, k -> new int[2]);
    c[0]++;
    if (status == NativeBackend.OK) {
      c[1]++;
      try {
        reference.run();
      } catch (IllegalArgumentException e) {
        fail(op + ": the native call accepted what the SPI rejects: " + e.getMessage());
      }
      same.run();
      return;
    }
    assertEquals(NativeBackend.ERR_ARG, status, op + ": status " + status + ": "
        + NativeBackend.lastError());
    if (spi == null) {
      return; // not expressible through the SPI (an unknown enum code, a short window array)
    }
    try {
      spi.run();
    } catch (IllegalArgumentException expected) {
      return;
    }
    fail(op + ": the native call refused (" + NativeBackend.lastError()
        + ") but the SPI accepted the same inputs");
  }

  // ---- random arguments ---------------------------------------------------------------------------

  /** A size: mostly 1..64 (often small), sometimes 0, negative or huge. */
  private int dim() {
    int p = r.nextInt(100);
    if (p < 90) {
      return 1 + r.nextInt(r.nextBoolean() ? 8 : 64);
    }
    int[] odd = {0, -1, -64, 1 << 16, 1 << 30, Integer.MAX_VALUE, Integer.MIN_VALUE};
    return odd[r.nextInt(odd.length)];
  }

  /** A leading dimension for {@code cols} columns: mostly >= cols, sometimes too small. */
  private int ld(int cols) {
    int p = r.nextInt(100);
    if (p < 85) {
      return (int) Math.min((long) cols + r.nextInt(4), Integer.MAX_VALUE);
    }
    return p < 95 ? cols - 1 - r.nextInt(2) : (p < 98 ? 0 : -r.nextInt(100));
  }

  /** An enum code: mostly one of {@code values}, sometimes out of range. */
  private int code(int values) {
    return r.nextInt(20) == 0 ? (r.nextBoolean() ? -1 : values + r.nextInt(3)) : r.nextInt(values);
  }

  /** The elements to allocate for a buffer the call needs {@code needed} of; -1 for null. */
  private int length(long needed) {
    int p = r.nextInt(100);
    if (p < 3) {
      return -1;
    }
    // the allocator holds at least one element
    if (needed < 0 || needed > (1 << 16)) {
      return 1 + r.nextInt(64);
    }
    if (p < 88 || needed <= 1) {
      return Math.max(1, (int) needed + r.nextInt(3));
    }
    return 1 + r.nextInt((int) needed - 1); // short
  }

  private float value() {
    int p = r.nextInt(1000);
    if (p == 0) {
      return Float.NaN;
    }
    if (p == 1) {
      return r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
    }
    return (float) (r.nextGaussian() * (p < 500 ? 1 : 100));
  }

  private Float32Buffer floats(long needed, boolean finite) {
    int n = length(needed);
    if (n < 0) {
      return null;
    }
    Float32Buffer b = alloc.allocateFloat32(n);
    for (int i = 0; i < n; i++) {
      float v = value();
      b.bytes().putFloat(4 * i, finite && !Float.isFinite(v) ? 0.5f : v);
    }
    return b;
  }

  private Int8Buffer bytes(long needed) {
    int n = length(needed);
    if (n < 0) {
      return null;
    }
    Int8Buffer b = alloc.allocateInt8(n);
    for (int i = 0; i < n; i++) {
      b.bytes().put(i, (byte) r.nextInt(256));
    }
    return b;
  }

  /** Random ints; with {@code indexBound} > 0, indices in [0, indexBound) but now and then one
   * just outside. */
  private Int32Buffer ints(long needed, long indexBound) {
    int n = length(needed);
    if (n < 0) {
      return null;
    }
    Int32Buffer b = alloc.allocateInt32(n);
    boolean outside = r.nextInt(4) == 0;
    for (int i = 0; i < n; i++) {
      int v = indexBound <= 0 || indexBound > Integer.MAX_VALUE ? r.nextInt()
          : r.nextInt((int) indexBound);
      if (outside && r.nextInt(Math.max(1, n)) == 0) {
        v = r.nextBoolean() ? -1 - r.nextInt(3) : (int) Math.min(indexBound, Integer.MAX_VALUE);
      }
      b.bytes().putInt(4 * i, v);
    }
    return b;
  }

  private static ByteBuffer raw(OffHeapBuffer b) {
    return b == null ? null : b.bytes();
  }

  /** A same-length copy (same contents) for the reference's outputs; null stays null. */
  @SuppressWarnings("unchecked")
  private <B extends OffHeapBuffer> B copy(B b) {
    if (b == null) {
      return null;
    }
    OffHeapBuffer c = b instanceof Float32Buffer ? alloc.allocateFloat32(b.length())
        : b instanceof Int32Buffer ? alloc.allocateInt32(b.length()) : alloc.allocateInt8(b.length());
    c.bytes().put(0, b.bytes(), 0, (int) b.byteSize());
    return (B) c;
  }

  private static void close(OffHeapBuffer... buffers) {
    for (OffHeapBuffer b : buffers) {
      if (b != null) {
        b.close();
      }
    }
  }

  /** Bit-equal contents over the first {@code elements} elements (the call's outputs). */
  private static void sameBits(String what, OffHeapBuffer nativeOut, OffHeapBuffer refOut,
      long elements) {
    int n = (int) (elements * nativeOut.elementSize());
    int at = nativeOut.bytes().slice(0, n).mismatch(refOut.bytes().slice(0, n));
    if (at >= 0) {
      fail(what + " differs from the reference at byte " + at + " of " + n);
    }
  }

  private static Trans trans(int code) {
    return code == 0 ? Trans.N : code == 1 ? Trans.T : null;
  }

  private static <E extends Enum<E>> E enumOf(Class<E> type, int code) {
    E[] v = type.getEnumConstants();
    return code >= 0 && code < v.length ? v[code] : null;
  }

  // ---- the ops ----------------------------------------------------------------------------------------

  private void gemmS32() {
    int ta = code(2);
    int tb = code(2);
    int m = dim();
    int n = dim();
    int k = dim();
    int lda = ld(ta == 1 ? m : k);
    int ldb = ld(tb == 1 ? k : n);
    int ldc = ld(n);
    Int8Buffer a = bytes(span(ta == 1 ? k : m, ta == 1 ? m : k, lda));
    Int8Buffer b = bytes(span(tb == 1 ? n : k, tb == 1 ? k : n, ldb));
    Int32Buffer c = ints(span(m, n, ldc), 0);
    Int32Buffer cr = copy(c);
    int threads = 1 + r.nextInt(2);
    int st = NativeBackend.gemmS8S8S32(ta, tb, m, n, k, lda, ldb, ldc, threads, raw(a), raw(b),
        null, raw(c));
    boolean known = trans(ta) != null && trans(tb) != null;
    verdict("gemm_s8s8s32", st,
        known ? () -> nat.withThreads(threads).gemmS8S8S32(
            new GemmDesc(trans(ta), trans(tb), m, n, k, lda, ldb, ldc), a, b, cr) : null,
        () -> ref.gemmS8S8S32(new GemmDesc(trans(ta), trans(tb), m, n, k, lda, ldb, ldc), a, b, cr),
        () -> sameBits("C", c, cr, span(m, n, ldc)));
    close(a, b, c, cr);
  }

  private void gemmF32Epilogue() {
    int ta = code(2);
    int tb = code(2);
    int m = dim();
    int n = dim();
    int k = dim();
    int lda = ld(ta == 1 ? m : k);
    int ldb = ld(tb == 1 ? k : n);
    int ldc = ld(n);
    Int8Buffer a = bytes(span(ta == 1 ? k : m, ta == 1 ? m : k, lda));
    Int8Buffer b = bytes(span(tb == 1 ? n : k, tb == 1 ? k : n, ldb));
    Float32Buffer c = floats(span(m, n, ldc), true);
    Float32Buffer cr = copy(c);
    Float32Buffer rowScale = r.nextBoolean() ? floats(m, true) : null;
    Float32Buffer colScale = r.nextBoolean() ? floats(n, true) : null;
    Float32Buffer bias = r.nextBoolean() ? floats(n, true) : null;
    float alpha = r.nextInt(50) == 0 ? Float.NaN : (float) r.nextGaussian();
    float beta = r.nextBoolean() ? 0f : (float) r.nextGaussian();
    int st = NativeBackend.gemmS8S8F32(ta, tb, m, n, k, lda, ldb, ldc, 1, raw(a), raw(b), null,
        raw(c), alpha, raw(rowScale), raw(colScale), raw(bias), beta);
    boolean known = trans(ta) != null && trans(tb) != null;
    verdict("gemm_s8s8f32", st,
        known ? () -> nat.gemmS8S8F32(new GemmDesc(trans(ta), trans(tb), m, n, k, lda, ldb, ldc),
            a, b, new Epilogue(alpha, rowScale, colScale, bias, beta), cr) : null,
        () -> ref.gemmS8S8F32(new GemmDesc(trans(ta), trans(tb), m, n, k, lda, ldb, ldc), a, b,
            new Epilogue(alpha, rowScale, colScale, bias, beta), cr),
        () -> sameBits("C", c, cr, span(m, n, ldc)));
    close(a, b, c, cr, rowScale, colScale, bias);
  }

  private void gemmF32() {
    int ta = code(2);
    int tb = code(2);
    int m = dim();
    int n = dim();
    int k = dim();
    int lda = ld(ta == 1 ? m : k);
    int ldb = ld(tb == 1 ? k : n);
    int ldc = ld(n);
    Float32Buffer a = floats(span(ta == 1 ? k : m, ta == 1 ? m : k, lda), true);
    Float32Buffer b = floats(span(tb == 1 ? n : k, tb == 1 ? k : n, ldb), true);
    Float32Buffer c = floats(span(m, n, ldc), true);
    Float32Buffer cr = copy(c);
    float alpha = (float) r.nextGaussian();
    float beta = r.nextBoolean() ? 0f : (float) r.nextGaussian();
    int threads = 1 + r.nextInt(2);
    int st = NativeBackend.gemmF32(ta, tb, m, n, k, lda, ldb, ldc, threads, alpha, raw(a), raw(b),
        beta, raw(c));
    boolean known = trans(ta) != null && trans(tb) != null;
    verdict("gemm_f32", st,
        known ? () -> nat.withThreads(threads).gemmF32(
            new GemmDesc(trans(ta), trans(tb), m, n, k, lda, ldb, ldc), alpha, a, b, beta, cr)
            : null,
        () -> ref.gemmF32(new GemmDesc(trans(ta), trans(tb), m, n, k, lda, ldb, ldc), alpha, a, b,
            beta, cr),
        () -> sameBits("C", c, cr, span(m, n, ldc)));
    close(a, b, c, cr);
  }

  /** Elements a rows x cols matrix with leading dimension ld spans, or -1 when it is none. */
  private static long span(int rows, int cols, int ld) {
    return rows < 1 || cols < 1 || ld < cols ? -1 : (long) (rows - 1) * ld + cols;
  }

  private QuantDesc quantDesc(int rows, int cols, int bits, int gran, int group, int rounding,
      boolean pow2, long seed, long stream) {
    return new QuantDesc(rows, cols, bits, enumOf(Granularity.class, gran), group,
        enumOf(Rounding.class, rounding), pow2, seed, stream);
  }

  /** Groups of a rows x cols quantization, or -1 when the sizes make none. */
  private static long groups(int rows, int cols, int gran, int group) {
    if (rows < 1 || cols < 1) {
      return -1;
    }
    return gran == 0 ? 1 : gran == 1 ? rows
        : group < 1 ? -1 : (long) rows * ((cols + group - 1) / group);
  }

  private void quantize() {
    int rows = dim();
    int cols = dim();
    int bits = r.nextInt(10) == 0 ? r.nextInt(12) - 1 : 2 + r.nextInt(7);
    int gran = code(3);
    int group = r.nextInt(10) == 0 ? r.nextInt(3) - 1 : 1 + r.nextInt(70);
    int rounding = code(2);
    boolean pow2 = r.nextBoolean();
    long seed = r.nextLong();
    long stream = r.nextLong();
    long count = rows < 1 || cols < 1 ? -1 : (long) rows * cols;
    long g = groups(rows, cols, gran, group);
    Float32Buffer src = floats(count, r.nextInt(4) != 0);
    Float32Buffer clip = r.nextBoolean() ? null : floats(g, r.nextInt(4) != 0);
    if (clip != null) {
      for (int i = 0; i < clip.length(); i++) {
        // clip values are magnitudes; now and then a negative one
        float v = Math.abs(clip.bytes().getFloat(4 * i));
        clip.bytes().putFloat(4 * i, r.nextInt(50) == 0 ? -v : v);
      }
    }
    Int8Buffer dst = bytes(count);
    Float32Buffer scales = floats(g, true);
    Int8Buffer dstRef = copy(dst);
    Float32Buffer scalesRef = copy(scales);
    int st = NativeBackend.quantize(rows, cols, bits, gran, group, rounding, pow2, seed, stream,
        raw(src), raw(clip), raw(dst), raw(scales));
    boolean known = enumOf(Granularity.class, gran) != null
        && enumOf(Rounding.class, rounding) != null;
    verdict("quantize", st,
        known ? () -> nat.quantize(quantDesc(rows, cols, bits, gran, group, rounding, pow2, seed,
            stream), src, clip, dstRef, scalesRef) : null,
        () -> ref.quantize(quantDesc(rows, cols, bits, gran, group, rounding, pow2, seed, stream),
            src, clip, dstRef, scalesRef),
        () -> {
          sameBits("codes", dst, dstRef, count);
          sameBits("scales", scales, scalesRef, g);
        });
    close(src, clip, dst, scales, dstRef, scalesRef);
  }

  /** quantizeTransposedBoth: per tensor or per row only, clip required, two code outputs. */
  private void quantizeTransposedBoth() {
    int rows = dim();
    int cols = dim();
    int bits = r.nextInt(10) == 0 ? r.nextInt(12) - 1 : 2 + r.nextInt(7);
    int gran = r.nextInt(10) == 0 ? code(3) : r.nextInt(2);
    int rounding = code(2);
    boolean pow2 = r.nextBoolean();
    long seed = r.nextLong();
    long stream = r.nextLong();
    long count = rows < 1 || cols < 1 ? -1 : (long) rows * cols;
    long g = groups(rows, cols, gran, 0);
    Float32Buffer srcT = floats(count, r.nextInt(4) != 0);
    Float32Buffer clip = floats(g, r.nextInt(4) != 0);
    if (clip != null) {
      for (int i = 0; i < clip.length(); i++) {
        // clip values are magnitudes; now and then a negative one
        float v = Math.abs(clip.bytes().getFloat(4 * i));
        clip.bytes().putFloat(4 * i, r.nextInt(50) == 0 ? -v : v);
      }
    }
    Int8Buffer dst = bytes(count);
    Int8Buffer dstT = bytes(count);
    Float32Buffer scales = floats(g, true);
    Int8Buffer dstRef = copy(dst);
    Int8Buffer dstTRef = copy(dstT);
    Float32Buffer scalesRef = copy(scales);
    int st = NativeBackend.quantizeTransposedBoth(rows, cols, bits, gran, rounding, pow2, seed,
        stream, raw(srcT), raw(clip), raw(dst), raw(dstT), raw(scales));
    boolean known = enumOf(Granularity.class, gran) != null
        && enumOf(Rounding.class, rounding) != null;
    verdict("quantize_transposed_both", st,
        known ? () -> nat.quantizeTransposedBoth(quantDesc(rows, cols, bits, gran, 0, rounding,
            pow2, seed, stream), srcT, clip, dstRef, dstTRef, scalesRef) : null,
        () -> ref.quantizeTransposedBoth(quantDesc(rows, cols, bits, gran, 0, rounding, pow2, seed,
            stream), srcT, clip, dstRef, dstTRef, scalesRef),
        () -> {
          sameBits("codes", dst, dstRef, count);
          sameBits("codes in srcT's layout", dstT, dstTRef, count);
          sameBits("scales", scales, scalesRef, g);
        });
    close(srcT, clip, dst, dstT, scales, dstRef, dstTRef, scalesRef);
  }

  private void dequantize() {
    int rows = dim();
    int cols = dim();
    int bits = r.nextInt(10) == 0 ? r.nextInt(12) - 1 : 2 + r.nextInt(7);
    int gran = code(3);
    int group = r.nextInt(10) == 0 ? r.nextInt(3) - 1 : 1 + r.nextInt(70);
    int rounding = code(2);
    long count = rows < 1 || cols < 1 ? -1 : (long) rows * cols;
    long g = groups(rows, cols, gran, group);
    Int8Buffer codes = bytes(count);
    Float32Buffer scales = floats(g, true);
    Float32Buffer dst = floats(count, true);
    Float32Buffer dstRef = copy(dst);
    int st = NativeBackend.dequantize(rows, cols, bits, gran, group, rounding, false, 0, 0,
        raw(codes), raw(scales), raw(dst));
    boolean known = enumOf(Granularity.class, gran) != null
        && enumOf(Rounding.class, rounding) != null;
    verdict("dequantize", st,
        known ? () -> nat.dequantize(quantDesc(rows, cols, bits, gran, group, rounding, false, 0,
            0), codes, scales, dstRef) : null,
        () -> ref.dequantize(quantDesc(rows, cols, bits, gran, group, rounding, false, 0, 0),
            codes, scales, dstRef),
        () -> sameBits("dst", dst, dstRef, count));
    close(codes, scales, dst, dstRef);
  }

  private void absmax() {
    int rows = dim();
    int cols = dim();
    int axis = code(3);
    long count = rows < 1 || cols < 1 ? -1 : (long) rows * cols;
    long outs = axis == 1 ? rows : axis == 2 ? cols : 1;
    Float32Buffer src = floats(count, r.nextBoolean());
    Float32Buffer out = floats(outs, true);
    Float32Buffer outRef = copy(out);
    int st = NativeBackend.absmax(rows, cols, raw(src), axis, raw(out));
    Axis ax = enumOf(Axis.class, axis);
    verdict("absmax", st,
        ax != null ? () -> nat.absmax(rows, cols, src, ax, outRef) : null,
        () -> ref.absmax(rows, cols, src, ax, outRef),
        () -> sameBits("out", out, outRef, outs));
    close(src, out, outRef);
  }

  /** A window descriptor: mostly valid small windows, sometimes odd fields or a short array. */
  private int[] window() {
    int[] w = new int[r.nextInt(30) == 0 ? r.nextInt(10) : 10];
    int[] base = {1 + r.nextInt(3), 1 + r.nextInt(12), 1 + r.nextInt(12), 1 + r.nextInt(6),
        1 + r.nextInt(4), 1 + r.nextInt(4), 1 + r.nextInt(3), 1 + r.nextInt(3), r.nextInt(3),
        r.nextInt(3)};
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextInt(12) == 0 ? new int[] {0, -1, -3, 1 << 20, Integer.MAX_VALUE}[r.nextInt(5)]
          : base[i];
    }
    return w;
  }

  private static ConvDesc conv(int[] w) {
    return new ConvDesc(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9]);
  }

  /** {image, cells, pooled} element counts of a window, -1 where the window is not one. */
  private static long[] windowSizes(int[] w) {
    try {
      ConvDesc d = conv(w);
      return new long[] {d.inputSize(), (long) d.colRows() * d.colCols(), d.pooledSize()};
    } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
      return new long[] {-1, -1, -1};
    }
  }

  /** {outputs, patch} of a window for the direct convolution ops, -1 where it is not one. */
  private static long[] directSizes(int[] w) {
    try {
      ConvDesc d = conv(w);
      return new long[] {d.colRows(), d.colCols()};
    } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
      return new long[] {-1, -1};
    }
  }

  private void convS8Direct() {
    int[] w = window();
    long[] s = windowSizes(w);
    long[] ds = directSizes(w);
    int oc = r.nextInt(10) == 0 ? dim() : 1 + r.nextInt(40);
    boolean sized = ds[0] > 0 && oc > 0;
    Int8Buffer src = bytes(s[0]);
    Int8Buffer wei = bytes(sized ? oc * ds[1] : -1);
    Float32Buffer rowScale = r.nextBoolean() ? floats(ds[0], true) : null;
    Float32Buffer colScale = r.nextBoolean() ? floats(oc, true) : null;
    Float32Buffer bias = r.nextBoolean() ? floats(oc, true) : null;
    Float32Buffer dst = floats(sized ? ds[0] * oc : -1, true);
    Float32Buffer dstRef = copy(dst);
    float alpha = r.nextInt(50) == 0 ? Float.NaN : (float) r.nextGaussian();
    float beta = r.nextBoolean() ? 0f : (float) r.nextGaussian();
    int st = NativeBackend.convS8Direct(w, raw(src), oc, raw(wei), alpha, raw(rowScale),
        raw(colScale), raw(bias), beta, raw(dst));
    verdict("conv_s8_direct", st, w.length == 10 ? () -> nat.convS8Direct(conv(w), src, wei, oc,
            new Epilogue(alpha, rowScale, colScale, bias, beta), dstRef) : null,
        () -> ref.convS8Direct(conv(w), src, wei, oc,
            new Epilogue(alpha, rowScale, colScale, bias, beta), dstRef),
        () -> sameBits("dst", dst, dstRef, ds[0] * oc));
    close(src, wei, rowScale, colScale, bias, dst, dstRef);
  }

  private void convS8DirectSums() {
    int[] w = window();
    long[] s = windowSizes(w);
    long[] ds = directSizes(w);
    int oc = r.nextInt(10) == 0 ? dim() : 1 + r.nextInt(40);
    boolean sized = ds[0] > 0 && oc > 0;
    Int8Buffer src = bytes(s[0]);
    Int8Buffer wei = bytes(sized ? oc * ds[1] : -1);
    Float32Buffer colScale = r.nextBoolean() ? floats(oc, true) : null;
    Float32Buffer dst = floats(sized ? ds[0] * oc : -1, true);
    Float32Buffer dstRef = copy(dst);
    float alpha = r.nextInt(50) == 0 ? Float.NaN : (float) r.nextGaussian();
    int n = Math.max(0, length(oc));
    double[] sums = new double[n];
    double[] sumsRef = new double[n];
    int st = NativeBackend.convS8DirectSums(w, raw(src), oc, raw(wei), alpha, null,
        raw(colScale), null, 0f, raw(dst), sums);
    verdict("conv_s8_direct_sums", st, w.length == 10
            ? () -> nat.convS8DirectSums(conv(w), src, wei, oc,
                new Epilogue(alpha, null, colScale, null, 0f), dstRef, sumsRef) : null,
        () -> ref.convS8DirectSums(conv(w), src, wei, oc,
            new Epilogue(alpha, null, colScale, null, 0f), dstRef, sumsRef),
        () -> {
          sameBits("dst", dst, dstRef, ds[0] * oc);
          assertTrue(Arrays.equals(Arrays.copyOf(sums, oc), Arrays.copyOf(sumsRef, oc)),
              "column sums differ from the reference");
        });
    close(src, wei, colScale, dst, dstRef);
  }

  private void convGradWeightF32Direct() {
    int[] w = window();
    long[] s = windowSizes(w);
    long[] ds = directSizes(w);
    int oc = r.nextInt(10) == 0 ? dim() : 1 + r.nextInt(40);
    boolean sized = ds[0] > 0 && oc > 0;
    // finite data: the sums' NaN payloads are not part of the contract
    Float32Buffer src = floats(s[0], true);
    Float32Buffer gradOut = floats(sized ? ds[0] * oc : -1, true);
    Float32Buffer gradWei = floats(sized ? oc * ds[1] : -1, true);
    Float32Buffer gradWeiRef = copy(gradWei);
    // the SPI's null gradBias ("no bias") has no native form: the native op always takes an array,
    // so the fuzzer sends a present one, of the right length or short
    int n = Math.max(0, length(oc));
    float[] bias = new float[n];
    float[] biasRef = new float[n];
    int st = NativeBackend.convGradWeightF32Direct(w, raw(src), oc, raw(gradOut), raw(gradWei),
        bias);
    verdict("conv_grad_weight_f32_direct", st, w.length == 10
            ? () -> nat.convGradWeightF32Direct(conv(w), src, gradOut, oc, gradWeiRef, biasRef)
            : null,
        () -> ref.convGradWeightF32Direct(conv(w), src, gradOut, oc, gradWeiRef, biasRef),
        () -> {
          sameBits("grad_wei", gradWei, gradWeiRef, oc * ds[1]);
          assertTrue(Arrays.equals(Arrays.copyOf(bias, oc), Arrays.copyOf(biasRef, oc)),
              "bias gradient differs from the reference");
        });
    close(src, gradOut, gradWei, gradWeiRef);
  }

  private void im2colS8() {
    int[] w = window();
    long[] s = windowSizes(w);
    Int8Buffer src = bytes(s[0]);
    Int8Buffer cols = bytes(s[1]);
    Int8Buffer colsRef = copy(cols);
    int st = NativeBackend.im2colS8(w, raw(src), raw(cols));
    verdict("im2col_s8", st, w.length == 10 ? () -> nat.im2col(conv(w), src, colsRef) : null,
        () -> ref.im2col(conv(w), src, colsRef), () -> sameBits("cols", cols, colsRef, s[1]));
    close(src, cols, colsRef);
  }

  private void im2colF32() {
    int[] w = window();
    long[] s = windowSizes(w);
    Float32Buffer src = floats(s[0], false);
    Float32Buffer cols = floats(s[1], true);
    Float32Buffer colsRef = copy(cols);
    int st = NativeBackend.im2colF32(w, raw(src), raw(cols));
    verdict("im2col_f32", st, w.length == 10 ? () -> nat.im2col(conv(w), src, colsRef) : null,
        () -> ref.im2col(conv(w), src, colsRef), () -> sameBits("cols", cols, colsRef, s[1]));
    close(src, cols, colsRef);
  }

  private void maxPool() {
    int[] w = window();
    long[] s = windowSizes(w);
    Int8Buffer src = bytes(s[0]);
    Int8Buffer dst = bytes(s[2]);
    Int32Buffer argmax = ints(s[2], 0);
    Int8Buffer dstRef = copy(dst);
    Int32Buffer argmaxRef = copy(argmax);
    int st = NativeBackend.maxPool(w, raw(src), raw(dst), raw(argmax));
    verdict("max_pool", st,
        w.length == 10 ? () -> nat.maxPool(conv(w), src, dstRef, argmaxRef) : null,
        () -> ref.maxPool(conv(w), src, dstRef, argmaxRef),
        () -> {
          sameBits("dst", dst, dstRef, s[2]);
          sameBits("argmax", argmax, argmaxRef, s[2]);
        });
    close(src, dst, argmax, dstRef, argmaxRef);
  }

  private void maxPoolBackward() {
    int[] w = window();
    long[] s = windowSizes(w);
    Float32Buffer gradOut = floats(s[2], true);
    // argmax indices mostly inside the image, a few just outside
    Int32Buffer argmax = ints(s[2], s[0]);
    Float32Buffer gradIn = floats(s[0], true);
    Float32Buffer gradInRef = copy(gradIn);
    int st = NativeBackend.maxPoolBackward(w, raw(gradOut), raw(argmax), raw(gradIn));
    verdict("max_pool_backward", st,
        w.length == 10 ? () -> nat.maxPoolBackward(conv(w), gradOut, argmax, gradInRef) : null,
        () -> ref.maxPoolBackward(conv(w), gradOut, argmax, gradInRef),
        () -> sameBits("grad_in", gradIn, gradInRef, s[0]));
    close(gradOut, argmax, gradIn, gradInRef);
  }

  /** A window, three times in four made to tile the image (what the fused bn + max-pool accepts). */
  private int[] tilingWindow() {
    int[] w = window();
    if (w.length == 10 && r.nextInt(4) != 0) {
      w[6] = w[4];
      w[7] = w[5];
      w[8] = 0;
      w[9] = 0;
    }
    return w;
  }

  /** Per-channel float numbers of a window's channels (sometimes short or null). */
  private float[] perChannel(int[] w) {
    float[] v = array(w.length == 10 ? w[3] : -1);
    if (v != null) {
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) r.nextDouble(0.25, 2);
      }
    }
    return v;
  }

  private void bnMaxPool() {
    int[] w = tilingWindow();
    long[] s = windowSizes(w);
    Float32Buffer x = floats(s[0], true);
    BnAffine p = new BnAffine(perChannel(w), perChannel(w), perChannel(w), perChannel(w));
    boolean relu = r.nextBoolean();
    Float32Buffer dst = floats(s[2], true);
    Int32Buffer argmax = ints(s[2], 0);
    Float32Buffer dstRef = copy(dst);
    Int32Buffer argmaxRef = copy(argmax);
    int st = NativeBackend.bnMaxPool(w, raw(x), p.mean(), p.invScale(), p.gamma(), p.beta(),
        relu ? 1 : 0, raw(dst), raw(argmax));
    verdict("bn_max_pool", st,
        w.length == 10 ? () -> nat.bnMaxPool(conv(w), x, p, relu, dstRef, argmaxRef) : null,
        () -> ref.bnMaxPool(conv(w), x, p, relu, dstRef, argmaxRef),
        () -> {
          sameBits("pooled", dst, dstRef, s[2]);
          sameBits("argmax", argmax, argmaxRef, s[2]);
        });
    close(x, dst, argmax, dstRef, argmaxRef);
  }

  private void bnMaxPoolBackwardInput() {
    int[] w = tilingWindow();
    long[] s = windowSizes(w);
    Float32Buffer gradPooled = floats(s[2], true);
    // any argmax: one outside its window (or the image) passes nothing
    Int32Buffer argmax = ints(s[2], s[0]);
    Float32Buffer x = floats(s[0], true);
    BnAffine p = new BnAffine(perChannel(w), perChannel(w), perChannel(w), perChannel(w));
    boolean relu = r.nextBoolean();
    double[][] abk = new double[3][];
    for (int i = 0; i < 3; i++) {
      float[] f = perChannel(w);
      abk[i] = f == null ? null : new double[f.length];
      for (int j = 0; f != null && j < f.length; j++) {
        abk[i][j] = f[j] - 1.0;
      }
    }
    Float32Buffer gradIn = floats(s[0], true);
    Float32Buffer gradInRef = copy(gradIn);
    int st = NativeBackend.bnMaxPoolBackwardInput(w, raw(gradPooled), raw(argmax), raw(x),
        p.mean(), p.invScale(), p.gamma(), p.beta(), relu ? 1 : 0, abk[0], abk[1], abk[2],
        raw(gradIn));
    verdict("bn_max_pool_backward_input", st,
        w.length == 10 ? () -> nat.bnMaxPoolBackwardInput(conv(w), gradPooled, argmax, x, p,
            relu, abk[0], abk[1], abk[2], gradInRef) : null,
        () -> ref.bnMaxPoolBackwardInput(conv(w), gradPooled, argmax, x, p, relu, abk[0],
            abk[1], abk[2], gradInRef),
        () -> sameBits("grad_in", gradIn, gradInRef, s[0]));
    close(gradPooled, argmax, x, gradIn, gradInRef);
  }

  private void bnMaxPoolBackwardMoments() {
    int[] w = window();
    long[] s = windowSizes(w);
    long[] ds = directSizes(w);
    int oc = r.nextInt(10) == 0 ? dim() : 1 + r.nextInt(40);
    int pool = r.nextInt(10) == 0 ? dim() : 1 + r.nextInt(3);
    long pooled = -1;
    if (ds[0] > 0 && oc > 0 && pool > 0) {
      ConvDesc d = conv(w);
      pooled = (long) d.n() * (d.outH() / pool) * (d.outW() / pool) * oc;
    }
    long outputs = ds[0] > 0 && oc > 0 ? ds[0] * oc : -1;
    // finite data: the sums' NaN payloads are not part of the contract
    Float32Buffer image = floats(s[0], true);
    Float32Buffer gradPooled = floats(pooled, true);
    Int32Buffer argmax = ints(pooled, outputs);
    Float32Buffer x = floats(outputs, true);
    float[][] affine = new float[4][];
    for (int i = 0; i < 4; i++) {
      affine[i] = array(oc);
      for (int j = 0; affine[i] != null && j < affine[i].length; j++) {
        affine[i][j] = (float) r.nextDouble(0.25, 2);
      }
    }
    BnAffine p = new BnAffine(affine[0], affine[1], affine[2], affine[3]);
    boolean relu = r.nextBoolean();
    boolean shaped = oc >= 1 && ds[1] >= 1 && ds[1] <= Int8Backend.DIRECT_CONV_MAX_PATCH;
    long size = shaped ? (2L * ds[1] + 2) * oc + ds[1] : -1;
    double[] out = new double[Math.max(0, length(size))];
    StemMoments[] want = new StemMoments[1];
    int st = NativeBackend.bnMaxPoolBackwardMoments(w, raw(image), oc, pool, raw(gradPooled),
        raw(argmax), raw(x), p.mean(), p.invScale(), p.gamma(), p.beta(), relu ? 1 : 0, out);
    // a short out has no SPI form (StemMoments is sized by the op), so only full ones are compared
    verdict("bn_max_pool_backward_moments", st, w.length == 10 && out.length >= size
            ? () -> nat.bnMaxPoolBackwardMoments(conv(w), image, oc, pool, gradPooled, argmax, x,
                p, relu, new StemMoments(oc, (int) ds[1])) : null,
        () -> {
          want[0] = new StemMoments(oc, (int) ds[1]);
          ref.bnMaxPoolBackwardMoments(conv(w), image, oc, pool, gradPooled, argmax, x, p, relu,
              want[0]);
        },
        () -> {
          for (int i = 0; i < size; i++) {
            assertEquals(Double.doubleToRawLongBits(want[0].values()[i]),
                Double.doubleToRawLongBits(out[i]), "moments[" + i + "] differ from the reference");
          }
        });
    close(image, gradPooled, argmax, x);
  }

  private void relu() {
    int count = dim();
    Int8Buffer src = bytes(count);
    Int8Buffer dst = bytes(count);
    Int8Buffer mask = bytes(count);
    Int8Buffer dstRef = copy(dst);
    Int8Buffer maskRef = copy(mask);
    int st = NativeBackend.relu(count, raw(src), raw(dst), raw(mask));
    verdict("relu", st, () -> nat.relu(count, src, dstRef, maskRef),
        () -> ref.relu(count, src, dstRef, maskRef),
        () -> {
          sameBits("dst", dst, dstRef, count);
          sameBits("mask", mask, maskRef, count);
        });
    close(src, dst, mask, dstRef, maskRef);
  }

  private void transposeF32() {
    int rows = dim();
    int cols = dim();
    long count = rows < 1 || cols < 1 ? -1 : (long) rows * cols;
    Float32Buffer src = floats(count, false);
    Float32Buffer dst = floats(count, true);
    Float32Buffer dstRef = copy(dst);
    int st = NativeBackend.transposeF32(rows, cols, raw(src), raw(dst));
    verdict("transpose_f32", st, () -> nat.transposeF32(rows, cols, src, dstRef),
        () -> ref.transposeF32(rows, cols, src, dstRef),
        () -> sameBits("dst", dst, dstRef, count));
    close(src, dst, dstRef);
  }

  private float[] array(long needed) {
    int n = length(needed);
    return n < 0 ? null : new float[n];
  }

  private void columnSums() {
    int rows = dim();
    int cols = dim();
    long count = rows < 1 || cols < 1 ? -1 : (long) rows * cols;
    Float32Buffer m = floats(count, false);
    float[] out = array(cols);
    float[] outRef = out == null ? null : out.clone();
    int st = NativeBackend.columnSumsF32(rows, cols, raw(m), out);
    verdict("column_sums_f32", st, () -> nat.columnSumsF32(rows, cols, m, outRef),
        () -> ref.columnSumsF32(rows, cols, m, outRef),
        () -> assertTrue(Arrays.equals(Arrays.copyOf(out, cols), Arrays.copyOf(outRef, cols)),
            "column sums differ from the reference"));
    close(m);
  }

  private void bnDeviations() {
    int rows = dim();
    int channels = dim();
    long count = rows < 1 || channels < 1 ? -1 : (long) rows * channels;
    Float32Buffer x = floats(count, true);
    int nm = length(channels);
    double[] mean = nm < 0 ? null : new double[nm];
    for (int i = 0; mean != null && i < nm; i++) {
      mean[i] = r.nextGaussian();
    }
    double[][] out = new double[2][];
    double[][] outRef = new double[2][];
    for (int i = 0; i < 2; i++) {
      int n = length(channels);
      out[i] = n < 0 ? null : new double[n];
      outRef[i] = n < 0 ? null : new double[n];
    }
    int st = NativeBackend.bnDeviations(rows, channels, raw(x), mean, out[0], out[1]);
    verdict("bn_deviations", st,
        () -> nat.bnDeviations(rows, channels, x, mean, outRef[0], outRef[1]),
        () -> ref.bnDeviations(rows, channels, x, mean, outRef[0], outRef[1]),
        () -> {
          for (int i = 0; i < 2; i++) {
            assertTrue(Arrays.equals(Arrays.copyOf(out[i], channels),
                Arrays.copyOf(outRef[i], channels)), "deviation " + i + " differs");
          }
        });
    close(x);
  }

  private void bnStatistics() {
    int rows = dim();
    int channels = dim();
    long count = rows < 1 || channels < 1 ? -1 : (long) rows * channels;
    Float32Buffer x = floats(count, true);
    double[][] out = new double[3][];
    double[][] outRef = new double[3][];
    for (int i = 0; i < 3; i++) {
      int n = length(channels);
      out[i] = n < 0 ? null : new double[n];
      outRef[i] = n < 0 ? null : new double[n];
    }
    int st = NativeBackend.bnStatistics(rows, channels, raw(x), out[0], out[1], out[2]);
    verdict("bn_statistics", st,
        () -> nat.bnStatistics(rows, channels, x, outRef[0], outRef[1], outRef[2]),
        () -> ref.bnStatistics(rows, channels, x, outRef[0], outRef[1], outRef[2]),
        () -> {
          for (int i = 0; i < 3; i++) {
            assertTrue(Arrays.equals(Arrays.copyOf(out[i], channels),
                Arrays.copyOf(outRef[i], channels)), "statistic " + i + " differs");
          }
        });
    close(x);
  }
}
