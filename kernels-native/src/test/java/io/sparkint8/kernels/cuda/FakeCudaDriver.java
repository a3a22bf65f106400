package io.sparkint8.kernels.cuda;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link CudaDriver} without a GPU, faithful where the backend's Java side can go wrong: "device
 * memory" is host memory at fake addresses (copies and memsets really move bytes, so status words read
 * back what was written), modules are parsed PTX text (a function lookup of a name the PTX lacks fails
 * like the real driver's CUDA_ERROR_NOT_FOUND), and launches are recorded and checked: the grid and
 * block limits, and that every pointer argument lies inside a live allocation. Kernels do not run.
 */
public final class FakeCudaDriver implements CudaDriver {
  /** One recorded launch. */
  public record Launch(String kernel, LaunchDims dims, KernelArgs args) {}

  private final List<DeviceInfo> devices;
  private String initFailure;
  private RuntimeException moduleFailure;
  private final TreeMap<Long, ByteBuffer> memory = new TreeMap<>();
  private long nextAddress = 0x7f0000000000L;
  private long nextHandle = 1;
  private final Map<Long, PtxEntries> modules = new HashMap<>();
  private final Map<Long, String> functionNames = new HashMap<>();
  private final Map<Long, Integer> contexts = new HashMap<>();
  private final List<String> loadedPtx = new ArrayList<>();
  private final List<String> lookedUp = new ArrayList<>();
  private final List<Launch> launches = new ArrayList<>();
  private final List<String> events = new ArrayList<>();
  private long current;
  private int streams;
  private int retained;

  public FakeCudaDriver(DeviceInfo... devices) {
    this.devices = List.of(devices);
  }

  /** An H100-like device: sm_90, 80 GiB, 132 SMs, 48 KiB / 227 KiB shared memory per block. */
  public static DeviceInfo h100(int ordinal) {
    return new DeviceInfo(ordinal, "Fake H100", 9, 0, 80L << 30, 132, 49152, 232448);
  }

  public static DeviceInfo withCapability(int major, int minor) {
    return new DeviceInfo(0, "Fake sm_" + major + minor, major, minor, 16L << 30, 40, 49152, 101376);
  }

  /** Makes init() fail the way a machine without libcuda does. */
  public FakeCudaDriver failingInit(String reason) {
    this.initFailure = reason;
    return this;
  }

  /** Makes loadModule throw (e.g. an UNSUPPORTED_PTX_VERSION CudaException). */
  public FakeCudaDriver failingModuleLoad(RuntimeException failure) {
    this.moduleFailure = failure;
    return this;
  }

  @Override
  public void init() {
    if (initFailure != null) {
      throw new CudaUnavailableException(initFailure);
    }
  }

  @Override
  public int deviceCount() {
    return devices.size();
  }

  @Override
  public DeviceInfo deviceInfo(int ordinal) {
    return devices.get(ordinal);
  }

  @Override
  public long retainPrimaryContext(int ordinal) {
    retained++;
    long h = nextHandle++;
    contexts.put(h, ordinal);
    return h;
  }

  @Override
  public void releasePrimaryContext(int ordinal) {
    retained--;
  }

  @Override
  public void setCurrentContext(long context) {
    if (!contexts.containsKey(context)) {
      throw new IllegalStateException("unknown context " + context);
    }
    current = context;
  }

  private void requireContext() {
    if (current == 0) {
      throw new IllegalStateException("driver call without a current context");
    }
  }

  @Override
  public long createStream() {
    requireContext();
    streams++;
    return nextHandle++;
  }

  @Override
  public void destroyStream(long stream) {
    streams--;
  }

  @Override
  public void synchronize(long stream) {
    requireContext();
    events.add("sync");
  }

  @Override
  public long loadModule(String ptx) {
    requireContext();
    if (moduleFailure != null) {
      throw moduleFailure;
    }
    loadedPtx.add(ptx);
    long h = nextHandle++;
    modules.put(h, PtxEntries.parse(ptx));
    return h;
  }

  @Override
  public void unloadModule(long module) {
    if (modules.remove(module) == null) {
      throw new IllegalStateException("unload of an unknown module");
    }
  }

  @Override
  public long function(long module, String name) {
    lookedUp.add(name);
    if (!modules.get(module).entries().containsKey(name)) {
      throw new CudaException(CudaException.NOT_FOUND,
          "cuModuleGetFunction(" + name + "): CUDA_ERROR_NOT_FOUND");
    }
    long h = nextHandle++;
    functionNames.put(h, name);
    return h;
  }

  @Override
  public void setMaxDynamicSharedBytes(long function, int bytes) {
    events.add("optin " + functionNames.get(function) + " " + bytes);
  }

  @Override
  public long malloc(long bytes) {
    requireContext();
    if (bytes < 1 || bytes > Integer.MAX_VALUE) {
      throw new CudaException(2, "cuMemAlloc(" + bytes + "): the fake holds at most 2^31-1 bytes");
    }
    long a = nextAddress;
    nextAddress += (bytes + 255) / 256 * 256 + 256;
    memory.put(a, ByteBuffer.allocate((int) bytes));
    events.add("malloc " + bytes);
    return a;
  }

  @Override
  public void free(long address) {
    requireContext();
    if (memory.remove(address) == null) {
      throw new IllegalStateException("free of 0x" + Long.toHexString(address) + ": not allocated");
    }
    events.add("free");
  }

  /** The memory at [address, address + bytes), which must lie inside one live allocation. */
  private ByteBuffer at(long address, long bytes) {
    Map.Entry<Long, ByteBuffer> e = memory.floorEntry(address);
    if (e == null || address - e.getKey() + bytes > e.getValue().capacity()) {
      throw new IllegalStateException("device range 0x" + Long.toHexString(address) + " + " + bytes
          + " is not inside a live allocation");
    }
    return e.getValue().duplicate().position((int) (address - e.getKey())).limit(
        (int) (address - e.getKey() + bytes));
  }

  /** Whether an address lies inside a live allocation (0 is the null pointer and always fine). */
  public boolean isLive(long address) {
    if (address == 0) {
      return true;
    }
    Map.Entry<Long, ByteBuffer> e = memory.floorEntry(address);
    return e != null && address < e.getKey() + e.getValue().capacity();
  }

  @Override
  public void copyHostToDevice(long dst, ByteBuffer src, long bytes, long stream) {
    at(dst, bytes).put(src.duplicate().position(0).limit((int) bytes));
  }

  @Override
  public void copyDeviceToHost(ByteBuffer dst, long src, long bytes, long stream) {
    dst.duplicate().position(0).put(at(src, bytes));
  }

  @Override
  public void copyDeviceToDevice(long dst, long src, long bytes, long stream) {
    at(dst, bytes).put(at(src, bytes));
  }

  @Override
  public void memsetD8(long dst, byte value, long count, long stream) {
    ByteBuffer b = at(dst, count);
    while (b.hasRemaining()) {
      b.put(value);
    }
  }

  @Override
  public void memsetD32(long dst, int value, long count, long stream) {
    ByteBuffer b = at(dst, count * 4).order(java.nio.ByteOrder.nativeOrder());
    while (b.hasRemaining()) {
      b.putInt(value);
    }
  }

  @Override
  public void launch(long function, LaunchDims dims, KernelArgs args, long stream) {
    requireContext();
    String name = functionNames.get(function);
    if (name == null) {
      throw new IllegalStateException("launch of an unknown function handle");
    }
    for (long p : args.pointers()) {
      if (!isLive(p)) {
        throw new IllegalStateException(name + ": pointer argument 0x" + Long.toHexString(p)
            + " is not inside a live allocation");
      }
    }
    launches.add(new Launch(name, dims, args));
  }

  // ---- what the tests inspect -----------------------------------------------------------------------

  public List<String> loadedPtx() {
    return loadedPtx;
  }

  public List<String> lookedUp() {
    return lookedUp;
  }

  public List<Launch> launches() {
    return launches;
  }

  public List<String> events() {
    return events;
  }

  public int liveAllocations() {
    return memory.size();
  }

  public int liveModules() {
    return modules.size();
  }

  public int liveStreams() {
    return streams;
  }

  public int retainedContexts() {
    return retained;
  }
}
