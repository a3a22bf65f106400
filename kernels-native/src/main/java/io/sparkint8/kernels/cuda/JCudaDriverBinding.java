package io.sparkint8.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUjit_option;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import jcuda.driver.JITOptions;

/**
 * {@link CudaDriver} on JCuda's driver API (org.jcuda:jcuda; only libcuda is needed at run time, not a
 * CUDA toolkit). The only class of the project that touches JCuda, so that a missing JCuda jar or driver
 * library surfaces as one {@link CudaUnavailableException} with the reason.
 *
 * <p>JCuda hands out Java objects for handles; this class keeps them in a table behind opaque long ids.
 * Device memory is addressed by raw device addresses: each allocation's {@link CUdeviceptr} is kept, and
 * an address inside it becomes {@code base.withByteOffset(address - base)} for copies. JCuda's own
 * exceptions stay disabled: every result code is checked here and turned into a {@link CudaException}
 * naming the call.
 */
public final class JCudaDriverBinding implements CudaDriver {
  private static final Object INIT_LOCK = new Object();
  private static volatile String initFailure;
  private static volatile boolean initDone;

  private final AtomicLong ids = new AtomicLong(1);
  private final Map<Long, NativePointerObject> handles = new ConcurrentHashMap<>();
  private final TreeMap<Long, Allocation> allocations = new TreeMap<>();

  /** A CUdeviceptr whose address is readable (NativePointerObject keeps it protected). */
  private static final class Allocation extends CUdeviceptr {
    long address() {
      return getNativePointer();
    }
  }

  @Override
  public void init() {
    if (!initDone) {
      synchronized (INIT_LOCK) {
        if (!initDone) {
          initFailure = tryInit();
          initDone = true;
        }
      }
    }
    if (initFailure != null) {
      throw new CudaUnavailableException(initFailure);
    }
  }

  private static String tryInit() {
    try {
      JCudaDriver.setExceptionsEnabled(false);
      int r = JCudaDriver.cuInit(0);
      if (r != CUresult.CUDA_SUCCESS) {
        return "cuInit failed: " + describe(r)
            + (r == CUresult.CUDA_ERROR_NO_DEVICE ? " (no NVIDIA GPU is visible to this process)" : "");
      }
      return null;
    } catch (NoClassDefFoundError e) {
      return "the JCuda classes (org.jcuda:jcuda) are not on the class path: " + e.getMessage();
    } catch (UnsatisfiedLinkError | ExceptionInInitializerError e) {
      String msg = String.valueOf(e.getMessage());
      if (msg.contains("libcuda.so")) {
        return "the CUDA driver library libcuda.so.1 is not installed (no NVIDIA driver on this "
            + "machine)";
      }
      return "JCuda's native driver binding did not load: " + msg.lines().findFirst().orElse(msg);
    }
  }

  private static String describe(int result) {
    String[] text = new String[1];
    String name = CUresult.stringFor(result);
    if (JCudaDriver.cuGetErrorString(result, text) == CUresult.CUDA_SUCCESS && text[0] != null) {
      return name + " (" + text[0] + ")";
    }
    return name;
  }

  private static void check(int result, String what) {
    if (result != CUresult.CUDA_SUCCESS) {
      throw new CudaException(result, what + ": " + describe(result));
    }
  }

  private long register(NativePointerObject handle) {
    long id = ids.getAndIncrement();
    handles.put(id, handle);
    return id;
  }

  private <T extends NativePointerObject> T handle(long id, Class<T> type) {
    NativePointerObject h = handles.get(id);
    if (!type.isInstance(h)) {
      throw new IllegalStateException("no live " + type.getSimpleName() + " with id " + id);
    }
    return type.cast(h);
  }

  private static CUdevice device(int ordinal) {
    CUdevice d = new CUdevice();
    check(JCudaDriver.cuDeviceGet(d, ordinal), "cuDeviceGet(" + ordinal + ")");
    return d;
  }

  @Override
  public int deviceCount() {
    int[] n = new int[1];
    check(JCudaDriver.cuDeviceGetCount(n), "cuDeviceGetCount");
    return n[0];
  }

