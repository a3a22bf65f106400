package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * One layer of a network. Activations and errors are off-heap NHWC matrices of {@code batch} rows of
 * {@link #outputShape()} elements; a layer owns (and reuses, step after step) the buffers it returns, so a
 * returned buffer is valid until the layer's next call. Parameters are fp32 master values on the heap
 * ({@link Parameter}); {@link #backward} writes their gradients as the gradient of the SUM of the losses
 * of the batch (the trainer divides by the global batch).
 */
public abstract class Layer implements AutoCloseable {
  protected final LayerContext ctx;
  protected final int id;
  protected final Shape in;
  protected final int maxBatch;
  private final List<AutoCloseable> owned = new ArrayList<>();

  protected Layer(LayerContext ctx, Shape in, int maxBatch) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch=" + maxBatch + ", expected >= 1");
    }
    this.ctx = ctx;
    this.id = ctx.newLayerId();
    this.in = in;
    this.maxBatch = maxBatch;
  }

  public final Shape inputShape() {
    return in;
  }

  public abstract Shape outputShape();

  /** Short name for logs and statistics, e.g. "conv(32,3)". */
  public abstract String describe();

  /** Forward pass over {@code batch <= maxBatch} rows; training selects batch statistics and dropout. */
  public abstract Float32Buffer forward(Float32Buffer x, int batch, boolean training);

  /**
   * Backward pass of the latest training forward: returns dL/dx (null when {@code needInputGrad} is
   * false, e.g. for the first layer) and sets the gradients of this layer's parameters.
   */
  public abstract Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad);

  public List<Parameter> parameters() {
    return List.of();
  }

  /** Statistics of the last backward pass (quantization, BN); empty for plain layers. */
  public List<LayerStats> stats() {
    return List.of();
  }

  /** Registers a buffer (or any resource) this layer owns, closed with the layer. */
  protected final <T extends AutoCloseable> T own(T resource) {
    owned.add(resource);
    return resource;
  }

  protected final Float32Buffer newActivation(Shape shape) {
    return own(ctx.allocator().allocateFloat32((long) maxBatch * shape.size()));
  }

  protected final void checkBatch(int batch) {
    if (batch < 1 || batch > maxBatch) {
      throw new IllegalArgumentException(
          describe() + ": batch=" + batch + ", expected 1.." + maxBatch);
    }
  }

  @Override
  public void close() {
    RuntimeException first = null;
    for (AutoCloseable c : owned) {
      try {
        c.close();
      } catch (Exception e) {
        if (first == null) {
          first = new IllegalStateException("closing " + describe(), e);
        }
      }
    }
    owned.clear();
    if (first != null) {
      throw first;
    }
  }

  @Override
  public String toString() {
    return describe() + " " + in + " -> " + outputShape();
  }
}
