package io.sparkint8.kernels.cuda;

import io.sparkint8.kernels.memory.OffHeapAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Owner of device buffers, like {@code OffHeapAllocator} on the host: it hands out zeroed buffers,
 * counts the bytes outstanding against an optional limit, and on {@link #close()} frees whatever is
 * still open and throws {@link IllegalStateException} naming the leaked buffers. Freeing waits for the
 * device's stream first: a kernel queued before the close may still be reading the memory.
 */
public final class DeviceAllocator implements AutoCloseable {
  private final CudaDevice device;
  private final String name;
  private final long limitBytes;
  private final AtomicLong allocated = new AtomicLong();
  private final Map<DeviceBuffer, Long> live = new ConcurrentHashMap<>();
  private volatile boolean closed;

  DeviceAllocator(CudaDevice device, String name, long limitBytes) {
    if (limitBytes < 1) {
      throw new IllegalArgumentException("device allocator limit=" + limitBytes + ", expected >= 1");
    }
    this.device = device;
    this.name = name;
    this.limitBytes = limitBytes;
  }

  /** A zeroed buffer of {@code length} elements. */
  public DeviceBuffer allocate(DType type, long length) {
    if (closed) {
      throw new IllegalStateException("device allocator '" + name + "' is closed");
    }
    if (type == null || length < 1 || length > Long.MAX_VALUE / 8) {
      throw new IllegalArgumentException("device allocate: " + length + " x " + type);
    }
    long bytes = length * type.size();
    long after = allocated.addAndGet(bytes);
    if (after > limitBytes) {
      allocated.addAndGet(-bytes);
      throw new IllegalStateException("device allocator '" + name + "': " + bytes
          + " more bytes would exceed its limit of " + limitBytes + " (" + (after - bytes)
          + " in use)");
    }
    long address;
    try {
      address = device.call(() -> {
        long a = device.driver().malloc(bytes);
        device.driver().memsetD8(a, (byte) 0, bytes, device.stream());
        return a;
      });
    } catch (RuntimeException e) {
      allocated.addAndGet(-bytes);
      throw e;
    }
    DeviceBuffer b = new DeviceBuffer(this, device, address, type, length);
    live.put(b, bytes);
    return b;
  }

  void release(DeviceBuffer buffer, long address) {
    Long bytes = live.remove(buffer);
    if (bytes != null) {
      allocated.addAndGet(-bytes);
      device.run(() -> {
        device.driver().synchronize(device.stream());
        device.driver().free(address);
      });
    }
  }

  /** Bytes held by open buffers. */
  public long allocatedBytes() {
    return allocated.get();
  }

  public int openBuffers() {
    return live.size();
  }

  /** Frees every open buffer; throws if there were any (a leak). Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<String> leaked = new ArrayList<>();
    for (DeviceBuffer b : new ArrayList<>(live.keySet())) {
      leaked.add(b.toString());
      b.close();
    }
    if (!leaked.isEmpty()) {
      throw new IllegalStateException("device allocator '" + name + "' closed with " + leaked.size()
          + " open buffer(s): " + leaked);
    }
  }

  @Override
  public String toString() {
    return "DeviceAllocator[" + name + ", " + allocated.get() + " bytes in " + live.size()
        + " buffers]";
  }
}
