package io.sparkint8.kernels.memory;

import java.nio.ByteBuffer;

/** Off-heap byte elements; see {@link OffHeapBuffer} for ownership. */
public final class Int8Buffer extends OffHeapBuffer {
  Int8Buffer(OffHeapAllocator allocator, ByteBuffer memory, ByteBuffer bytes, int length) {
    super(allocator, memory, bytes, length);
  }

  private Int8Buffer(Int8Buffer parent, int offset, int length) {
    super(parent, offset, length);
  }

  @Override
  public int elementSize() {
    return 1;
  }

  /** A view of elements [offset, offset + length) that shares this buffer's memory. */
  public Int8Buffer slice(int offset, int length) {
    checkOpen();
    return new Int8Buffer(this, offset, length);
  }

  public byte get(int index) {
    return bytes().get(index * 1);
  }

  public void set(int index, byte value) {
    bytes().put(index * 1, value);
  }

  /** Copies {@code src} into elements [0, src.length). */
  public Int8Buffer copyFrom(byte[] src) {
    if (src.length > length()) {
      throw new IllegalArgumentException(
          "copyFrom: " + src.length + " values into a buffer of " + length() + " elements");
    }
    ByteBuffer b = bytes();
    b.put(0, src);
    return this;
  }

  /** All elements as a new array. */
  public byte[] toArray() {
    ByteBuffer b = bytes();
    byte[] out = new byte[length()];
    b.get(0, out);
    return out;
  }
}
