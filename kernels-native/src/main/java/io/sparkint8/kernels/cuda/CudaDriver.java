package io.sparkint8.kernels.cuda;

import java.nio.ByteBuffer;

/**
 * The CUDA driver-API calls the backend makes, and nothing more. {@link JCudaDriverBinding} implements it with
 * JCuda ({@code cuInit}, {@code cuModuleLoadData}, {@code cuLaunchKernel}, ...); tests implement it with a
 * fake that keeps "device memory" in host buffers and records launches, so that module loading, kernel
 * lookup, launch arguments and buffer ownership are tested on machines without a GPU.
 *
 * <p>Handles (contexts, modules, functions, streams) are opaque longs; device memory is addressed by its
 * raw 64-bit device address, which is also what a kernel's pointer parameter receives. Calls that work
 * on device state require the device's context to be current on the calling thread ({@link
 * #setCurrentContext}); {@link CudaDevice} takes care of that. Failures throw {@link CudaException}.
 */
public interface CudaDriver {

  /**
   * Loads the driver library and initialises it (cuInit). Throws {@link CudaUnavailableException}
   * with the reason when CUDA cannot run in this process; later calls repeat the first outcome.
   */
  void init();

  int deviceCount();

  DeviceInfo deviceInfo(int ordinal);

  /** Retains the device's primary context (shared by every user of the device in the process). */
  long retainPrimaryContext(int ordinal);

  void releasePrimaryContext(int ordinal);

  void setCurrentContext(long context);

  long createStream();

  void destroyStream(long stream);

  /** Waits until everything queued on the stream has finished; reports asynchronous kernel errors. */
  void synchronize(long stream);

  /** cuModuleLoadData on PTX text (the driver JIT-compiles it for the device). */
  long loadModule(String ptx);

  void unloadModule(long module);

  /** The kernel entry {@code name} of a module; CudaException(NOT_FOUND) when it has none. */
  long function(long module, String name);

  /** Lets the kernel use more than 48 KiB of dynamic shared memory (cuFuncSetAttribute). */
  void setMaxDynamicSharedBytes(long function, int bytes);

  /** Allocates device memory (256-byte aligned) and returns its address. */
  long malloc(long bytes);

  void free(long address);

  /** Copies {@code bytes} bytes from element 0 of a direct buffer to device address dst. */
  void copyHostToDevice(long dst, ByteBuffer src, long bytes, long stream);

  /** Copies {@code bytes} bytes from device address src to element 0 of a direct buffer. */
  void copyDeviceToHost(ByteBuffer dst, long src, long bytes, long stream);

  void copyDeviceToDevice(long dst, long src, long bytes, long stream);

  /** Sets {@code count} bytes at dst to {@code value}. */
  void memsetD8(long dst, byte value, long count, long stream);

  /** Sets {@code count} 32-bit words at dst (4-byte aligned) to {@code value}. */
  void memsetD32(long dst, int value, long count, long stream);

  /** cuLaunchKernel: a 1-D grid of {@code dims.gridX()} blocks on the stream. */
  void launch(long function, LaunchDims dims, KernelArgs args, long stream);
}
