package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.nn.spec.LayerShape;
import io.sparkint8.nn.spec.LayerSpec;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.Parameter;
import io.sparkint8.quant.ClippingState;
import java.util.ArrayList;
import java.util.List;

/**
 * A built network: the layers of a {@link NetworkSpec} for one input shape and a maximum batch, with its
 * loss. It runs one training step ({@link #trainStep}) exactly as a Spark task will: forward, loss,
 * backward, and a {@link StepResult} with the gradients, BN statistics and quantization statistics.
 */
public final class Network implements AutoCloseable {
  /** The widest input a first conv may have and still run its backward fp32 in an int8 network. */
  public static final int STEM_MAX_CHANNELS = 4;

  private final NetworkSpec spec;
  private final LayerContext ctx;
  private final Sequential root;
  private final SoftmaxCrossEntropy loss;
  private final List<Parameter> params;
  private final List<BatchNorm> batchNorms = new ArrayList<>();
  private final int maxBatch;
  private final SharedActivations shared;
  private final boolean fusePools;
  private final boolean fuseStemBackward;
  private int layersBuilt;

  private Network(NetworkSpec spec, Shape input, int maxBatch, LayerContext ctx,
      boolean shareActivations) {
    this(spec, input, maxBatch, ctx, shareActivations, true, true);
  }

  private Network(NetworkSpec spec, Shape input, int maxBatch, LayerContext ctx,
      boolean shareActivations, boolean fusePools, boolean fuseStemBackward) {
    this.spec = spec;
    this.fusePools = fusePools;
    this.fuseStemBackward = fuseStemBackward;
    this.ctx = ctx;
    this.maxBatch = maxBatch;
    this.shared = shareActivations ? new SharedActivations(ctx.allocator()) : null;
    ctx.shareActivations(shared);
    try {
      // inference rejects a spec that does not fit the input with the layer's position and text;
      // the layers are then built from its shapes, so a spec that passes builds
      this.root = buildSequence(spec.shapes(input).layers(), input);
    } catch (RuntimeException e) {
      ctx.shareActivations(null);
      if (shared != null) {
        shared.close();
      }
      throw e;
    }
    this.loss = new SoftmaxCrossEntropy(ctx.allocator(), spec.numClasses(), maxBatch);
    this.params = List.copyOf(root.parameters());
    for (Layer l : root.leaves()) {
      if (l instanceof BatchNorm) {
        batchNorms.add((BatchNorm) l);
      }
    }
  }

  /**
   * Builds the layers of {@code spec} for inputs of shape {@code input} and up to maxBatch rows.
   *
   * @throws IllegalArgumentException from {@link NetworkSpec#shapes(Shape)} when the spec does not
   *     fit {@code input}, naming the layer
   */
  public static Network build(NetworkSpec spec, Shape input, int maxBatch, LayerContext ctx) {
    return new Network(spec, input, maxBatch, ctx, true);
  }

  /**
   * The same network with every layer holding its own buffers, as layers built outside a network
   * do: what the shared slots ({@link SharedActivations}) must not change, for tests.
   */
  static Network buildWithOwnBuffers(NetworkSpec spec, Shape input, int maxBatch,
      LayerContext ctx) {
    return new Network(spec, input, maxBatch, ctx, false);
  }

  /**
   * The same network with every bn-relu-maxpool run as three layers ({@link BatchNorm} applies no
   * max-pool): what that fusion must not change, for tests.
   */
  static Network buildWithoutPoolFusion(NetworkSpec spec, Shape input, int maxBatch,
      LayerContext ctx) {
    return new Network(spec, input, maxBatch, ctx, true, false, false);
  }

  /**
   * The same network with the stem's backward run as its own layer's rather than inside the batch
   * norm after it ({@link BatchNorm#fuseStemBackward}): what that fusion may change only by rounding,
   * for tests.
   */
  static Network buildWithoutStemFusion(NetworkSpec spec, Shape input, int maxBatch,
      LayerContext ctx) {
    return new Network(spec, input, maxBatch, ctx, true, true, false);
  }

