package io.sparkint8.onnx;

import io.sparkint8.nn.Layer;
import io.sparkint8.nn.ModelState;
import io.sparkint8.nn.Residual;
import io.sparkint8.nn.spec.LayerShape;
import io.sparkint8.nn.spec.LayerSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.onnx.OnnxProto.Attribute;
import java.util.ArrayList;
import java.util.List;

/**
 * Emits the ONNX nodes of a network's inference forward pass, layer by layer, walking the built
 * layer tree (for the names that key the model state's parameters) beside the shapes the spec
 * inferred (for each layer's settings).
 *
 * <p>Layout: the engine stores samples NHWC and the features column holds height x width x
 * channels; ONNX's Conv and pooling take NCHW. A value is therefore either a flat [N, size]
 * matrix in the engine's NHWC element order or an [N, C, H, W] tensor, and is converted only when
 * the next layer needs the other form: once at the input before the first spatial layer, and
 * back (Transpose to NHWC, then Flatten) wherever a spatial map is flattened, so that an fc sees
 * its inputs in the order its weights were trained on.
 *
 * <p>Numerics follow {@code Network.forward(x, n, false)}: in int8 every conv and fc quantizes
 * each example of its input with the example's own scale (max |x| / 127) and runs on the
 * weight codes of the engine; BatchNorm uses the running statistics, folded into one scale and
 * shift per channel; dropout is the identity.
 */
final class GraphEmitter {
  /**
   * Floor of an example's max |x| where the inverse scale 127 / max is taken: an all-zero example
   * would otherwise give 0 * inf = NaN. Above it the quotient is the engine's; below it the
   * example is zero for every practical input.
   */
  static final float MIN_ABSMAX = 1e-30f;

  private final ModelState state;
  private final OnnxGraph g;
  private final boolean int8;
  private final boolean perChannel;

  /** A value of the graph: its name, the engine's shape for it, and its layout. */
  record Value(String name, Shape shape, boolean nchw) {}

  GraphEmitter(ModelState state, OnnxGraph g) {
    this.state = state;
    this.g = g;
    this.int8 = state.config().precision().int8Forward();
    this.perChannel = state.config().weightPerChannel();
  }

  /** Emits {@code layers} (built from {@code shapes}) applied to {@code x}. */
  Value sequence(List<Layer> layers, List<LayerShape> shapes, Value x) {
    if (layers.size() != shapes.size()) {
      throw new IllegalStateException("built layers " + layers + " do not match the shapes "
          + shapes);
    }
    Value v = x;
    for (int i = 0; i < layers.size(); i++) {
      v = layer(layers.get(i), shapes.get(i), v);
    }
    return v;
  }

  private Value layer(Layer layer, LayerShape s, Value x) {
    LayerSpec spec = s.layer();
    String name = layer.name();
    if (spec instanceof LayerSpec.Conv c) {
      return conv(name, c, s, x);
    } else if (spec instanceof LayerSpec.Fc) {
      return fc(name, s, x);
    } else if (spec instanceof LayerSpec.Bn) {
      return batchNorm(name, s, x);
    } else if (spec instanceof LayerSpec.Relu) {
      return new Value(g.op("Relu", name, List.of(x.name())), s.output(), x.nchw());
    } else if (spec instanceof LayerSpec.MaxPool p) {
      return pool("MaxPool", name, p.kernel(), p.stride(), p.pad(), s, x);
    } else if (spec instanceof LayerSpec.AvgPool p) {
      // count_include_pad = 0 (the default): padding is not counted, as in Pool2d
      return pool("AveragePool", name, p.kernel(), p.stride(), p.pad(), s, x);
    } else if (spec instanceof LayerSpec.GlobalAvgPool) {
      String pooled = g.op("GlobalAveragePool", name, List.of(toNchw(x).name()));
      return new Value(g.op("Flatten", name + "/flat", List.of(pooled),
          Attribute.integer("axis", 1)), s.output(), false);
    } else if (spec instanceof LayerSpec.Flatten) {
      return new Value(toFlat(x).name(), s.output(), false);
    } else if (spec instanceof LayerSpec.Dropout) {
      return new Value(x.name(), s.output(), x.nchw()); // inference: the identity
    } else if (spec instanceof LayerSpec.Residual) {
      return residual((Residual) layer, s, x);
    }
    throw new IllegalArgumentException("layer " + s.position() + " '" + spec
        + "' has no ONNX form");
  }

  private Value conv(String name, LayerSpec.Conv c, LayerShape s, Value x) {
    Value in = toNchw(x);
    int channels = s.input().channels();
    int n = c.outChannels();
    int k = c.kernel();
    String weight = GemmWeights.emit(g, name + ".weight", state.parameter(name + ".weight"), n,
        GemmWeights.convOrder(n, channels, k), new long[] {n, channels, k, k}, int8, perChannel);
    List<String> inputs = new ArrayList<>(List.of(int8 ? quantizedInput(name, in.name(), 4)
        : in.name(), weight));
    if (c.bias()) {
      inputs.add(g.floats(name + ".bias", new long[] {n}, state.parameter(name + ".bias")));
    }
    String out = g.op("Conv", name, inputs, Attribute.ints("kernel_shape", k, k),
        Attribute.ints("strides", c.stride(), c.stride()),
        Attribute.ints("pads", c.pad(), c.pad(), c.pad(), c.pad()));
    return new Value(out, s.output(), true);
  }

