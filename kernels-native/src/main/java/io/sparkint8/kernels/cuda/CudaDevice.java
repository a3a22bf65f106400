package io.sparkint8.kernels.cuda;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One GPU as the backend uses it: the device's primary context, one stream, the PTX module of the
 * device's target (loaded once, its kernel functions looked up on first use and cached), the scratch
 * buffers, and a lock. Every driver call runs under the lock with the context made current on the calling
 * thread, so Spark task threads can share a device; work is queued on the one stream in call order.
 *
 * <p>{@link #shared(int)} gives the process-wide instance of a device on the real driver (kept for the
 * life of the JVM, like a loaded native library); {@link #open} builds one on any {@link CudaDriver},
 * which is how tests run everything up to the driver call without a GPU.
 */
public final class CudaDevice implements AutoCloseable {
  private static final Map<Integer, Object> SHARED = new HashMap<>(); // CudaDevice or failure String

  private final CudaDriver driver;
  private final DeviceInfo info;
  private final PtxTarget target;
  private final PtxEntries entries;
  private final long context;
  private final long stream;
  private final long module;
  private final Map<CudaKernel, Long> functions = new EnumMap<>(CudaKernel.class);
  private final Set<CudaKernel> sharedOptIn = new HashSet<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final DeviceAllocator scratchOwner;
  private final Map<ScratchSlot, DeviceBuffer> scratch = new EnumMap<>(ScratchSlot.class);
  private boolean closed;

  private CudaDevice(CudaDriver driver, DeviceInfo info, PtxTarget target, String ptx, long context) {
    this.driver = driver;
    this.info = info;
    this.target = target;
    this.context = context;
    this.entries = PtxEntries.parse(ptx);
    for (CudaKernel k : CudaKernel.on(target)) {
      String problem = entries.mismatch(k.entry(), k.signature());
      if (problem != null) {
        throw new CudaUnavailableException("the " + target.label() + " PTX (" + entries.toolkit()
            + ") does not match this build's kernel table: " + problem);
      }
    }
    driver.setCurrentContext(context);
    this.module = driver.loadModule(ptx);
    this.stream = driver.createStream();
    this.scratchOwner = new DeviceAllocator(this, "cuda scratch (device " + info.ordinal() + ")",
        Long.MAX_VALUE);
  }

  /**
   * A device on {@code driver}: checks the device and its compute capability, selects the PTX target
   * (forced to an older one by a non-null {@code forcedTarget}, e.g. "sm_75"), reads its PTX from
   * {@code ptx}, retains the primary context and loads the module. Throws CudaUnavailableException with
   * the reason when any of that is impossible.
   */
  public static CudaDevice open(CudaDriver driver, int ordinal, PtxSource ptx, String forcedTarget) {
    driver.init();
    int count = driver.deviceCount();
    if (count < 1) {
      throw new CudaUnavailableException("the CUDA driver sees no GPU");
    }
    if (ordinal < 0 || ordinal >= count) {
      throw new CudaUnavailableException(
          "GPU " + ordinal + " was requested, the driver sees " + count + " (0.." + (count - 1) + ")");
    }
    DeviceInfo info = driver.deviceInfo(ordinal);
    PtxTarget target = PtxTarget.select(info.computeCapability(), forcedTarget);
    String text = ptx.load(target);
    long ctx = driver.retainPrimaryContext(ordinal);
    try {
      return new CudaDevice(driver, info, target, text, ctx);
    } catch (RuntimeException e) {
      driver.releasePrimaryContext(ordinal);
      if (e instanceof CudaException) {
        throw new CudaUnavailableException(
            "loading the " + target.label() + " PTX on " + info + " failed: " + e.getMessage(), e);
      }
      throw e;
    }
  }

  /**
   * The process-wide device {@code ordinal} on JCuda, PTX from {@link PtxSource#fromSystem()}, target
   * from {@value PtxTarget#PROPERTY}. A failure is remembered and rethrown with the same reason.
   */
  public static CudaDevice shared(int ordinal) {
    synchronized (SHARED) {
      Object o = SHARED.get(ordinal);
      if (o == null) {
        try {
          o = open(systemDriver(), ordinal, PtxSource.fromSystem(),
              System.getProperty(PtxTarget.PROPERTY));
        } catch (CudaUnavailableException | CudaException e) {
          o = e.getMessage();
        }
        SHARED.put(ordinal, o);
      }
      if (o instanceof String) {
        throw new CudaUnavailableException((String) o);
      }
      return (CudaDevice) o;
    }
  }

  /** Null when {@link #shared(int)} works for the device, else the reason it does not. */
  public static String unavailableReason(int ordinal) {
    try {
      shared(ordinal);
      return null;
    } catch (CudaUnavailableException e) {
      return e.getMessage();
    }
  }

  private static CudaDriver systemDriver() {
    try {
      return new JCudaDriverBinding();
    } catch (LinkageError e) {
      throw new CudaUnavailableException(
          "the JCuda classes (org.jcuda:jcuda) are not on the class path: " + e);
    }
  }

  public DeviceInfo info() {
    return info;
  }

  public PtxTarget target() {
    return target;
  }

  /** The kernel entries of the loaded PTX and the nvcc that wrote it. */
  public PtxEntries ptx() {
    return entries;
  }

  public CudaDriver driver() {
    return driver;
  }

  public long stream() {
    return stream;
  }

  /** Runs {@code body} holding the device lock with the context current on this thread. */
  public <T> T call(Supplier<T> body) {
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("CUDA device " + info.ordinal() + " is closed");
      }
      driver.setCurrentContext(context);
      return body.get();
    } finally {
      lock.unlock();
    }
  }

  public void run(Runnable body) {
    call(() -> {
      body.run();
      return null;
    });
  }

  /** A new owner of device buffers on this device. */
  public DeviceAllocator newAllocator(String name) {
    return new DeviceAllocator(this, name, Long.MAX_VALUE);
  }

  /**
   * A scratch buffer of at least {@code length} elements, as a view of the slot's allocation, which
   * grows (never shrinks) and is reused by later calls. Valid until the slot is requested again.
   */
  public DeviceBuffer scratch(ScratchSlot slot, DType type, long length) {
    return call(() -> {
      long bytes = length * type.size();
      DeviceBuffer b = scratch.get(slot);
      if (b == null || b.byteSize() < bytes) {
        if (b != null) {
          b.close(); // waits for the stream: queued kernels may still use it
        }
        // grow by at least half again, so a slowly increasing size does not reallocate every call
        long grown = b == null ? bytes : Math.max(bytes, b.byteSize() + b.byteSize() / 2);
        b = scratchOwner.allocate(DType.S8, (grown + 255) / 256 * 256);
        scratch.put(slot, b);
      }
      return b.view(type, 0, length);
    });
  }

  /** Launches a kernel after checking that this target has it, the arguments' types against its PTX
   * signature, and the shared memory against the device's limit. */
  public void launch(CudaKernel kernel, LaunchDims dims, KernelArgs args) {
    run(() -> {
      if (!kernel.availableOn(target)) {
        throw new IllegalStateException(kernel.entry() + " is not in the " + target.label() + " PTX");
      }
      String problem = entries.mismatch(kernel.entry(), args.signature());
      if (problem != null) {
        throw new IllegalStateException("kernel arguments: " + problem);
      }
      long f = functions.computeIfAbsent(kernel, k -> driver.function(module, k.entry()));
      if (dims.sharedBytes() > info.sharedPerBlock()) {
        if (dims.sharedBytes() > info.sharedPerBlockOptin()) {
          throw new IllegalStateException(kernel.entry() + " needs " + dims.sharedBytes()
              + " bytes of shared memory, " + info + " allows " + info.sharedPerBlockOptin());
        }
        if (sharedOptIn.add(kernel)) {
          driver.setMaxDynamicSharedBytes(f, dims.sharedBytes());
        }
      }
      driver.launch(f, dims, args, stream);
    });
  }

  /** Copies {@code bytes} bytes of a direct host buffer (from element 0) to dst. */
  public void upload(DeviceBuffer dst, ByteBuffer src, long bytes) {
    requireFits(dst, bytes, "upload");
    if (src.capacity() < bytes) {
      throw new IllegalArgumentException(
          "upload of " + bytes + " bytes from a host buffer of " + src.capacity());
    }
    run(() -> driver.copyHostToDevice(dst.address(), src, bytes, stream));
  }

  /** Copies {@code bytes} bytes of src into a direct host buffer (from element 0). */
  public void download(ByteBuffer dst, DeviceBuffer src, long bytes) {
    requireFits(src, bytes, "download");
    if (dst.capacity() < bytes) {
      throw new IllegalArgumentException(
          "download of " + bytes + " bytes into a host buffer of " + dst.capacity());
    }
    run(() -> driver.copyDeviceToHost(dst, src.address(), bytes, stream));
  }

  private static void requireFits(DeviceBuffer b, long bytes, String what) {
    if (bytes < 0 || b.byteSize() < bytes) {
      throw new IllegalArgumentException(
          what + " of " + bytes + " bytes with a device buffer of " + b.byteSize());
    }
  }

  public void memsetD8(DeviceBuffer dst, byte value, long bytes) {
    requireFits(dst, bytes, "memset");
    run(() -> driver.memsetD8(dst.address(), value, bytes, stream));
  }

  public void memsetD32(DeviceBuffer dst, int value, long words) {
    requireFits(dst, words * 4, "memset");
    run(() -> driver.memsetD32(dst.address(), value, words, stream));
  }

  /** Waits for everything queued so far; asynchronous kernel failures surface here. */
  public void synchronize() {
    run(() -> driver.synchronize(stream));
  }

  /**
   * Frees the scratch buffers, unloads the module, destroys the stream and releases the context.
   * Shared devices are never closed (they live as long as the JVM); tests close the ones they open.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      driver.setCurrentContext(context);
      driver.synchronize(stream);
      for (DeviceBuffer b : scratch.values()) {
        b.close();
      }
      scratch.clear();
      scratchOwner.close();
      driver.unloadModule(module);
      driver.destroyStream(stream);
      driver.releasePrimaryContext(info.ordinal());
      closed = true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "CudaDevice[" + info + ", " + target.isa() + "]";
  }
}