  /**
   * The layers of {@code shapes} in a sequence; closes what it built if a layer fails. A bn directly
   * followed by a relu is built as a BatchNorm that applies the ReLU (the Relu layer stays, passing
   * through), which saves a pass over the activations each way at the same bits.
   */
  private Sequential buildSequence(List<LayerShape> shapes, Shape input) {
    List<Layer> layers = new ArrayList<>();
    try {
      for (int i = 0; i < shapes.size(); i++) {
        boolean bnThenRelu = i + 1 < shapes.size()
            && shapes.get(i).layer() instanceof LayerSpec.Bn
            && shapes.get(i + 1).layer() instanceof LayerSpec.Relu;
        boolean reluAfterBn = i > 0
            && shapes.get(i - 1).layer() instanceof LayerSpec.Bn
            && shapes.get(i).layer() instanceof LayerSpec.Relu;
        boolean bnReluPool = fusesPool(shapes, i);
        boolean poolAfterBnRelu = i >= 2 && fusesPool(shapes, i - 2);
        // a bn that applies the pool writes the pool's output, so the pool's consumer decides
        boolean shared = outputMayBeShared(shapes, bnReluPool ? i + 2 : i);
        layers.add(buildLayer(shapes.get(i), bnThenRelu || reluAfterBn || poolAfterBnRelu,
            shared, bnReluPool ? ((LayerSpec.MaxPool) shapes.get(i + 2).layer()).kernel() : 0));
        if (fuseStemBackward && bnReluPool && i > 0
            && layers.get(i - 1) instanceof Conv2d conv && conv.isDirectStem()) {
          ((BatchNorm) layers.get(i)).fuseStemBackward(conv);
        }
      }
      return new Sequential(ctx, input, maxBatch, layers);
    } catch (RuntimeException e) {
      layers.forEach(Layer::close);
      throw e;
    }
  }

  /**
   * Whether layer i of a sequence is a standard bn followed by a relu and a max-pool whose windows
   * tile the image (stride == kernel, no padding): the bn then applies both ({@link
   * BatchNorm#fusedPoolKernel()}), at the bits of the three layers run apart.
   */
  private boolean fusesPool(List<LayerShape> shapes, int i) {
    if (!fusePools || i < 0 || i + 2 >= shapes.size()
        || !(shapes.get(i).layer() instanceof LayerSpec.Bn bn)
        || bn.variant() != LayerSpec.Bn.Variant.STANDARD
        || !(shapes.get(i + 1).layer() instanceof LayerSpec.Relu)
        || !(shapes.get(i + 2).layer() instanceof LayerSpec.MaxPool pool)) {
      return false;
    }
    return pool.stride() == pool.kernel() && pool.pad() == 0;
  }

  /**
   * Whether layer i of a sequence may write its forward output into the network's shared slots
   * ({@link SharedActivations}): it is a bn or a pool, and the first layer after it that is not a
   * pass-through (a relu fused into the bn, flatten, dropout) keeps nothing of its input for the
   * backward pass. The last layer's consumer is outside the sequence, so its output stays its own.
   */
  private boolean outputMayBeShared(List<LayerShape> shapes, int i) {
    LayerSpec producer = shapes.get(i).layer();
    if (!(producer instanceof LayerSpec.Bn || producer instanceof LayerSpec.MaxPool
        || producer instanceof LayerSpec.AvgPool || producer instanceof LayerSpec.GlobalAvgPool)) {
      return false;
    }
    for (int j = i + 1; j < shapes.size(); j++) {
      LayerSpec next = shapes.get(j).layer();
      boolean fusedRelu = next instanceof LayerSpec.Relu && j == i + 1
          && producer instanceof LayerSpec.Bn;
      if (fusedRelu || next instanceof LayerSpec.Flatten || next instanceof LayerSpec.Dropout) {
        continue;
      }
      return !keepsInput(next);
    }
    return false;
  }

  /** Whether a (non-first) layer of this spec reads its forward input again in its backward pass. */
  private boolean keepsInput(LayerSpec ls) {
    Precision p = ctx.config().precision();
    if (ls instanceof LayerSpec.Conv c) {
      // int8 keeps the codes; a non-1x1 fp32 conv keeps its im2col copy; a direct fp32 conv keeps x
      return !p.int8Forward() && c.kernel() == 1 && c.stride() == 1 && c.pad() == 0;
    } else if (ls instanceof LayerSpec.Fc) {
      return !p.int8Forward();
    }
    // pools keep argmax or nothing, a relu its own output; bn, residual blocks and the rest keep x
    return !(ls instanceof LayerSpec.MaxPool || ls instanceof LayerSpec.AvgPool
        || ls instanceof LayerSpec.GlobalAvgPool || ls instanceof LayerSpec.Relu);
  }

