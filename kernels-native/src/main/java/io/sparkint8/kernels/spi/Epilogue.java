package io.sparkint8.kernels.spi;

import io.sparkint8.kernels.memory.Float32Buffer;

/**
 * The fused dequantization of an s8 x s8 GEMM into fp32. With S the exact integer dot product:
 *
 * <pre>
 *   v = (float) S;  v = v * alpha;
 *   if (rowScale != null) v = v * rowScale[i];
 *   if (colScale != null) v = v * colScale[j];
 *   if (bias != null)     v = v + bias[j];
 *   if (beta != 0)        v = v + beta * C_old[i][j];
 *   C[i][j] = v
 * </pre>
 *
 * evaluated in exactly this order by every backend. Per-tensor scales go into {@code alpha}; per-row
 * scales of A (activations) into {@code rowScale}, per-column scales of B (weights) into {@code colScale}.
 * The buffers are borrowed, not owned.
 */
public record Epilogue(
    float alpha, Float32Buffer rowScale, Float32Buffer colScale, Float32Buffer bias, float beta) {

  public Epilogue {
    if (!Float.isFinite(alpha) || !Float.isFinite(beta)) {
      throw new IllegalArgumentException(
          "epilogue: alpha=" + alpha + " beta=" + beta + ", expected finite values");
    }
  }

  /** C = alpha * S. */
  public static Epilogue scale(float alpha) {
    return new Epilogue(alpha, null, null, null, 0f);
  }

  /** C = S * rowScale[i] * colScale[j]. */
  public static Epilogue rowsAndColumns(Float32Buffer rowScale, Float32Buffer colScale) {
    return new Epilogue(1f, rowScale, colScale, null, 0f);
  }

  public Epilogue withBias(Float32Buffer newBias) {
    return new Epilogue(alpha, rowScale, colScale, newBias, beta);
  }

  public Epilogue withBeta(float newBeta) {
    return new Epilogue(alpha, rowScale, colScale, bias, newBeta);
  }
}
