package io.sparkint8.examples;

import io.sparkint8.ml.Int8ClassificationModel;
import io.sparkint8.ml.OnnxModelFormat;
import io.sparkint8.nn.ModelState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * Exports a saved {@link Int8ClassificationModel} (the fashion-mnist job's {@code
 * <out>/model}, or any {@code model.write().save(dir)}) as one ONNX file, the Spark way: {@code
 * Int8ClassificationModel.load(dir).write().format("onnx").save(...)}. Prints where it went,
 * its size against the fp32 bytes of the model's parameters, and how to feed it.
 */
public final class ExportOnnx {
  private ExportOnnx() {}

  static final String USAGE = String.join("\n",
      "usage: examples/run export-onnx --model DIR [options]",
      "Writes a saved Int8ClassificationModel as an ONNX model (opset 17): input 'features'",
      "float32 [N, channels*height*width] in the features column's order, outputs",
      "'rawPrediction' and 'probability' float32 [N, classes]; int8 weights stay int8.",
      "  --model DIR    the model directory (e.g. fashion-mnist-run/model); required",
      "  --out FILE     the ONNX file to write, replaced if it exists (default model.onnx)",
      "  --master URL   Spark master used to load the model (default local[1])");

  public static void main(String[] args) throws Exception {
    Args.run("export-onnx", USAGE, args, ExportOnnx::launch);
  }

  private static void launch(String[] args) throws IOException {
    Args a = new Args(args, USAGE);
    String modelDir = a.string("--model", null);
    Path out = a.path("--out", Path.of("model.onnx")).toAbsolutePath();
    String master = a.string("--master", "local[1]");
    a.done();
    if (modelDir == null) {
      throw a.fail("--model DIR is required");
    }
    SparkSession spark = SparkSession.builder().master(master).appName("spark-int8 export-onnx")
        .config("spark.ui.enabled", "false")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      run(modelDir, out);
    } finally {
      spark.stop();
    }
  }

  /** Loads the model in {@code modelDir}, writes {@code out}; returns the bytes written. */
  static long run(String modelDir, Path out) throws IOException {
    Int8ClassificationModel model = Int8ClassificationModel.load(modelDir);
    Path parent = out.getParent();
    Files.createDirectories(parent);
    // the writer's unit is a directory (dir/model.onnx); it goes to a scratch one beside out
    Path scratch = Files.createTempDirectory(parent, ".export-onnx-");
    try {
      model.write().format("onnx").overwrite().save(scratch.toString());
      Files.move(scratch.resolve(OnnxModelFormat.FILE), out,
          StandardCopyOption.REPLACE_EXISTING);
    } finally {
      try (var left = Files.walk(scratch)) {
        for (Path p : left.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
    long bytes = Files.size(out);
    long fp32 = fp32ParameterBytes(model.modelState());
    int[] shape = model.getInputShape();
    System.out.printf(Locale.ROOT, "wrote %s: %,d bytes, %.3f x the %,d bytes of the model's "
        + "parameters in fp32 (%s, %s)%n", out, bytes, (double) bytes / fp32, fp32,
        model.modelState().specText(), model.modelState().config().precision().label());
    System.out.printf(Locale.ROOT, "input 'features': float32 [N, %d] (height %d x width %d x "
        + "channels %d, as the features column); outputs 'rawPrediction', 'probability': "
        + "float32 [N, %d]%n", model.numFeatures(), shape[1], shape[2], shape[0],
        model.numClasses());
    new JsonLine("export-onnx").put("model", modelDir).put("onnx", out.toString())
        .put("bytes", bytes).put("fp32_parameter_bytes", fp32)
        .put("ratio", (double) bytes / fp32).put("network", model.modelState().specText())
        .put("precision", model.modelState().config().precision().label()).print();
    return bytes;
  }

  static long fp32ParameterBytes(ModelState state) {
    long n = 0;
    for (String name : state.parameterNames()) {
      n += state.parameter(name).length;
    }
    return 4 * n;
  }
}
