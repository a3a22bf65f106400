package io.sparkint8.ml;

import io.sparkint8.onnx.OnnxExport;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.util.MLFormatRegister;
import org.apache.spark.sql.SparkSession;
import scala.collection.mutable.Map;

/**
 * Format {@code onnx} of {@link Int8ClassificationModel#write()}: {@code
 * model.write().format("onnx").save(dir)} writes {@code dir/model.onnx}, the ONNX model {@link
 * OnnxExport} describes (input {@code features} float32 [N, channels*height*width] in the
 * features column's order, outputs {@code rawPrediction} and {@code probability}), the way
 * Spark's LinearRegressionModel offers PMML. Written through Hadoop's FileSystem, so any path
 * Spark can write works; {@code overwrite()} behaves as for every MLWriter.
 */
public final class OnnxModelFormat implements MLFormatRegister {
  /** The file written inside the directory given to {@code save}. */
  public static final String FILE = "model.onnx";

  /** Spark's GeneralMLWriter calls this; the stage name is checked before it is. */
  public OnnxModelFormat() {}

  @Override
  public String format() {
    return "onnx";
  }

  @Override
  public String stageName() {
    return Int8ClassificationModel.class.getName();
  }

  @Override
  public void write(String path, SparkSession session, Map<String, String> options,
      PipelineStage stage) {
    Int8ClassificationModel model = model(stage, format());
    byte[] bytes = OnnxExport.export(model.modelState()).bytes();
    try {
      Path dir = new Path(path);
      FileSystem fs = dir.getFileSystem(session.sparkContext().hadoopConfiguration());
      fs.mkdirs(dir);
      try (OutputStream out = fs.create(new Path(dir, FILE), true)) {
        out.write(bytes);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + model.uid() + " as ONNX to " + path, e);
    }
  }

  static Int8ClassificationModel model(PipelineStage stage, String format) {
    if (!(stage instanceof Int8ClassificationModel model)) {
      throw new IllegalArgumentException("stage: " + stage.getClass().getName()
          + ", expected an Int8ClassificationModel for format '" + format + "'");
    }
    return model;
  }
}
