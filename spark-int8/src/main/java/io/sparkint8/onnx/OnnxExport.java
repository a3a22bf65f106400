package io.sparkint8.onnx;

import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.nn.ModelState;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.onnx.OnnxProto.Attribute;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a trained model as an ONNX model (opset {@value #OPSET}) that computes what the model's
 * inference forward pass computes.
 *
 * <ul>
 *   <li>Input {@value #INPUT}: float32 [N, channels * height * width], each row in the order of
 *       the features column (height x width x channels, channels innermost).
 *   <li>Outputs {@value #RAW_PREDICTION} (the logits) and {@value #PROBABILITY} (their softmax),
 *       float32 [N, classes].
 * </ul>
 *
 * In int8 precisions the conv and fc weights are stored as int8 codes with their per-channel (or
 * per-tensor) scales, and the graph quantizes each example's input of every conv and fc at run
 * time, as the engine does; see {@link GraphEmitter} for the layout and the numerics.
 */
public final class OnnxExport {
  /** The ONNX operator set the graph is written against. */
  public static final int OPSET = 17;

  public static final String INPUT = "features";
  public static final String RAW_PREDICTION = "rawPrediction";
  public static final String PROBABILITY = "probability";
  /** The symbolic batch dimension of the input and outputs. */
  public static final String BATCH = "N";

  private OnnxExport() {}

  /** What one export produced: the file's bytes and a few facts about the graph. */
  public record Result(byte[] bytes, long initializerBytes, Map<String, Integer> opCounts) {}

  /** Encodes {@code state} as an ONNX model. */
  public static Result export(ModelState state) {
    Objects.requireNonNull(state, "state");
    Shape input = state.inputShape();
    OnnxGraph g = new OnnxGraph(INPUT);
    GraphEmitter.Value logits;
    try (OffHeapAllocator alloc = new OffHeapAllocator("onnx-export");
        Network net = state.build(new JavaBackend(), alloc, 1)) {
      GraphEmitter emitter = new GraphEmitter(state, g);
      GraphEmitter.Value x = new GraphEmitter.Value(INPUT, input, false);
      logits = emitter.toFlat(emitter.sequence(net.root().children(),
          state.spec().shapes(input).layers(), x));
    }
    g.opNamed("Identity", RAW_PREDICTION, List.of(logits.name()));
    g.opNamed("Softmax", PROBABILITY, List.of(RAW_PREDICTION), Attribute.integer("axis", 1));

    long classes = state.numClasses();
    ProtoWriter graph = OnnxProto.graph("spark_int8", doc(state), g.nodes(), g.initializers(),
        List.of(OnnxProto.valueInfo(INPUT, OnnxProto.FLOAT, List.of(BATCH, (long) input.size()))),
        List.of(OnnxProto.valueInfo(RAW_PREDICTION, OnnxProto.FLOAT, List.of(BATCH, classes)),
            OnnxProto.valueInfo(PROBABILITY, OnnxProto.FLOAT, List.of(BATCH, classes))));
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("spark-int8.network", state.specText());
    metadata.put("spark-int8.precision", state.config().precision().label());
    metadata.put("spark-int8.weightScaling",
        state.config().weightPerChannel() ? "per-channel" : "per-tensor");
    metadata.put("spark-int8.inputShape",
        input.channels() + "," + input.height() + "," + input.width());
    metadata.put("spark-int8.numClasses", Long.toString(classes));
    byte[] bytes = OnnxProto.model(OPSET, "spark-int8", "0.1.0", doc(state), graph, metadata)
        .toByteArray();
    return new Result(bytes, g.initializerBytes(), g.opCounts());
  }

  /** Writes the ONNX model of {@code state} to {@code out}; does not close it. */
  public static void write(ModelState state, OutputStream out) throws IOException {
    out.write(export(state).bytes());
  }

  private static String doc(ModelState state) {
    Shape s = state.inputShape();
    return "spark-int8 " + state.config().precision().label() + " model '" + state.specText()
        + "'. Input '" + INPUT + "': float32 [N, " + s.size() + "], one example per row in the "
        + "features column's order (height " + s.height() + " x width " + s.width()
        + " x channels " + s.channels() + ", channels innermost). Outputs '" + RAW_PREDICTION
        + "' (logits) and '" + PROBABILITY + "' (softmax), float32 [N, " + state.numClasses()
        + "].";
  }
}
