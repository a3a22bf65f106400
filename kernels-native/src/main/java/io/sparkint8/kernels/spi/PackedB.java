package io.sparkint8.kernels.spi;

import io.sparkint8.kernels.memory.Int8Buffer;

/**
 * The B operand of an s8 x s8 GEMM (k x n) packed once by {@link Int8Backend#packB} into the layout the
 * backend's kernel reads, to be reused by many GEMMs (weights: forward and grad_input of a step). Owns
 * its memory; only the backend (and ISA path) that packed it can use it.
 */
public final class PackedB implements AutoCloseable {
  private final Int8Buffer data;
  private final int k;
  private final int n;
  private final String packedBy;

  public PackedB(Int8Buffer data, int k, int n, String packedBy) {
    this.data = data;
    this.k = k;
    this.n = n;
    this.packedBy = packedBy;
  }

  public int k() {
    return k;
  }

  public int n() {
    return n;
  }

  /** Backend and ISA that made it, e.g. "native/avx2". */
  public String packedBy() {
    return packedBy;
  }

  public Int8Buffer data() {
    return data;
  }

  @Override
  public void close() {
    data.close();
  }
}
