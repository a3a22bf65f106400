package io.sparkint8.ml;

import io.sparkint8.arrow.FeatureColumn;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import java.util.List;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;

/**
 * The shape of one example for {@code fit}: {@code inputShape} when it is set, else what the
 * features column says. An image struct says (nChannels, height, width); a vector, array or
 * binary column says only how many values a row holds, n, which becomes [n, 1, 1]: enough for
 * fully connected layers, not for conv/pool layers, which need a height and a width.
 */
final class InputShapes {
  private InputShapes() {}

  /**
   * Fails, before any data is read, when the shape can be neither read from the Params nor
   * inferred for the network: no inputShape, a column without image dimensions and a network
   * with conv/pool layers.
   */
  static void checkInferable(Int8ClassifierParams p, StructType schema, String featuresCol) {
    if (p.isDefined(p.inputShape())) {
      return;
    }
    FeatureColumn.Kind kind = FeatureColumn.kindOf(schema, featuresCol);
    if (kind == FeatureColumn.Kind.IMAGE) {
      return;
    }
    String network = p.getNetwork();
    // the class count does not change which layers a network has; any valid one parses it
    NetworkSpec spec = NetworkSpec.parse(network, NetworkSpec.statedClasses(network).orElse(2));
    if (spec.hasSpatialLayers()) {
      throw new IllegalArgumentException("inputShape is not set, and features column '"
          + featuresCol + "' holds " + describe(kind) + ", which give the number of values of a "
          + "row but not its height and width; network '" + network + "' has conv/pool layers, "
          + "which need them. Expected inputShape = (channels, height, width) with "
          + "channels*height*width values per row, e.g. setInputShape(new int[] {1, 28, 28}) "
          + "for 784 values, or a network without conv/pool layers (e.g. mlp), for which "
          + "inputShape is inferred as [n, 1, 1]");
    }
  }

  /**
   * The input shape of a fit on {@code df}: inputShape when set; else (nChannels, height, width)
   * of the first image of an image column, or [n, 1, 1] for the n values of the first row of
   * another column (the packing then checks that every row has as many). Call {@link
   * #checkInferable} first.
   */
  static Shape resolve(Int8ClassifierParams p, Dataset<Row> df, String featuresCol) {
    if (p.isDefined(p.inputShape())) {
      int[] s = p.getInputShape();
      return Shape.chw(s[0], s[1], s[2]);
    }
    StructType schema = df.schema();
    FeatureColumn.Kind kind = FeatureColumn.kindOf(schema, featuresCol);
    if (kind == FeatureColumn.Kind.VECTOR) {
      // a VectorAssembler's output states its size; no job needed then
      int size = AttributeGroup.fromStructField(schema.apply(featuresCol)).size();
      if (size > 0) {
        return Shape.chw(size, 1, 1);
      }
    }
    Row first = firstValue(df, featuresCol);
    if (kind == FeatureColumn.Kind.IMAGE) {
      Row image = first.getStruct(0);
      StructType fields = image.schema();
      int height = image.getInt(fields.fieldIndex("height"));
      int width = image.getInt(fields.fieldIndex("width"));
      int channels = image.getInt(fields.fieldIndex("nChannels"));
      if (height < 1 || width < 1 || channels < 1) {
        throw new IllegalArgumentException("inputShape is not set, and the first image of "
            + "features column '" + featuresCol + "' has height " + height + ", width " + width
            + " and nChannels " + channels + "; expected each >= 1 (or set inputShape)");
      }
      return Shape.chw(channels, height, width);
    }
    int n = switch (kind) {
      case VECTOR -> first.<Vector>getAs(0).size();
      case BINARY -> ((byte[]) first.get(0)).length;
      default -> first.getList(0).size();
    };
    if (n < 1) {
      throw new IllegalArgumentException("inputShape is not set, and the first row of features "
          + "column '" + featuresCol + "' holds 0 values; expected at least one");
    }
    return Shape.chw(n, 1, 1);
  }

  private static Row firstValue(Dataset<Row> df, String featuresCol) {
    List<Row> rows = df.select(featuresCol).where(functions.col(featuresCol).isNotNull())
        .limit(1).collectAsList();
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("the training dataset has no row with a value in "
          + "features column '" + featuresCol + "' to infer inputShape from; expected at least "
          + "one row (or set inputShape)");
    }
    return rows.get(0);
  }

  private static String describe(FeatureColumn.Kind kind) {
    return switch (kind) {
      case VECTOR -> "vectors";
      case FLOAT_ARRAY -> "array<float> values";
      case DOUBLE_ARRAY -> "array<double> values";
      case BINARY -> "binary values";
      case IMAGE -> "images";
    };
  }
}
