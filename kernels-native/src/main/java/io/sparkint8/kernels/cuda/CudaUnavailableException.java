package io.sparkint8.kernels.cuda;

/**
 * CUDA cannot be used in this JVM, and why: the JCuda classes are not on the class path, the driver
 * library (libcuda.so.1) is not installed, no device is visible, the device is too old, or the jar holds
 * no PTX for it. The backend selection turns it into the "int8.backend=cuda is unavailable: ..." error.
 */
public final class CudaUnavailableException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public CudaUnavailableException(String reason) {
    super(reason);
  }

  public CudaUnavailableException(String reason, Throwable cause) {
    super(reason, cause);
  }
}