  private Layer buildLayer(LayerShape shape, boolean fused, boolean sharedOutput,
      int fusedPoolKernel) {
    Layer layer = newLayer(shape, fused, sharedOutput, fusedPoolKernel);
    if (!layer.outputShape().equals(shape.output())) {
      layer.close();
      throw new IllegalStateException("layer " + shape.position() + " '" + shape.layer()
          + "' builds " + layer.outputShape() + " from " + shape.input()
          + " but shape inference gives " + shape.output());
    }
    return layer;
  }

  /**
   * The precision of a conv layer: the engine's, except that in int8 a conv reading the network's
   * input image with at most {@value #STEM_MAX_CHANNELS} channels (the stem) runs its backward in
   * fp32 ({@link Precision#INT8_FORWARD}). Its reduction is only kernel^2 * channels long (9 for a
   * 3x3 conv on grey images), so an int8 grad_weight cannot pay for quantizing its error (the
   * largest of the network: every pixel times the output channels), laying it out for the GEMM and
   * the DSGC passes over it; it needs no grad_input. On cnn-small at batch 256 the int8 backward of
   * the stem took about twice the time of its whole fp32 forward and backward. Its forward stays
   * int8, so inference (and an exported model) computes what it computed before.
   */
  private Precision convPrecision(Shape in, boolean firstLayer) {
    Precision engine = ctx.config().precision();
    boolean stem = firstLayer && in.channels() <= STEM_MAX_CHANNELS;
    return stem && engine == Precision.INT8 ? Precision.INT8_FORWARD : engine;
  }

  /**
   * The layer of {@code shape}; {@code fused}: a bn applies the relu after it, a relu or max-pool is
   * applied by the bn before it; {@code fusedPoolKernel > 0}: the bn also applies that max-pool.
   */
  private Layer newLayer(LayerShape shape, boolean fused, boolean sharedOutput,
      int fusedPoolKernel) {
    boolean firstLayer = layersBuilt++ == 0;
    LayerSpec ls = shape.layer();
    Shape in = shape.input();
    if (ls instanceof LayerSpec.Conv c) {
      return new Conv2d(ctx, in, maxBatch, c.outChannels(), c.kernel(), c.stride(), c.pad(),
          c.bias(), convPrecision(in, firstLayer), !firstLayer);
    } else if (ls instanceof LayerSpec.Fc f) {
      return new Linear(ctx, in, maxBatch, f.outFeatures(), true);
    } else if (ls instanceof LayerSpec.Bn b) {
      return new BatchNorm(ctx, in, maxBatch, b.variant() == LayerSpec.Bn.Variant.L1, fused,
          sharedOutput, fusedPoolKernel);
    } else if (ls instanceof LayerSpec.Relu) {
      return new Relu(ctx, in, maxBatch, fused);
    } else if (ls instanceof LayerSpec.MaxPool p) {
      return new Pool2d(ctx, in, maxBatch, Pool2d.Kind.MAX, p.kernel(), p.stride(), p.pad(),
          sharedOutput, fused);
    } else if (ls instanceof LayerSpec.AvgPool p) {
      return new Pool2d(ctx, in, maxBatch, Pool2d.Kind.AVG, p.kernel(), p.stride(), p.pad(),
          sharedOutput);
    } else if (ls instanceof LayerSpec.GlobalAvgPool) {
      return new Pool2d(ctx, in, maxBatch, Pool2d.Kind.GLOBAL_AVG, 0, 1, 0, sharedOutput);
    } else if (ls instanceof LayerSpec.Flatten) {
      return new Flatten(ctx, in, maxBatch);
    } else if (ls instanceof LayerSpec.Dropout d) {
      return new Dropout(ctx, in, maxBatch, d.p());
    } else if (ls instanceof LayerSpec.Residual) {
      // body, then projection, then the block: the construction order fixes the layer ids, which
      // key parameter names, initial weights and random streams
      Sequential body = buildSequence(shape.body(), in);
      Sequential projection = null;
      try {
        if (!shape.projection().isEmpty()) {
          projection = buildSequence(shape.projection(), in);
        }
        return new Residual(ctx, in, maxBatch, body, projection);
      } catch (RuntimeException e) {
        body.close();
        if (projection != null) {
          projection.close();
        }
        throw e;
      }
    }
    throw new IllegalArgumentException("unsupported layer " + ls);
  }

