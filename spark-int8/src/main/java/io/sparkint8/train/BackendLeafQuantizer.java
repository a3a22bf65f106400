package io.sparkint8.train;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.Granularity;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Rounding;

/**
 * {@link LeafQuantizer}'s codes from a kernel backend's absmax and stochastic quantize. A leaf is
 * quantized on every int8 step of every task, about 0.4 M values for cnn-small, and the Java loop
 * spends ~7 ns on each (~3 ms of a task); the native kernels are vectorized. The codes are the
 * same: the backend's quantize is {@code QuantizeReference}'s arithmetic (clamp, times qmax / s,
 * plus the draw, floor), checked bit for bit on every ISA path, and a descriptor with seed
 * {@link LeafQuantizer#stepKey} and stream {@link LeafQuantizer#stream} draws what {@link
 * LeafQuantizer#key} draws. A tensor holding a non-finite value goes to the Java loop, which names
 * the element in its error.
 *
 * <p>Owns its scratch buffers (they grow to the largest tensor seen); one per pooled network, used
 * by the task that borrowed it.
 */
final class BackendLeafQuantizer implements LeafQuantizer.Implementation, AutoCloseable {
  private final Int8Backend backend;
  private final OffHeapAllocator allocator;
  private final Float32Buffer clip;
  private final Float32Buffer scaleOut;
  private final Float32Buffer max;
  private Float32Buffer src;
  private Int8Buffer codes;

  BackendLeafQuantizer(Int8Backend backend, OffHeapAllocator allocator) {
    this.backend = backend;
    this.allocator = allocator;
    this.clip = allocator.allocateFloat32(1);
    this.scaleOut = allocator.allocateFloat32(1);
    this.max = allocator.allocateFloat32(1);
  }

  @Override
  public LeafQuantizer.Result quantize(float[] g, float scale, long seed, long step,
      int partition, int tensor) {
    int n = g.length;
    if (n == 0) {
      return LeafQuantizer.JAVA.quantize(g, scale, seed, step, partition, tensor);
    }
    ensureCapacity(n);
    Float32Buffer values = src.slice(0, n).copyFrom(g);
    backend.absmax(1, n, values, Axis.TENSOR, max);
    float maxAbs = max.get(0);
    if (!Float.isFinite(maxAbs)) {
      return LeafQuantizer.JAVA.quantize(g, scale, seed, step, partition, tensor);
    }
    long clipped = 0;
    if (maxAbs > scale) {
      for (float x : g) {
        clipped += Math.abs(x) > scale ? 1 : 0;
      }
    }
    clip.set(0, scale);
    Int8Buffer out = codes.slice(0, n);
    QuantDesc d = new QuantDesc(1, n, 8, Granularity.PER_TENSOR, 0, Rounding.STOCHASTIC, false,
        LeafQuantizer.stepKey(seed, step), LeafQuantizer.stream(partition, tensor));
    backend.quantize(d, values, clip, out, scaleOut);
    return new LeafQuantizer.Result(CodeArray.ownInt8(out.toArray()), clipped, maxAbs);
  }

  private void ensureCapacity(int n) {
    if (src != null && src.length() >= n) {
      return;
    }
    if (src != null) {
      src.close();
      codes.close();
      src = null;
      codes = null;
    }
    src = allocator.allocateFloat32(n);
    codes = allocator.allocateInt8(n);
  }

  @Override
  public void close() {
    if (src != null) {
      src.close();
      codes.close();
    }
    clip.close();
    scaleOut.close();
    max.close();
  }
}
