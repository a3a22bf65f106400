package io.sparkint8.arrow;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads a class label (0, 1, 2, ... as a double, float, int, long, short or byte column) and
 * rejects nulls, negative, non-integer and non-finite values, and values at or above the number of
 * classes when that is known.
 */
public final class LabelColumn implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final int numClasses;

  private LabelColumn(String name, int numClasses) {
    this.name = name;
    this.numClasses = numClasses;
  }

  /** The reader of label column {@code name}; {@code numClasses} <= 0 when not yet known. */
  public static LabelColumn of(StructType schema, String name, int numClasses) {
    if (!Arrays.asList(schema.fieldNames()).contains(name)) {
      throw new IllegalArgumentException("label column '" + name + "' does not exist; columns: "
          + String.join(", ", schema.fieldNames()));
    }
    DataType t = schema.apply(name).dataType();
    if (!(t.equals(DataTypes.DoubleType) || t.equals(DataTypes.FloatType)
        || t.equals(DataTypes.IntegerType) || t.equals(DataTypes.LongType)
        || t.equals(DataTypes.ShortType) || t.equals(DataTypes.ByteType))) {
      throw new IllegalArgumentException("label column '" + name + "' has type " + t.simpleString()
          + ", expected a numeric type holding class indices 0, 1, 2, ...");
    }
    return new LabelColumn(name, numClasses);
  }

  public String name() {
    return name;
  }

  /** The label of {@code row} (its field {@code field}); {@code rowNumber} names the row in errors. */
  public int read(Row row, int field, long rowNumber) {
    if (row.isNullAt(field)) {
      throw new IllegalArgumentException("label column '" + name + "', row " + rowNumber
          + ": found null, expected a class index");
    }
    double v = ((Number) row.get(field)).doubleValue();
    if (!Double.isFinite(v) || v < 0 || v != Math.rint(v) || v > Integer.MAX_VALUE - 1) {
      throw new IllegalArgumentException("label column '" + name + "', row " + rowNumber
          + ": found " + v + ", expected an integer class index >= 0");
    }
    if (numClasses > 0 && v >= numClasses) {
      throw new IllegalArgumentException("label column '" + name + "', row " + rowNumber
          + ": found " + v + ", expected a class index below numClasses = " + numClasses);
    }
    return (int) v;
  }
}