  public NetworkSpec spec() {
    return spec;
  }

  public LayerContext context() {
    return ctx;
  }

  public int maxBatch() {
    return maxBatch;
  }

  public Shape inputShape() {
    return root.inputShape();
  }

  public int numClasses() {
    return spec.numClasses();
  }

  /** Trainable parameters in a fixed order (the order of gradients in a StepResult). */
  public List<Parameter> parameters() {
    return params;
  }

  public List<BatchNorm> batchNorms() {
    return List.copyOf(batchNorms);
  }

  /** Bytes of the heap scratch arrays of every layer ({@link Layer#heapScratchBytes()}). */
  public long heapScratchBytes() {
    return root.heapScratchBytes();
  }

  /** The root of the layer tree: a {@link Sequential} of the spec's top-level layers. */
  public Layer root() {
    return root;
  }

  /** Every leaf layer in forward order, residual blocks expanded (body, then projection). */
  public List<Layer> layers() {
    return root.leaves();
  }

  /** Logits [batch x classes] (valid until the next call). */
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    return root.forward(x, batch, training);
  }

  /**
   * One training step on {@code batch} rows of x with labels[offset ..]: forward with batch statistics,
   * loss, backward. Gradients are those of the SUM of the losses (divide by the global batch).
   */
  public StepResult trainStep(Float32Buffer x, int[] labels, int offset, int batch) {
    Float32Buffer logits = root.forward(x, batch, true);
    SoftmaxCrossEntropy.Result r = loss.apply(logits, labels, offset, batch);
    root.backward(loss.gradient(), batch, false);
    float[][] grads = new float[params.size()][];
    for (int i = 0; i < grads.length; i++) {
      grads[i] = params.get(i).grad().clone();
    }
    List<BnStats> bn = new ArrayList<>();
    double rect = 0;
    for (BatchNorm b : batchNorms) {
      bn.add(b.batchStats());
      rect += batch * b.rectificationLoss(); // a sum over rows, as the gradient counts it
    }
    return new StepResult(batch, r.lossSum(), r.correct(), rect, grads, bn, root.stats());
  }

  /** The error-clipping state of every conv/fc layer, in forward order. */
  public List<ClippingState> clippingStates() {
    List<ClippingState> out = new ArrayList<>();
    for (GemmCore core : ModelState.gemmCores(this)) {
      out.add(core.clipping().exportState());
    }
    return out;
  }

  /**
   * Replaces every conv/fc layer's error-clipping state (in {@link #clippingStates()} order): how a
   * driver adopts the clipping decisions a worker made at the last step.
   */
  public void importClippingStates(List<ClippingState> states) {
    List<GemmCore> cores = ModelState.gemmCores(this);
    if (states.size() != cores.size()) {
      throw new IllegalArgumentException("clipping states for " + states.size()
          + " layers, the network has " + cores.size() + " conv/fc layers");
    }
    for (int i = 0; i < cores.size(); i++) {
      cores.get(i).clipping().importState(states.get(i));
    }
  }

  /** Copies of the current parameter values, in {@link #parameters()} order. */
  public float[][] weights() {
    float[][] w = new float[params.size()][];
    for (int i = 0; i < w.length; i++) {
      w[i] = params.get(i).values().clone();
    }
    return w;
  }

  /** Sets every parameter from values in {@link #parameters()} order. */
  public void setWeights(float[][] w) {
    if (w.length != params.size()) {
      throw new IllegalArgumentException(
          "weights for " + w.length + " parameters, the network has " + params.size());
    }
    for (int i = 0; i < w.length; i++) {
      float[] dst = params.get(i).values();
      if (w[i].length != dst.length) {
        throw new IllegalArgumentException("parameter " + params.get(i).name() + " has "
            + dst.length + " values, got " + w[i].length);
      }
      System.arraycopy(w[i], 0, dst, 0, dst.length);
    }
  }

  @Override
  public void close() {
    root.close();
    loss.close();
    if (shared != null) {
      shared.close();
    }
    ctx.shareActivations(null);
  }

  @Override
  public String toString() {
    return "Network[" + spec + ", " + ctx.config().precision() + ", input " + inputShape() + "]";
  }
}
