package io.sparkint8.ml;

import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.util.MLFormatRegister;
import org.apache.spark.sql.SparkSession;
import scala.collection.mutable.Map;

/**
 * Format {@code internal} of {@link Int8ClassificationModel#write()}, the default of Spark's
 * GeneralMLWriter: the model directory {@link Int8Persistence} describes, which {@link
 * Int8ClassificationModel#load} reads. Registered in {@code META-INF/services} like Spark's own
 * {@code InternalLinearRegressionModelWriter}.
 */
public final class InternalModelFormat implements MLFormatRegister {
  /** Spark's GeneralMLWriter calls this; the stage name is checked before it is. */
  public InternalModelFormat() {}

  @Override
  public String format() {
    return "internal";
  }

  @Override
  public String stageName() {
    return Int8ClassificationModel.class.getName();
  }

  @Override
  public void write(String path, SparkSession session, Map<String, String> options,
      PipelineStage stage) {
    Int8ClassificationModel model = OnnxModelFormat.model(stage, format());
    Int8Persistence.StageWriter writer = new Int8Persistence.StageWriter(model, model);
    writer.session(session);
    writer.saveImpl(path);
  }
}
