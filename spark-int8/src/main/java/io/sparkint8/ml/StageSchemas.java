package io.sparkint8.ml;

import io.sparkint8.arrow.FeatureColumn;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.optim.OptimizerKind;
import java.util.Arrays;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The schema checks and output columns both stages share. */
final class StageSchemas {
  private StageSchemas() {}

  /**
   * Checks the features column and the Params, and returns {@code schema} with the prediction
   * columns the stage will add (those whose name is not empty).
   */
  static StructType validateAndAppend(Int8ClassifierParams p, StructType schema,
      String featuresCol, String rawCol, String probabilityCol, String predictionCol) {
    FeatureColumn.kindOf(schema, featuresCol);
    checkParams(p);
    // a model always has its inputShape; an estimator may infer it from the column
    InputShapes.checkInferable(p, schema, featuresCol);
    StructType out = schema;
    out = append(out, rawCol, SQLDataTypes.VectorType());
    out = append(out, probabilityCol, SQLDataTypes.VectorType());
    out = append(out, predictionCol, DataTypes.DoubleType);
    return out;
  }

  /** Cross-Param consistency, with messages naming the values. */
  static void checkParams(Int8ClassifierParams p) {
    String network = p.getNetwork();
    try {
      // the grammar only: the number of classes is known in fit, so take the one an explicit
      // last fc(n) states (any other count would reject it) and check the count in fit
      NetworkSpec.parse(network, NetworkSpec.statedClasses(network).orElse(2));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("network '" + network + "': " + e.getMessage(), e);
    }
    Precision precision = Precision.parse(p.getPrecision());
    if (precision != Precision.INT8 && p.isSet(p.gradientBits()) && p.getGradientBits() != 8) {
      throw new IllegalArgumentException("gradientBits=" + p.getGradientBits() + " needs "
          + "precision=int8 (errors are quantized only there), but precision=" + p.getPrecision());
    }
    if (p.getNesterov() && p.getMomentum() == 0
        && OptimizerKind.parse(p.getOptimizer()).usesMomentum()) {
      throw new IllegalArgumentException("nesterov=true needs momentum > 0 with optimizer="
          + p.getOptimizer() + " (momentum=0.0); set nesterov=false or a momentum");
    }
  }

  private static StructType append(StructType s, String name, org.apache.spark.sql.types.DataType t) {
    if (name == null || name.isEmpty()) {
      return s;
    }
    if (Arrays.asList(s.fieldNames()).contains(name)) {
      throw new IllegalArgumentException("output column '" + name + "' already exists in the "
          + "input; choose another name or drop it first");
    }
    return s.add(new StructField(name, t, false, org.apache.spark.sql.types.Metadata.empty()));
  }
}
