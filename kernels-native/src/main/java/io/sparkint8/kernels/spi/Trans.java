package io.sparkint8.kernels.spi;

/** Whether a GEMM operand is used as stored (N) or transposed (T). Matrices are row-major. */
public enum Trans {
  N,
  T;

  public int code() {
    return this == N ? 0 : 1;
  }
}
