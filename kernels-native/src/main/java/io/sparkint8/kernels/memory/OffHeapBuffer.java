package io.sparkint8.kernels.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Off-heap memory with exactly one owner. An owning buffer is made by a {@link OffHeapAllocator} and
 * frees its memory on {@link #close()} (idempotent); a view made by {@code slice} shares its parent's
 * memory, frees nothing and becomes unusable when the parent closes. Every access after close throws
 * {@link IllegalStateException}. Not thread-safe for concurrent close; concurrent reads are fine.
 */
public abstract class OffHeapBuffer implements AutoCloseable {
  private final OffHeapAllocator allocator;
  private final OffHeapBuffer parent;
  private final ByteBuffer memory; // the allocation itself, kept to free it
  private final ByteBuffer bytes; // 64-byte aligned window in native order
  private final int length;
  private volatile boolean closed;

  OffHeapBuffer(OffHeapAllocator allocator, ByteBuffer memory, ByteBuffer bytes, int length) {
    this.allocator = allocator;
    this.parent = null;
    this.memory = memory;
    this.bytes = bytes.order(ByteOrder.nativeOrder());
    this.length = length;
  }

  /** A view of {@code parent}'s elements [offset, offset + length). */
  OffHeapBuffer(OffHeapBuffer parent, int offset, int length) {
    if (offset < 0 || length < 1 || (long) offset + length > parent.length()) {
      throw new IllegalArgumentException(
          "slice [" + offset + ", " + ((long) offset + length) + ") is outside a buffer of "
              + parent.length() + " elements");
    }
    this.allocator = null;
    this.parent = parent;
    this.memory = null;
    int size = parent.elementSize();
    this.bytes =
        parent.bytes().slice(offset * size, length * size).order(ByteOrder.nativeOrder());
    this.length = length;
  }

  /** Bytes per element. */
  public abstract int elementSize();

  /** Number of elements. */
  public final int length() {
    checkOpen();
    return length;
  }

  public final long byteSize() {
    return (long) length * elementSize();
  }

  /** The memory as a direct, native-order buffer (for kernels; do not keep it past close). */
  public final ByteBuffer bytes() {
    checkOpen();
    return bytes;
  }

  public final boolean isClosed() {
    return closed || (parent != null && parent.isClosed());
  }

  public final void checkOpen() {
    if (isClosed()) {
      throw new IllegalStateException(getClass().getSimpleName() + " used after close");
    }
  }

  /** Sets every byte to zero. */
  public void zero() {
    ByteBuffer b = bytes();
    for (int i = 0; i < b.capacity(); i++) {
      b.put(i, (byte) 0);
    }
  }

  @Override
  public final void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (allocator != null) {
      allocator.release(this, memory);
    }
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + length + (isClosed() ? ", closed]" : "]");
  }
}
