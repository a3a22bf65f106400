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
 *
 * <p>Layers form a tree: a container ({@link Sequential}, {@link Residual}) lists its {@link
 * #children()}, owns them and gathers their parameters and statistics; a leaf computes.
 */
public abstract class Layer implements AutoCloseable {
  protected final LayerContext ctx;
  protected final int id;
  protected final Shape in;
  protected final int maxBatch;
  private final String name;
  private final List<AutoCloseable> owned = new ArrayList<>();

  /**
   * @param kind the name's prefix, e.g. "conv"; the layer's id (its construction index in the
   *     context) completes it
   */
  protected Layer(LayerContext ctx, Shape in, int maxBatch, String kind) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch=" + maxBatch + ", expected >= 1");
    }
    this.ctx = ctx;
    this.id = ctx.newLayerId();
    this.in = in;
    this.maxBatch = maxBatch;
    this.name = kind + id;
  }

  /**
   * The layer's name in its network, e.g. "conv3", "bn4", "bnl16" (a bn-l1): its kind and its
   * construction index, stable for a given spec. Parameters are named after it ("conv3.weight"),
   * and a saved model keys BatchNorm statistics and clipping state by it.
   */
  public final String name() {
    return name;
  }

  public final Shape inputShape() {
    return in;
  }

  /** The layers this one is made of, in forward order; empty for a leaf. */
  public List<Layer> children() {
    return List.of();
  }

  /** This layer if it is a leaf, otherwise its children's leaves: the layers that compute. */
  public final List<Layer> leaves() {
    if (children().isEmpty()) {
      return List.of(this);
    }
    List<Layer> all = new ArrayList<>();
    for (Layer child : children()) {
      all.addAll(child.leaves());
    }
    return all;
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

  /** Trainable parameters in a fixed order; a container's are its children's, in order. */
  public List<Parameter> parameters() {
    List<Parameter> all = new ArrayList<>();
    for (Layer child : children()) {
      all.addAll(child.parameters());
    }
    return all;
  }

  /**
   * Statistics of the last backward pass (quantization, BN); empty for plain layers, a
   * container's are its children's.
   */
  public List<LayerStats> stats() {
    List<LayerStats> all = new ArrayList<>();
    for (Layer child : children()) {
      all.addAll(child.stats());
    }
    return all;
  }

  /**
   * Bytes of the heap arrays this layer keeps as scratch between steps (not its parameters); a
   * container's are its children's. With the off-heap buffers of the allocator and the kernels'
   * native temporaries, this is the memory a step needs.
   */
  public long heapScratchBytes() {
    long bytes = 0;
    for (Layer child : children()) {
      bytes += child.heapScratchBytes();
    }
    return bytes;
  }

  /** 4 bytes per element of each array that exists. */
  protected static long floatBytes(float[]... arrays) {
    long bytes = 0;
    for (float[] a : arrays) {
      bytes += a == null ? 0 : 4L * a.length;
    }
    return bytes;
  }

  /** Registers a buffer (or any resource) this layer owns, closed with the layer. */
  protected final <T extends AutoCloseable> T own(T resource) {
    owned.add(resource);
    return resource;
  }

  protected final Float32Buffer newActivation(Shape shape) {
    return own(ctx.allocator().allocateFloat32((long) maxBatch * shape.size()));
  }

  /**
   * At construction: a buffer of maxBatch rows of {@code shape} for what lives only until the next
   * layer's call (an input gradient, or a forward output the consumer does not keep). Null when the
   * network shares two slots for these ({@link SharedActivations}): then {@link #transientBuffer}
   * picks one per call. This layer's own buffer otherwise (a layer built outside a network).
   */
  protected final Float32Buffer newTransient(Shape shape) {
    SharedActivations shared = ctx.sharedActivations();
    if (shared == null) {
      return newActivation(shape);
    }
    shared.reserve((long) maxBatch * shape.size());
    return null;
  }

  /**
   * The buffer to write a transient result of {@code elements} floats into: {@code own} when this
   * layer has one, else the network's shared slot that does not hold {@code avoid} (what the call
   * reads).
   */
  protected final Float32Buffer transientBuffer(Float32Buffer own, Float32Buffer avoid,
      long elements) {
    return own != null ? own : ctx.sharedActivations().other(avoid, elements);
  }

  protected final void checkBatch(int batch) {
    if (batch < 1 || batch > maxBatch) {
      throw new IllegalArgumentException(
          describe() + ": batch=" + batch + ", expected 1.." + maxBatch);
    }
  }

  /** Closes the children, then what this layer owns. */
  @Override
  public void close() {
    for (Layer child : children()) {
      child.close();
    }
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
