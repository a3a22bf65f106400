package io.sparkint8.quant;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;

/**
 * Chooses the clip value(s) of one layer's error G_Y before it is quantized. One instance per
 * layer: strategies keep state between steps (DSGC's ratio, MCS's moving maxima), are deterministic
 * (same gradients, same clips, on every backend) and are not thread-safe.
 *
 * <p>The gradient is a row-major [rows x channels] matrix, channels last (G_Y of a linear layer is
 * [N x out], of a conv [N*H*W x C]). Per-channel clips therefore belong to columns and go with a
 * {@link QuantGranularity#PER_COLUMN} quantizer; per-tensor clips with a per-tensor one.
 *
 * <p>Made by {@link ClippingKind#create}.
 */
public interface ClippingStrategy {

  /** {@code max}, {@code dsgc} or {@code mcs}. */
  String name();

  /** What the clip values are per: PER_TENSOR (one value) or PER_COLUMN (one per channel). */
  QuantGranularity clipGranularity();

  /**
   * Observes this step's gradient and returns the clips to quantize it with; advances the step
   * counter. The allocator supplies a few small scratch buffers, all closed before returning. A
   * gradient holding NaN or infinity throws {@link IllegalArgumentException} and leaves the state
   * as it was.
   */
  ClipStats update(
      Int8Backend backend, OffHeapAllocator allocator, Float32Buffer gradient, int rows, int cols);

  /** The stats of the latest update, or null before the first. */
  ClipStats lastStats();

  /** Number of updates so far. */
  long steps();

  /** Forgets all state, as if new. */
  void reset();

  /**
   * A snapshot of everything the next updates depend on: the step counter, the settings and the
   * carried state (layouts on each implementation). {@link #lastStats()} is not part of it: it
   * only reports the latest update, and the next update replaces it.
   */
  ClippingState exportState();

  /**
   * Replaces this strategy's state with {@code state}, so that it continues exactly where the
   * exporting strategy stopped; {@link #lastStats()} is null until the next update. The snapshot
   * must come from a strategy of the same name and settings, and is validated whole before
   * anything changes: a wrong one throws {@link IllegalArgumentException} naming the mismatch and
   * leaves this strategy as it was.
   */
  void importState(ClippingState state);
}
