package io.sparkint8.kernels.memory;

import java.nio.ByteBuffer;

/** Off-heap int elements; see {@link OffHeapBuffer} for ownership. */
public final class Int32Buffer extends OffHeapBuffer {
  Int32Buffer(OffHeapAllocator allocator, ByteBuffer memory, ByteBuffer bytes, int length) {
    super(allocator, memory, bytes, length);
  }

  private Int32Buffer(Int32Buffer parent, int offset, int length) {
    super(parent, offset, length);
  }

  @Override
  public int elementSize() {
    return 4;
  }

  /** A view of elements [offset, offset + length) that shares this buffer's memory. */
  public Int32Buffer slice(int offset, int length) {
    checkOpen();
    return new Int32Buffer(this, offset, length);
  }

  public int get(int index) {
    return bytes().getInt(index * 4);
  }

  public void set(int index, int value) {
    bytes().putInt(index * 4, value);
  }

  /** Copies {@code src} into elements [0, src.length). */
  public Int32Buffer copyFrom(int[] src) {
    if (src.length > length()) {
      throw new IllegalArgumentException(
          "copyFrom: " + src.length + " values into a buffer of " + length() + " elements");
    }
    ByteBuffer b = bytes();
    b.duplicate().order(b.order()).asIntBuffer().put(src);
    return this;
  }

  /** All elements as a new array. */
  public int[] toArray() {
    ByteBuffer b = bytes();
    int[] out = new int[length()];
    b.duplicate().order(b.order()).asIntBuffer().get(out);
    return out;
  }
}
