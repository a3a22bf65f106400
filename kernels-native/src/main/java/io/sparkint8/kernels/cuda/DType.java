package io.sparkint8.kernels.cuda;

/** Element types of device buffers, with their size in bytes. */
public enum DType {
  S8(1),
  S32(4),
  F32(4),
  S64(8),
  F64(8);

  private final int size;

  DType(int size) {
    this.size = size;
  }

  /** Bytes per element. */
  public int size() {
    return size;
  }
}
