package io.sparkint8.onnx;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.onnx.OnnxProto.Attribute;
import java.util.List;

/**
 * The weight operand of a conv or fc as the engine's forward GEMM sees it, written as an ONNX
 * initializer. The engine keeps W as [n x k] with k in im2col order ((kernel row, kernel column,
 * input channel), channels innermost: NHWC); ONNX's Conv wants [n, channels, kernel rows, kernel
 * columns], so the elements are permuted on the way out.
 *
 * <p>In int8 the codes and scales are those of the engine's forward pass: the weights quantized
 * per output channel (or per tensor) with round-half-even, through the same kernel SPI op the
 * layers call ({@code GemmCore.loadWeights}); they are stored as int8 and dequantized by a
 * DequantizeLinear node, so the file holds one byte per weight.
 */
final class GemmWeights {
  private GemmWeights() {}

  /**
   * Adds W to the graph and returns the name of the float tensor a Conv or Gemm node takes.
   *
   * @param w the engine's weights, [n x k]
   * @param onnxToEngine for each element of the ONNX layout, its index in {@code w}
   * @param dims the ONNX dimensions (n first)
   */
  static String emit(OnnxGraph g, String name, float[] w, int n, int[] onnxToEngine, long[] dims,
      boolean int8, boolean perChannel) {
    if (!int8) {
      float[] out = new float[w.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = w[onnxToEngine[i]];
      }
      return g.floats(name, dims, out);
    }
    int k = w.length / n;
    byte[] codes = new byte[w.length];
    float[] scales = new float[perChannel ? n : 1];
    try (OffHeapAllocator alloc = new OffHeapAllocator("onnx-export " + name);
        Float32Buffer src = alloc.allocateFloat32(w.length);
        Int8Buffer q = alloc.allocateInt8(w.length);
        Float32Buffer s = alloc.allocateFloat32(scales.length)) {
      src.copyFrom(w);
      QuantDesc d = perChannel ? QuantDesc.perRow(n, k) : QuantDesc.perTensor(n, k);
      new JavaBackend().quantize(d, src, null, q, s);
      byte[] engineCodes = q.toArray();
      for (int i = 0; i < codes.length; i++) {
        codes[i] = engineCodes[onnxToEngine[i]];
      }
      for (int c = 0; c < scales.length; c++) {
        scales[c] = s.get(c);
      }
    }
    String codesName = g.int8s(name + "_codes", dims, codes);
    String scalesName = g.floats(name + "_scale", perChannel ? new long[] {n} : new long[0],
        scales);
    return g.op("DequantizeLinear", name, List.of(codesName, scalesName),
        Attribute.integer("axis", 0));
  }

  /** The identity order: an fc's W is [n x k] in both layouts. */
  static int[] identity(int size) {
    int[] order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    return order;
  }

  /** ONNX [n, c, kh, kw] to the engine's [n][(i * kw + j) * c + ch]. */
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
}
