package io.sparkint8.kernels.memory;

import java.nio.ByteBuffer;

/** Off-heap float elements; see {@link OffHeapBuffer} for ownership. */
public final class Float32Buffer extends OffHeapBuffer {
  Float32Buffer(OffHeapAllocator allocator, ByteBuffer memory, ByteBuffer bytes, int length) {
    super(allocator, memory, bytes, length);
  }

  private Float32Buffer(Float32Buffer parent, int offset, int length) {
    super(parent, offset, length);
  }

  @Override
  public int elementSize() {
    return 4;
  }

  /** A view of elements [offset, offset + length) that shares this buffer's memory. */
  public Float32Buffer slice(int offset, int length) {
    checkOpen();
    return new Float32Buffer(this, offset, length);
  }

  public float get(int index) {
    return bytes().getFloat(index * 4);
  }

  public void set(int index, float value) {
    bytes().putFloat(index * 4, value);
  }

  /** Copies {@code src} into elements [0, src.length). */
  public Float32Buffer copyFrom(float[] src) {
    if (src.length > length()) {
      throw new IllegalArgumentException(
          "copyFrom: " + src.length + " values into a buffer of " + length() + " elements");
    }
    ByteBuffer b = bytes();
    b.duplicate().order(b.order()).asFloatBuffer().put(src);
    return this;
  }

  /** All elements as a new array. */
  public float[] toArray() {
    ByteBuffer b = bytes();
    float[] out = new float[length()];
    b.duplicate().order(b.order()).asFloatBuffer().get(out);
    return out;
  }
}
