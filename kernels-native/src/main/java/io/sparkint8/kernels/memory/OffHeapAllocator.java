package io.sparkint8.kernels.memory;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Owner of off-heap buffers, in the manner of Arrow's allocators: it hands out 64-byte aligned, zeroed
 * buffers, counts the bytes outstanding, and on {@link #close()} frees whatever is still open and throws
 * {@link IllegalStateException} naming the leaked buffers, so a test that leaks fails. Memory is returned
 * to the OS when a buffer closes (through the JDK's direct-buffer cleaner), not when the GC runs.
 */
public final class OffHeapAllocator implements AutoCloseable {
  private static final int ALIGN = 64;
  private static final Freer FREER = Freer.find();
  // Every allocator of this JVM not closed yet, weakly (one never closed is still collectable):
  // the process-wide leak check of openAllocators().
  private static final Set<OffHeapAllocator> OPEN =
      Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

  private final String name;
  private final long limitBytes;
  private final AtomicLong allocated = new AtomicLong();
  private final Map<OffHeapBuffer, Long> live = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** An allocator that may hold at most {@code limitBytes} at once. */
  public OffHeapAllocator(String name, long limitBytes) {
    if (limitBytes < 1) {
      throw new IllegalArgumentException("allocator limit=" + limitBytes + ", expected >= 1");
    }
    this.name = name;
    this.limitBytes = limitBytes;
    OPEN.add(this);
  }

  /**
   * The allocators of this JVM that are not closed yet (and not collected): with {@link
   * #openBuffers()} and {@link #allocatedBytes()} of each, what the process holds off-heap through
   * this class.
   */
  public static List<OffHeapAllocator> openAllocators() {
    synchronized (OPEN) {
      return new ArrayList<>(OPEN);
    }
  }

  public OffHeapAllocator(String name) {
    this(name, Long.MAX_VALUE);
  }

  public Int8Buffer allocateInt8(long length) {
    ByteBuffer[] m = reserve(length, 1);
    return register(new Int8Buffer(this, m[0], m[1], (int) length), length);
  }

  public Int32Buffer allocateInt32(long length) {
    ByteBuffer[] m = reserve(length, 4);
    return register(new Int32Buffer(this, m[0], m[1], (int) length), length * 4);
  }

  public Float32Buffer allocateFloat32(long length) {
    ByteBuffer[] m = reserve(length, 4);
    return register(new Float32Buffer(this, m[0], m[1], (int) length), length * 4);
  }

  /** A new buffer holding a copy of {@code values}. */
  public Float32Buffer float32Of(float... values) {
    return allocateFloat32(values.length).copyFrom(values);
  }

  public Int8Buffer int8Of(byte... values) {
    return allocateInt8(values.length).copyFrom(values);
  }

  /** Bytes held by open buffers. */
  public long allocatedBytes() {
    return allocated.get();
  }

  public int openBuffers() {
    return live.size();
  }

  private ByteBuffer[] reserve(long length, int elementSize) {
    if (closed) {
      throw new IllegalStateException("allocator '" + name + "' is closed");
    }
    long bytes = length * elementSize;
    if (length < 1 || bytes > Integer.MAX_VALUE - 2 * ALIGN) {
      throw new IllegalArgumentException(
          "allocate: length=" + length + " elements of " + elementSize
              + " bytes, expected 1.." + ((Integer.MAX_VALUE - 2 * ALIGN) / elementSize));
    }
    long after = allocated.addAndGet(bytes);
    if (after > limitBytes) {
      allocated.addAndGet(-bytes);
      throw new IllegalStateException(
          "allocator '" + name + "': " + bytes + " more bytes would exceed its limit of "
              + limitBytes + " (" + (after - bytes) + " in use)");
    }
    ByteBuffer memory;
    try {
      // alignedSlice trims both ends to the alignment, so reserve whole units plus one
      memory = ByteBuffer.allocateDirect((int) ((bytes + ALIGN - 1) / ALIGN * ALIGN) + ALIGN);
    } catch (OutOfMemoryError e) {
      allocated.addAndGet(-bytes);
      throw e;
    }
    ByteBuffer aligned = memory.alignedSlice(ALIGN).limit((int) bytes).slice();
    return new ByteBuffer[] {memory, aligned};
  }

  private <B extends OffHeapBuffer> B register(B buffer, long bytes) {
    live.put(buffer, bytes);
    return buffer;
  }

  public void release(OffHeapBuffer buffer, ByteBuffer memory) {
    Long bytes = live.remove(buffer);
    if (bytes != null) {
      allocated.addAndGet(-bytes);
      FREER.free(memory);
    }
  }

  /** Frees every open buffer; throws if there were any (a leak). Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    OPEN.remove(this);
    List<String> leaked = new ArrayList<>();
    for (OffHeapBuffer b : new ArrayList<>(live.keySet())) {
      leaked.add(b.toString());
      b.close();
    }
    if (!leaked.isEmpty()) {
      throw new IllegalStateException(
          "allocator '" + name + "' closed with " + leaked.size() + " open buffer(s): " + leaked);
    }
  }

  @Override
  public String toString() {
    return "OffHeapAllocator[" + name + ", " + allocated.get() + " bytes in " + live.size()
        + " buffers]";
  }

  /** Frees a direct buffer now through sun.misc.Unsafe.invokeCleaner, or leaves it to the GC. */
  private static final class Freer {
    private final Object unsafe;
    private final Method invokeCleaner;

    private Freer(Object unsafe, Method invokeCleaner) {
      this.unsafe = unsafe;
      this.invokeCleaner = invokeCleaner;
    }

    static Freer find() {
      try {
        Class<?> c = Class.forName("sun.misc.Unsafe");
        Field f = c.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        return new Freer(f.get(null), c.getMethod("invokeCleaner", ByteBuffer.class));
      } catch (ReflectiveOperationException | RuntimeException e) {
        return new Freer(null, null);
      }
    }

    void free(ByteBuffer memory) {
      if (invokeCleaner == null) {
        return;
      }
      try {
        invokeCleaner.invoke(unsafe, memory);
      } catch (ReflectiveOperationException | RuntimeException e) {
        // the GC frees it later; nothing is lost but time
      }
    }
  }
}
