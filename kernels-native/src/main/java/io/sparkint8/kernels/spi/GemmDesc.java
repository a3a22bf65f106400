package io.sparkint8.kernels.spi;

/**
 * Shape of C[m x n] = op(A)[m x k] * op(B)[k x n] over row-major operands with leading dimensions.
 *
 * <p>With {@code transA == N} A is stored m x k ({@code lda >= k}); with T it is stored k x m ({@code
 * lda >= m}). Likewise B is stored k x n ({@code ldb >= n}) or, transposed, n x k ({@code ldb >= k}); C
 * is m x n with {@code ldc >= n}.
 */
public record GemmDesc(Trans transA, Trans transB, int m, int n, int k, int lda, int ldb, int ldc) {
  /** Largest k a single int32 pass can reduce without overflow (|a*b| <= 2^14). */
  public static final int KMAX = 131008;

  public GemmDesc {
    if (transA == null || transB == null) {
      throw new IllegalArgumentException("gemm: transA and transB must not be null");
    }
    if (m < 1 || n < 1 || k < 1) {
      throw new IllegalArgumentException(
          "gemm: m=" + m + " n=" + n + " k=" + k + ", expected all >= 1");
    }
    int colsA = transA == Trans.N ? k : m;
    int colsB = transB == Trans.N ? n : k;
    if (lda < colsA) {
      throw new IllegalArgumentException("gemm: lda=" + lda + ", expected >= " + colsA);
    }
    if (ldb < colsB) {
      throw new IllegalArgumentException("gemm: ldb=" + ldb + ", expected >= " + colsB);
    }
    if (ldc < n) {
      throw new IllegalArgumentException("gemm: ldc=" + ldc + ", expected >= n=" + n);
    }
  }

  /** Plain C = A * B with densely stored operands. */
  public static GemmDesc of(int m, int n, int k) {
    return of(Trans.N, Trans.N, m, n, k);
  }

  /** Densely stored operands, transposed as given. */
  public static GemmDesc of(Trans transA, Trans transB, int m, int n, int k) {
    return new GemmDesc(
        transA, transB, m, n, k, transA == Trans.N ? k : m, transB == Trans.N ? n : k, n);
  }

  /** Elements of A that the call reads up to (the span of the stored matrix). */
  public long spanA() {
    return transA == Trans.N ? span(m, k, lda) : span(k, m, lda);
  }

  public long spanB() {
    return transB == Trans.N ? span(k, n, ldb) : span(n, k, ldb);
  }

  public long spanC() {
    return span(m, n, ldc);
  }

  public static long span(int rows, int cols, int ld) {
    return (long) (rows - 1) * ld + cols;
  }

  /** A[i][p] as an element offset. */
  public long indexA(int i, int p) {
    return transA == Trans.N ? (long) i * lda + p : (long) p * lda + i;
  }

  /** B[p][j] as an element offset. */
  public long indexB(int p, int j) {
    return transB == Trans.N ? (long) p * ldb + j : (long) j * ldb + p;
  }
}
