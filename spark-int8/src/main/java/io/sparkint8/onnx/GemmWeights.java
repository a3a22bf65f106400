package io.sparkint8.onnx;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.QuantDesc;

/**
 * The weight operand of a conv or fc as the engine's forward GEMM sees it, and the element orders
 * that lay it out for ONNX. The engine keeps W as [n x k] with k in im2col order (kernel row,
 * kernel column, input channel; channels innermost, as NHWC); ONNX's Conv wants [n, channels,
 * kernel rows, kernel columns] and MatMulInteger's right operand is [k, n].
 */
final class GemmWeights {
  private GemmWeights() {}

  /** int8 codes of W [n x k] and their scales: one per output channel, or one in all. */
  record Codes(byte[] codes, float[] scales) {}

  /**
   * The codes of the engine's forward pass: W quantized per output channel (or per tensor) with
   * round-half-even through the kernel SPI op {@code GemmCore.loadWeights} calls, on the Java
   * reference (every native backend equals it bit for bit).
   */
  static Codes quantize(float[] w, int n, boolean perChannel) {
    int k = w.length / n;
    float[] scales = new float[perChannel ? n : 1];
    try (OffHeapAllocator alloc = new OffHeapAllocator("onnx-export weights");
        Float32Buffer src = alloc.allocateFloat32(w.length);
        Int8Buffer q = alloc.allocateInt8(w.length);
        Float32Buffer s = alloc.allocateFloat32(scales.length)) {
      src.copyFrom(w);
      QuantDesc d = perChannel ? QuantDesc.perRow(n, k) : QuantDesc.perTensor(n, k);
      new JavaBackend().quantize(d, src, null, q, s);
      for (int c = 0; c < scales.length; c++) {
        scales[c] = s.get(c);
      }
      return new Codes(q.toArray(), scales);
    }
  }

  static byte[] reorder(byte[] engine, int[] onnxToEngine) {
    byte[] out = new byte[onnxToEngine.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = engine[onnxToEngine[i]];
    }
    return out;
  }

  static float[] reorder(float[] engine, int[] onnxToEngine) {
    float[] out = new float[onnxToEngine.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = engine[onnxToEngine[i]];
    }
    return out;
  }

  /** For each element of ONNX's [n, c, kh, kw], its index in the engine's [n][(i*kw + j)*c + ch]. */
  static int[] convOrder(int n, int c, int kernel) {
    int[] order = new int[n * c * kernel * kernel];
    int k = c * kernel * kernel;
    int at = 0;
    for (int o = 0; o < n; o++) {
      for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < kernel; i++) {
          for (int j = 0; j < kernel; j++) {
            order[at++] = o * k + (i * kernel + j) * c + ch;
          }
        }
      }
    }
    return order;
  }

  /** For each element of [k, n] (W transposed), its index in the engine's [n][k]. */
  static int[] transposedOrder(int n, int k) {
    int[] order = new int[n * k];
    for (int p = 0; p < k; p++) {
      for (int j = 0; j < n; j++) {
        order[p * n + j] = j * k + p;
      }
    }
    return order;
  }
}
