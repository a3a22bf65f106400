package io.sparkint8.kernels.cuda;

import io.sparkint8.kernels.memory.OffHeapBuffer;

/**
 * Device memory with exactly one owner, the device-side twin of {@code OffHeapBuffer}: an owning buffer
 * comes from a {@link DeviceAllocator} and frees its memory on {@link #close()} (idempotent); a view made
 * by {@link #view} shares its parent's memory, frees nothing and becomes unusable when the parent closes.
 * Every use after close throws {@link IllegalStateException}. No finalizer: an unclosed buffer is a leak
 * that its allocator reports when it closes.
 */
public final class DeviceBuffer implements AutoCloseable {
  private final DeviceAllocator allocator; // null for views
  private final DeviceBuffer parent; // null for owners
  private final CudaDevice device;
  private final long address;
  private final long length;
  private final DType type;
  private volatile boolean closed;

  DeviceBuffer(DeviceAllocator allocator, CudaDevice device, long address, DType type, long length) {
    this.allocator = allocator;
    this.parent = null;
    this.device = device;
    this.address = address;
    this.type = type;
    this.length = length;
  }

  private DeviceBuffer(DeviceBuffer parent, long address, DType type, long length) {
    this.allocator = null;
    this.parent = parent;
    this.device = parent.device;
    this.address = address;
    this.type = type;
    this.length = length;
  }

  /**
   * A view of {@code length} elements of {@code type} starting {@code byteOffset} bytes into this buffer
   * (aligned to the element size), sharing its memory.
   */
  public DeviceBuffer view(DType viewType, long byteOffset, long viewLength) {
    checkOpen();
    if (byteOffset < 0 || viewLength < 1 || byteOffset % viewType.size() != 0
        || byteOffset + viewLength * viewType.size() > byteSize()) {
      throw new IllegalArgumentException(
          "view of " + viewLength + " x " + viewType + " at byte " + byteOffset
              + " does not fit a device buffer of " + byteSize() + " bytes");
    }
    return new DeviceBuffer(this, address + byteOffset, viewType, viewLength);
  }

  public CudaDevice device() {
    return device;
  }

  public DType type() {
    return type;
  }

  /** Number of elements. */
  public long length() {
    checkOpen();
    return length;
  }

  public long byteSize() {
    return length * type.size();
  }

  /** The device address (what a kernel's pointer parameter receives). */
  public long address() {
    checkOpen();
    return address;
  }

  public boolean isClosed() {
    return closed || (parent != null && parent.isClosed());
  }

  public void checkOpen() {
    if (isClosed()) {
      throw new IllegalStateException("DeviceBuffer used after close");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (allocator != null) {
      allocator.release(this, address);
    }
  }

  @Override
  public String toString() {
    return "DeviceBuffer[" + length + " x " + type + (isClosed() ? ", closed]" : "]");
  }
}
