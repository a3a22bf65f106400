package io.sparkint8.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * An exported model loaded in ONNX Runtime with every graph optimization on (the setting a
 * deployment uses, and the one that rewrites the graph the most), run on float rows.
 */
public final class OnnxRuntimeRunner implements AutoCloseable {
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession.SessionOptions options = new OrtSession.SessionOptions();
  private final OrtSession session;

  /** Both outputs of a run, [rows][classes]. */
  public record Outputs(float[][] rawPrediction, float[][] probability) {}

  public OnnxRuntimeRunner(byte[] model) throws OrtException {
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    options.setIntraOpNumThreads(1);
    session = env.createSession(model, options);
  }

  /** Runs {@code rows} rows of {@code features} ([rows x size], row-major). */
  public Outputs run(float[] features, int rows) throws OrtException {
    int size = features.length / rows;
    try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(features),
            new long[] {rows, size});
        OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, input))) {
      return new Outputs((float[][]) result.get(OnnxExport.RAW_PREDICTION).get().getValue(),
          (float[][]) result.get(OnnxExport.PROBABILITY).get().getValue());
    }
  }

  /** The graph's input and output names with their shapes as ONNX Runtime reports them. */
  public String describe() throws OrtException {
    return "inputs " + session.getInputInfo() + ", outputs " + session.getOutputInfo();
  }

  @Override
  public void close() throws OrtException {
    session.close();
    options.close();
  }
}