  private Value fc(String name, LayerShape s, Value x) {
    Value in = toFlat(x);
    int k = s.input().size();
    int n = s.output().channels();
    String weight = GemmWeights.emit(g, name + ".weight", state.parameter(name + ".weight"), n,
        GemmWeights.identity(n * k), new long[] {n, k}, int8, perChannel);
    String bias = g.floats(name + ".bias", new long[] {n}, state.parameter(name + ".bias"));
    String out = g.op("Gemm", name, List.of(int8 ? quantizedInput(name, in.name(), 2)
        : in.name(), weight, bias), Attribute.integer("transB", 1));
    return new Value(out, s.output(), false);
  }

  /**
   * The forward GEMMs' int8 input: each example's codes round(x * (127 / max|x|)) (half to even,
   * as the engine's Math.rint; the multiply by the inverse is the engine's, so the codes are its
   * codes bit for bit), dequantized with the example's scale max|x| / 127.
   */
  private String quantizedInput(String layer, String x, int rank) {
    long[] axes = rank == 4 ? new long[] {1, 2, 3} : new long[] {1};
    String abs = g.op("Abs", layer + "/abs", List.of(x));
    String absmax = g.op("ReduceMax", layer + "/absmax", List.of(abs),
        Attribute.ints("axes", axes), Attribute.integer("keepdims", 1));
    String floor = g.op("Max", layer + "/absmax_floor", List.of(absmax, g.scalar(MIN_ABSMAX)));
    String inverse = g.op("Div", layer + "/inverse_scale", List.of(g.scalar(127f), floor));
    String scaled = g.op("Mul", layer + "/scaled", List.of(x, inverse));
    String codes = g.op("QuantizeLinear", layer + "/codes",
        List.of(scaled, g.scalar(1f), g.int8Zero()));
    String step = g.op("Div", layer + "/step", List.of(absmax, g.scalar(127f)));
    String perExample = g.op("Reshape", layer + "/example_scale", List.of(step, g.shape(-1)));
    return g.op("DequantizeLinear", layer + "/input", List.of(codes, perExample),
        Attribute.integer("axis", 0));
  }

  /**
   * y = gamma * (x - mean) / scale + beta with the running mean and scale (the l2 variant's
   * sqrt(var + eps) or the l1 variant's sqrt(pi/2) * mean|x - mean| + eps, both stored as the
   * denominator), folded into a * x + b per channel.
   */
  private Value batchNorm(String name, LayerShape s, Value x) {
    boolean flat = s.input().flat();
    Value in = flat ? toFlat(x) : toNchw(x);
    int c = s.input().channels();
    float[] gamma = state.parameter(name + ".gamma");
    float[] beta = state.parameter(name + ".beta");
    double[] mean = state.runningMean(name);
    double[] scale = state.runningScale(name);
    float[] a = new float[c];
    float[] b = new float[c];
    for (int ch = 0; ch < c; ch++) {
      // the engine's float mean and reciprocal, then gamma * (x - mu) * inv + beta in double
      float mu = (float) mean[ch];
      float inv = (float) (1.0 / scale[ch]);
      double slope = (double) gamma[ch] * inv;
      a[ch] = (float) slope;
      b[ch] = (float) (beta[ch] - mu * slope);
    }
    long[] dims = flat ? new long[] {c} : new long[] {c, 1, 1};
    String scaled = g.op("Mul", name + "/scale", List.of(in.name(),
        g.floats(name + ".folded_scale", dims, a)));
    String out = g.op("Add", name, List.of(scaled, g.floats(name + ".folded_shift", dims, b)));
    return new Value(out, s.output(), in.nchw());
  }

  private Value pool(String op, String name, int kernel, int stride, int pad, LayerShape s,
      Value x) {
    String out = g.op(op, name, List.of(toNchw(x).name()),
        Attribute.ints("kernel_shape", kernel, kernel), Attribute.ints("strides", stride, stride),
        Attribute.ints("pads", pad, pad, pad, pad));
    return new Value(out, s.output(), true);
  }

  private Value residual(Residual block, LayerShape s, Value x) {
    Value body = sequence(block.body().children(), s.body(), x);
    Value shortcut = block.projection() == null ? x
        : sequence(block.projection().children(), s.projection(), x);
    boolean spatial = !s.output().flat();
    Value a = spatial ? toNchw(body) : toFlat(body);
    Value b = spatial ? toNchw(shortcut) : toFlat(shortcut);
    return new Value(g.op("Add", block.name(), List.of(a.name(), b.name())), s.output(),
        a.nchw());
  }

  /** The value as [N, C, H, W]: a flat NHWC matrix is reshaped to [N, H, W, C] and transposed. */
  Value toNchw(Value v) {
    if (v.nchw()) {
      return v;
    }
    Shape s = v.shape();
    if (s.flat()) {
      throw new IllegalStateException("a spatial layer after flat features " + s);
    }
    String nhwc = g.op("Reshape", v.name() + "/nhwc", List.of(v.name(),
        g.shape(-1, s.height(), s.width(), s.channels())));
    return new Value(g.op("Transpose", v.name() + "/nchw", List.of(nhwc),
        Attribute.ints("perm", 0, 3, 1, 2)), s, true);
  }

  /** The value as a flat [N, H*W*C] matrix in the engine's NHWC element order. */
  Value toFlat(Value v) {
    if (!v.nchw()) {
      return v;
    }
    Shape s = v.shape();
    String src = v.name();
    if (s.height() != 1 || s.width() != 1) {
      src = g.op("Transpose", v.name() + "/nhwc", List.of(src),
          Attribute.ints("perm", 0, 2, 3, 1));
    }
    return new Value(g.op("Flatten", v.name() + "/flat", List.of(src),
        Attribute.integer("axis", 1)), s, false);
  }
}