  @Override
  public DeviceInfo deviceInfo(int ordinal) {
    CUdevice d = device(ordinal);
    byte[] name = new byte[256];
    check(JCudaDriver.cuDeviceGetName(name, name.length, d), "cuDeviceGetName");
    int len = 0;
    while (len < name.length && name[len] != 0) {
      len++;
    }
    long[] mem = new long[1];
    check(JCudaDriver.cuDeviceTotalMem(mem, d), "cuDeviceTotalMem");
    return new DeviceInfo(
        ordinal,
        new String(name, 0, len, StandardCharsets.US_ASCII),
        attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
        attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
        mem[0],
        attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
        attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK),
        attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN));
  }

  private static int attribute(CUdevice d, int attribute) {
    int[] v = new int[1];
    check(JCudaDriver.cuDeviceGetAttribute(v, attribute, d), "cuDeviceGetAttribute(" + attribute + ")");
    return v[0];
  }

  @Override
  public long retainPrimaryContext(int ordinal) {
    CUcontext ctx = new CUcontext();
    check(JCudaDriver.cuDevicePrimaryCtxRetain(ctx, device(ordinal)),
        "cuDevicePrimaryCtxRetain(" + ordinal + ")");
    return register(ctx);
  }

  @Override
  public void releasePrimaryContext(int ordinal) {
    check(JCudaDriver.cuDevicePrimaryCtxRelease(device(ordinal)),
        "cuDevicePrimaryCtxRelease(" + ordinal + ")");
  }

  @Override
  public void setCurrentContext(long context) {
    check(JCudaDriver.cuCtxSetCurrent(handle(context, CUcontext.class)), "cuCtxSetCurrent");
  }

  @Override
  public long createStream() {
    CUstream s = new CUstream();
    // CU_STREAM_NON_BLOCKING (1): no implicit synchronisation with the legacy default stream
    check(JCudaDriver.cuStreamCreate(s, 1), "cuStreamCreate");
    return register(s);
  }

  @Override
  public void destroyStream(long stream) {
    check(JCudaDriver.cuStreamDestroy(handle(stream, CUstream.class)), "cuStreamDestroy");
    handles.remove(stream);
  }

  @Override
  public void synchronize(long stream) {
    check(JCudaDriver.cuStreamSynchronize(handle(stream, CUstream.class)), "cuStreamSynchronize");
  }

  @Override
  public long loadModule(String ptx) {
    byte[] text = (ptx + "\0").getBytes(StandardCharsets.US_ASCII);
    CUmodule module = new CUmodule();
    int r = JCudaDriver.cuModuleLoadData(module, text);
    if (r == CUresult.CUDA_SUCCESS) {
      return register(module);
    }
    // load again with an error log buffer, only to say why (the plain call is the one relied upon)
    String log = null;
    try {
      JITOptions jit = new JITOptions();
      jit.putBytes(CUjit_option.CU_JIT_ERROR_LOG_BUFFER, new byte[16384]);
      jit.putInt(CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, 16384);
      CUmodule retry = new CUmodule();
      if (JCudaDriver.cuModuleLoadDataJIT(retry, Pointer.to(text), jit) == CUresult.CUDA_SUCCESS) {
        JCudaDriver.cuModuleUnload(retry);
      }
      log = jit.getString(CUjit_option.CU_JIT_ERROR_LOG_BUFFER);
    } catch (RuntimeException e) {
      log = "(no JIT log: " + e + ")";
    }
    throw new CudaException(r, "cuModuleLoadData: " + describe(r)
        + (r == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION
            ? " (the driver is older than the nvcc that wrote the PTX; update the driver or build "
                + "the PTX with an older nvcc)" : "")
        + (log == null || log.isBlank() ? "" : "; JIT log: " + log.trim()));
  }

  @Override
  public void unloadModule(long module) {
    check(JCudaDriver.cuModuleUnload(handle(module, CUmodule.class)), "cuModuleUnload");
    handles.remove(module);
  }

  @Override
  public long function(long module, String name) {
    CUfunction f = new CUfunction();
    check(JCudaDriver.cuModuleGetFunction(f, handle(module, CUmodule.class), name),
        "cuModuleGetFunction(" + name + ")");
    return register(f);
  }

  @Override
  public void setMaxDynamicSharedBytes(long function, int bytes) {
    check(JCudaDriver.cuFuncSetAttribute(handle(function, CUfunction.class),
        CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
        "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES, " + bytes + ")");
  }

  @Override
  public long malloc(long bytes) {
    Allocation p = new Allocation();
    check(JCudaDriver.cuMemAlloc(p, bytes), "cuMemAlloc(" + bytes + " bytes)");
    synchronized (allocations) {
      allocations.put(p.address(), p);
    }
    return p.address();
  }

  @Override
  public void free(long address) {
    Allocation p;
    synchronized (allocations) {
      p = allocations.remove(address);
    }
    if (p == null) {
      throw new IllegalStateException("free of 0x" + Long.toHexString(address)
          + ", which is not the start of a live allocation");
    }
    check(JCudaDriver.cuMemFree(p), "cuMemFree");
  }

  /** A CUdeviceptr for an address inside a live allocation. */
  private CUdeviceptr at(long address, long bytes) {
    Map.Entry<Long, Allocation> e;
    synchronized (allocations) {
      e = allocations.floorEntry(address);
    }
    if (e == null) {
      throw new IllegalStateException("device address 0x" + Long.toHexString(address)
          + " is not inside a live allocation");
    }
    long offset = address - e.getKey();
    return offset == 0 ? e.getValue() : e.getValue().withByteOffset(offset);
  }

  @Override
  public void copyHostToDevice(long dst, ByteBuffer src, long bytes, long stream) {
    check(JCudaDriver.cuMemcpyHtoDAsync(at(dst, bytes), Pointer.to(src), bytes,
        handle(stream, CUstream.class)), "cuMemcpyHtoDAsync(" + bytes + " bytes)");
  }

  @Override
  public void copyDeviceToHost(ByteBuffer dst, long src, long bytes, long stream) {
    check(JCudaDriver.cuMemcpyDtoHAsync(Pointer.to(dst), at(src, bytes), bytes,
        handle(stream, CUstream.class)), "cuMemcpyDtoHAsync(" + bytes + " bytes)");
  }

  @Override
  public void copyDeviceToDevice(long dst, long src, long bytes, long stream) {
    check(JCudaDriver.cuMemcpyDtoDAsync(at(dst, bytes), at(src, bytes), bytes,
        handle(stream, CUstream.class)), "cuMemcpyDtoDAsync(" + bytes + " bytes)");
  }

  @Override
  public void memsetD8(long dst, byte value, long count, long stream) {
    check(JCudaDriver.cuMemsetD8Async(at(dst, count), value, count, handle(stream, CUstream.class)),
        "cuMemsetD8Async");
  }

  @Override
  public void memsetD32(long dst, int value, long count, long stream) {
    check(JCudaDriver.cuMemsetD32Async(at(dst, count * 4), value, count,
        handle(stream, CUstream.class)), "cuMemsetD32Async");
  }

  @Override
  public void launch(long function, LaunchDims dims, KernelArgs args, long stream) {
    String sig = args.signature();
    Pointer[] params = new Pointer[sig.length()];
    for (int i = 0; i < params.length; i++) {
      Object v = args.values().get(i);
      switch (sig.charAt(i)) {
        case 'p':
        case 'l':
          params[i] = Pointer.to(new long[] {(Long) v});
          break;
        case 'i':
          params[i] = Pointer.to(new int[] {(Integer) v});
          break;
        case 'f':
          params[i] = Pointer.to(new float[] {(Float) v});
          break;
        case 'd':
          params[i] = Pointer.to(new double[] {(Double) v});
          break;
        default:
          throw new IllegalArgumentException("kernel argument type '" + sig.charAt(i) + "'");
      }
    }
    check(JCudaDriver.cuLaunchKernel(handle(function, CUfunction.class),
        dims.gridX(), 1, 1, dims.blockX(), dims.blockY(), dims.blockZ(), dims.sharedBytes(),
        handle(stream, CUstream.class), Pointer.to(params), null), "cuLaunchKernel");
  }
}
