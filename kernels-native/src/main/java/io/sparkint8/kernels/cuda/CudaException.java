package io.sparkint8.kernels.cuda;

/**
 * A CUDA driver call that returned an error: the driver's result code, its name (e.g.
 * CUDA_ERROR_OUT_OF_MEMORY) and what was being done. Thrown by {@link CudaDriver} implementations;
 * the message is meant to be read by a person diagnosing the machine.
 */
public class CudaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** CUDA_ERROR_NOT_FOUND: a named symbol (kernel entry) is not in the module. */
  public static final int NOT_FOUND = 500;

  private final int code;

  public CudaException(int code, String message) {
    super(message);
    this.code = code;
  }

  /** The CUresult value (0 never occurs: it means success). */
  public int code() {
    return code;
  }
}
