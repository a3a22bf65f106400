package io.sparkint8.kernels.cuda;

/**
 * The fused dequantization of {@code io.sparkint8.kernels.spi.Epilogue} with device-resident scale and bias
 * vectors (fp32; rowScale m entries, colScale and bias n entries, each optional), for the device API's
 * s8 x s8 -> fp32 GEMM. Same formula and order.
 */
public record DeviceEpilogue(
    float alpha, DeviceBuffer rowScale, DeviceBuffer colScale, DeviceBuffer bias, float beta) {

  public DeviceEpilogue {
    if (!Float.isFinite(alpha) || !Float.isFinite(beta)) {
      throw new IllegalArgumentException(
          "epilogue: alpha=" + alpha + " beta=" + beta + ", expected finite values");
    }
  }

  /** C = alpha * S. */
  public static DeviceEpilogue scale(float alpha) {
    return new DeviceEpilogue(alpha, null, null, null, 0f);
  }
}
