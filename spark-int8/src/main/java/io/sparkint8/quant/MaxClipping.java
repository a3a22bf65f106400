package io.sparkint8.quant;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;

/**
 * No clipping: the clip value is max|g| of the tensor, every step. The baseline the others beat.
 */
public final class MaxClipping implements ClippingStrategy {
  private long steps;
  private ClipStats last;

  @Override
  public String name() {
    return "max";
  }

  @Override
  public QuantGranularity clipGranularity() {
    return QuantGranularity.PER_TENSOR;
  }

  @Override
  public ClipStats update(
      Int8Backend backend, OffHeapAllocator allocator, Float32Buffer gradient, int rows, int cols) {
    ClippingStrategies.checkShape("max clipping", backend, gradient, rows, cols);
    float max =
        ClippingStrategies.tensorMax("max clipping", backend, allocator, gradient, rows, cols);
    last =
        new ClipStats(
            name(),
            steps,
            QuantGranularity.PER_TENSOR,
            max,
            new float[] {max},
            null,
            Double.NaN,
            Double.NaN,
            null);
    steps++;
    return last;
  }

  @Override
  public ClipStats lastStats() {
    return last;
  }

  @Override
  public long steps() {
    return steps;
  }

  @Override
  public void reset() {
    steps = 0;
    last = null;
  }

  /** Only the step counter: max clipping has no settings and no carried state (no values). */
  @Override
  public ClippingState exportState() {
    return new ClippingState(name(), steps, new double[0]);
  }

  @Override
  public void importState(ClippingState state) {
    ClippingStrategies.checkState(state, name(), 0, false);
    steps = state.steps();
    last = null;
  }
}
