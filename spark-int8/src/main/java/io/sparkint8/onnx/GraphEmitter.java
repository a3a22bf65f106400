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
 * <p>Numerics follow {@code Network.forward(x, n, false)} operation for operation, because an
 * int8 code is a rounding boundary: a value one ulp off before a quantizer can flip a code, and a
 * flipped code moves a probability by up to ~1e-2. So in int8 every conv and fc quantizes each
 * example of its input with the example's own scale (max |x| / 127) to the engine's codes, runs
 * an integer ConvInteger or MatMulInteger on the engine's weight codes (exact int32 sums, as the
 * engine's GEMM), and dequantizes in the engine's order; BatchNorm applies the running
 * statistics as the engine does ((x - mean) * inverse, * gamma, + beta); dropout is the
 * identity. What remains different is the summation order of average pooling and of fp32
 * GEMMs, a few ulps.
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
    float[] w = state.parameter(name + ".weight");
    int[] order = GemmWeights.convOrder(n, channels, k);
    long[] dims = {n, channels, k, k};
    float[] bias = c.bias() ? state.parameter(name + ".bias") : null;
    Attribute[] window = {Attribute.ints("kernel_shape", k, k),
        Attribute.ints("strides", c.stride(), c.stride()),
        Attribute.ints("pads", c.pad(), c.pad(), c.pad(), c.pad())};
    if (!int8) {
      List<String> inputs = new ArrayList<>(List.of(in.name(),
          g.floats(name + ".weight", dims, GemmWeights.reorder(w, order))));
      if (bias != null) {
        inputs.add(g.floats(name + ".bias", new long[] {n}, bias));
      }
      return new Value(g.op("Conv", name, inputs, window), s.output(), true);
    }
    GemmWeights.Codes codes = GemmWeights.quantize(w, n, perChannel);
    Quantized q = quantize(name, in.name(), 4);
    String sums = g.op("ConvInteger", name + "/int32", List.of(q.codes(),
        g.int8s(name + ".weight_codes", dims, GemmWeights.reorder(codes.codes(), order))),
        window);
    return new Value(epilogue(name, sums, q.scale(), codes, bias, new long[] {n, 1, 1}),
        s.output(), true);
  }

  private Value fc(String name, LayerShape s, Value x) {
    Value in = toFlat(x);
    int k = s.input().size();
    int n = s.output().channels();
    float[] w = state.parameter(name + ".weight");
    float[] bias = state.parameter(name + ".bias");
    if (!int8) {
      String out = g.op("Gemm", name, List.of(in.name(),
          g.floats(name + ".weight", new long[] {n, k}, w),
          g.floats(name + ".bias", new long[] {n}, bias)), Attribute.integer("transB", 1));
      return new Value(out, s.output(), false);
    }
    GemmWeights.Codes codes = GemmWeights.quantize(w, n, perChannel);
    Quantized q = quantize(name, in.name(), 2);
    String sums = g.op("MatMulInteger", name + "/int32", List.of(q.codes(),
        g.int8s(name + ".weight_codes", new long[] {k, n},
            GemmWeights.reorder(codes.codes(), GemmWeights.transposedOrder(n, k)))));
    return new Value(epilogue(name, sums, q.scale(), codes, bias, new long[] {n}), s.output(),
        false);
  }

  /** An input's int8 codes and each example's scale (max|x| / 127, shaped to broadcast). */
  private record Quantized(String codes, String scale) {}

  /**
   * The forward GEMMs' int8 input: each example's codes round(x * (127 / max|x|)), rounded half
   * to even by QuantizeLinear at scale 1 as the engine's Math.rint does; the inverse is taken
   * and multiplied as the engine does, so these are its codes bit for bit.
   */
  private Quantized quantize(String layer, String x, int rank) {
    long[] axes = rank == 4 ? new long[] {1, 2, 3} : new long[] {1};
    String abs = g.op("Abs", layer + "/abs", List.of(x));
    String absmax = g.op("ReduceMax", layer + "/absmax", List.of(abs),
        Attribute.ints("axes", axes), Attribute.integer("keepdims", 1));
    String floor = g.op("Max", layer + "/absmax_floor", List.of(absmax, g.scalar(MIN_ABSMAX)));
    String inverse = g.op("Div", layer + "/inverse_scale", List.of(g.scalar(127f), floor));
    String scaled = g.op("Mul", layer + "/scaled", List.of(x, inverse));
    String codes = g.op("QuantizeLinear", layer + "/codes",
        List.of(scaled, g.scalar(1f), g.int8Zero()));
    String scale = g.op("Div", layer + "/input_scale", List.of(absmax, g.scalar(127f)));
    return new Quantized(codes, scale);
  }

  /**
   * The engine's dequantizing epilogue of an int8 GEMM, operation for operation: the exact int32
   * sums dequantized with each example's row scale (its input scale, times the weight scale when
   * that is per tensor), times the channel's weight scale when per channel, plus the bias.
   *
   * <p>The int32 sums go through DequantizeLinear along the batch axis rather than Cast and Mul:
   * ONNX Runtime fuses MatMulInteger, Cast and a Mul whose other input comes from a Mul into
   * MatMulIntegerToFloat, which takes that scale as one per tensor, and the scale here is one per
   * example.
   */
  private String epilogue(String name, String sums, String inputScale, GemmWeights.Codes w,
      float[] bias, long[] channelDims) {
    String rowScale = perChannel ? inputScale : g.op("Mul", name + "/row_scale",
        List.of(inputScale, g.floats(name + ".weight_scale", new long[0], w.scales())));
    String perExample = g.op("Reshape", name + "/example_scale", List.of(rowScale,
        g.shape(-1)));
    String v = g.op("DequantizeLinear", name + "/dequantized", List.of(sums, perExample),
        Attribute.integer("axis", 0));
    if (perChannel) {
      v = g.op("Mul", name + "/channel_scaled", List.of(v,
          g.floats(name + ".weight_scale", channelDims, w.scales())));
    }
    if (bias != null) {
      v = g.op("Add", name, List.of(v, g.floats(name + ".bias", channelDims, bias)));
    }
    return v;
  }

  /**
   * gamma * ((x - mean) * (1 / scale)) + beta with the running mean and scale (the l2 variant's
   * sqrt(var + eps) or the l1 variant's sqrt(pi/2) * mean|x - mean| + eps, both stored as the
   * denominator) as the engine's float mean and reciprocal: a per-channel affine map written in
   * the engine's order of operations, so that what reaches the next quantizer is the engine's
   * value bit for bit. Folding it into a single scale and shift would save two nodes but move
   * values by an ulp, and an ulp at a rounding boundary flips an int8 code downstream.
   */
  private Value batchNorm(String name, LayerShape s, Value x) {
    boolean flat = s.input().flat();
    Value in = flat ? toFlat(x) : toNchw(x);
    int c = s.input().channels();
    double[] mean = state.runningMean(name);
    double[] scale = state.runningScale(name);
    float[] mu = new float[c];
    float[] inv = new float[c];
    for (int ch = 0; ch < c; ch++) {
      mu[ch] = (float) mean[ch];
      inv[ch] = (float) (1.0 / scale[ch]);
    }
    long[] dims = flat ? new long[] {c} : new long[] {c, 1, 1};
    String centered = g.op("Sub", name + "/centered", List.of(in.name(),
        g.floats(name + ".running_mean", dims, mu)));
    String normalized = g.op("Mul", name + "/normalized", List.of(centered,
        g.floats(name + ".inverse_scale", dims, inv)));
    String scaled = g.op("Mul", name + "/scaled", List.of(normalized,
        g.floats(name + ".gamma", dims, state.parameter(name + ".gamma"))));
    String out = g.op("Add", name, List.of(scaled,
        g.floats(name + ".beta", dims, state.parameter(name + ".beta"))));
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
