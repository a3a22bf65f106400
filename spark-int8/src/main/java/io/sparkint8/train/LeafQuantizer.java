package io.sparkint8.train;

import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.ref.StochasticRounding;

/**
 * Quantizes one partition's gradient tensor with the step's shared clip S: q = clamp(floor(127 *
 * clamp(g, S) / S + u), -127, 127), u uniform in [0, 1), which is stochastic rounding (E[q] = 127 *
 * clamp(g, S) / S). The arithmetic is the engine's quantizer (JavaBackend) element for element, so
 * the codes mean the same thing everywhere.
 *
 * <p>The draws are keyed by (seed, step, partition, tensor) and the element index only, never by
 * executor, thread or attempt, so a retried task produces the same codes.
 */
final class LeafQuantizer {
  /**
   * Separates the aggregation's random streams from the engine's forward/backward streams, which
   * are keyed by small integers under the same seed ("aggregat" in ASCII).
   */
  private static final long DOMAIN = 0x6167677265676174L;

  static final int QMAX = 127;

  private LeafQuantizer() {}

  /** One quantized tensor and what quantizing it observed. */
  record Result(CodeArray codes, long clipped, float maxAbs) {}

  /**
   * How a leaf's tensors become codes: this class's loop ({@link #JAVA}) or a kernel backend's
   * ({@link BackendLeafQuantizer}); both give the same codes, clipped count and max.
   */
  interface Implementation {
    Result quantize(float[] g, float scale, long seed, long step, int partition, int tensor);
  }

  /** The Java loop of {@link #quantize}. */
  static final Implementation JAVA = (g, scale, seed, step, partition, tensor) ->
      quantize(g, scale, key(seed, step, partition, tensor), tensor);

  static long key(long seed, long step, int partition, int tensor) {
    return StochasticRounding.key(stepKey(seed, step), stream(partition, tensor));
  }

  /** The first half of {@link #key}: what a quantization descriptor takes as its seed. */
  static long stepKey(long seed, long step) {
    return StochasticRounding.key(seed, DOMAIN ^ step);
  }

  /** The second half of {@link #key}: what a quantization descriptor takes as its stream. */
  static long stream(int partition, int tensor) {
    return ((long) partition << 32) | (tensor & 0xFFFFFFFFL);
  }

  static Result quantize(float[] g, float scale, long key, int tensor) {
    float inv = QMAX / scale;
    byte[] codes = new byte[g.length];
    long clipped = 0;
    float max = 0f;
    for (int i = 0; i < g.length; i++) {
      float x = g[i];
      if (!Float.isFinite(x)) {
        throw new IllegalArgumentException(
            "GradientAccumulator: gradient of tensor " + tensor + " element " + i + " = " + x
                + ", expected finite");
      }
      float a = Math.abs(x);
      max = Math.max(max, a);
      if (a > scale) {
        clipped++;
      }
      float y = (x > scale ? scale : (x < -scale ? -scale : x)) * inv;
      int q = (int) Math.floor(y + StochasticRounding.uniform(key, i));
      codes[i] = (byte) Math.min(Math.max(q, -QMAX), QMAX);
    }
    return new Result(CodeArray.ownInt8(codes), clipped, max);
  }
}
