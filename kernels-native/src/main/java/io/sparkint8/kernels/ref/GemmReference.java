package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.Trans;

/**
 * The reference of the GEMMs: s8 x s8 with an exact integer sum (as int32, or through the dequantizing
 * epilogue in fp32), the packing of B (a dense k x n copy) and the fp32 GEMM. Arguments are valid
 * (checked by the caller).
 */
public final class GemmReference {
  private GemmReference() {}

  public static void gemmS8S8S32(GemmDesc d, Int8Buffer a, Int8Buffer b, Int32Buffer c) {
    s8s8(d, a, b, null, c, null);
  }

  public static void gemmS8S8S32(GemmDesc d, Int8Buffer a, PackedB b, Int32Buffer c) {
    s8s8(packedShape(d), a, b.data(), null, c, null);
  }

  public static void gemmS8S8F32(
      GemmDesc d, Int8Buffer a, Int8Buffer b, Epilogue ep, Float32Buffer c) {
    s8s8(d, a, b, ep, null, c);
  }

  public static void gemmS8S8F32(
      GemmDesc d, Int8Buffer a, PackedB b, Epilogue ep, Float32Buffer c) {
    s8s8(packedShape(d), a, b.data(), ep, null, c);
  }

  /** The call's shape with B read from a dense k x n copy, the reference's packed layout. */
  private static GemmDesc packedShape(GemmDesc d) {
    return new GemmDesc(d.transA(), Trans.N, d.m(), d.n(), d.k(), d.lda(), d.n(), d.ldc());
  }

  /** ep == null: int32 into c32; else the epilogue into cf. */
  private static void s8s8(
      GemmDesc d, Int8Buffer a, Int8Buffer b, Epilogue ep, Int32Buffer c32, Float32Buffer cf) {
    for (int i = 0; i < d.m(); i++) {
      for (int j = 0; j < d.n(); j++) {
        long s = 0;
        for (int p = 0; p < d.k(); p++) {
          s += a.get((int) d.indexA(i, p)) * b.get((int) d.indexB(p, j));
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

  /** The epilogue of one output: also the direct convolution's, which must give the GEMM's bits. */
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

  /** B as a dense k x n copy owned by a new buffer of {@code allocator}. */
  public static PackedB packB(
      OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b,
      String packedBy) {
    Int8Buffer copy = allocator.allocateInt8((long) k * n);
    for (int p = 0; p < k; p++) {
      for (int j = 0; j < n; j++) {
        int from = transB == Trans.N ? p * ldb + j : j * ldb + p;
        copy.set(p * n + j, b.get(from));
      }
    }
    return new PackedB(copy, k, n, packedBy);
  }

  /**
   * C = alpha * op(A) * op(B) + beta * C, each output one fused multiply-add chain over k in ascending
   * order from +0, then alpha and beta (see {@code Int8Backend.gemmF32}). {@link Math#fma} rounds once
   * per step, as the vector FMAs of the native kernels do, so the chain fixes the bits whatever the ISA
   * or the thread count.
   */
  public static void gemmF32(
      GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta, Float32Buffer c) {
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
}
