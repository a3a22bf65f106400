package io.sparkint8.kernels;

/** Whether a GEMM operand is used as stored (N) or transposed (T). Matrices are row-major. */
public enum Trans {
  N,
  T;

  int code() {
    return this == N ? 0 : 1;
  }
}
