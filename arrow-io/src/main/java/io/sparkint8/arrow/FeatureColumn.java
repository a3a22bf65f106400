package io.sparkint8.arrow;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads one feature column of a row into a slice of a float array, whatever its Spark type, and
 * rejects what must not be trained on: nulls, wrong lengths, NaN or infinite values, images of
 * another size. Pixels of {@code binary} columns and image structs are unsigned bytes scaled to
 * [0, 1]; vectors and arrays are taken as they are. Every element lands in the trainer's layout,
 * height x width x channels with channels innermost, which is also the order of Spark's image
 * struct (rows of BGR pixels).
 */
public final class FeatureColumn implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The Spark types a feature column may have. */
  public enum Kind {
    VECTOR,
    FLOAT_ARRAY,
    DOUBLE_ARRAY,
    BINARY,
    IMAGE
  }

  private final String name;
  private final Kind kind;
  private final int length;
  private final int[] imageHwc;
  /** Field indices of height, width, nChannels, mode and data in the image struct. */
  private final int[] imageFields;

  /** Unsigned byte b scaled to [0, 1], correctly rounded: (float) (b / 255.0). */
  private static final float[] UNIT_BYTE = new float[256];

  static {
    for (int b = 0; b < 256; b++) {
      UNIT_BYTE[b] = (float) (b / 255.0);
    }
  }

  private FeatureColumn(String name, Kind kind, int length, int[] imageHwc, int[] imageFields) {
    this.name = name;
    this.kind = kind;
    this.length = length;
    this.imageHwc = imageHwc;
    this.imageFields = imageFields;
  }

  /**
   * The reader of column {@code name} of {@code schema} for rows of {@code length} features; for an
   * image struct, {@code imageHwc} = (height, width, channels) every image must have.
   */
  public static FeatureColumn of(StructType schema, String name, int length, int[] imageHwc) {
    Kind kind = kindOf(schema, name);
    if (length < 1) {
      throw new IllegalArgumentException("features column '" + name + "': length " + length
          + ", expected >= 1");
    }
    if (kind == Kind.IMAGE) {
      if (imageHwc == null || imageHwc.length != 3
          || (long) imageHwc[0] * imageHwc[1] * imageHwc[2] != length) {
        throw new IllegalArgumentException("features column '" + name + "' holds images; their "
            + "height x width x channels " + Arrays.toString(imageHwc) + " must multiply to "
            + length);
      }
    }
    int[] imageFields = null;
    if (kind == Kind.IMAGE) {
      StructType s = (StructType) schema.apply(name).dataType();
      imageFields = new int[] {s.fieldIndex("height"), s.fieldIndex("width"),
          s.fieldIndex("nChannels"), s.fieldIndex("mode"), s.fieldIndex("data")};
    }
    return new FeatureColumn(name, kind, length, imageHwc == null ? null : imageHwc.clone(),
        imageFields);
  }

  /** The kind of column {@code name}, or an IllegalArgumentException naming the type found. */
  public static Kind kindOf(StructType schema, String name) {
    if (!Arrays.asList(schema.fieldNames()).contains(name)) {
      throw new IllegalArgumentException("features column '" + name + "' does not exist; columns: "
          + String.join(", ", schema.fieldNames()));
    }
    DataType t = schema.apply(name).dataType();
    if (t.equals(SQLDataTypes.VectorType())) {
      return Kind.VECTOR;
    }
    if (t instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType)) {
      return Kind.FLOAT_ARRAY;
    }
    if (t instanceof ArrayType a && a.elementType().equals(DataTypes.DoubleType)) {
      return Kind.DOUBLE_ARRAY;
    }
    if (t instanceof BinaryType) {
      return Kind.BINARY;
    }
    if (t instanceof StructType s && isImageStruct(s)) {
      return Kind.IMAGE;
    }
    throw new IllegalArgumentException("features column '" + name + "' has type "
        + t.simpleString() + ", expected vector, array<float>, array<double>, binary (uint8 "
        + "pixels) or the struct of Spark's image data source");
  }

  private static boolean isImageStruct(StructType s) {
    return has(s, "height", DataTypes.IntegerType) && has(s, "width", DataTypes.IntegerType)
        && has(s, "nChannels", DataTypes.IntegerType) && has(s, "mode", DataTypes.IntegerType)
        && has(s, "data", DataTypes.BinaryType);
  }

  private static boolean has(StructType s, String field, DataType type) {
    for (StructField f : s.fields()) {
      if (f.name().equals(field)) {
        return f.dataType().equals(type);
      }
    }
    return false;
  }

  public String name() {
    return name;
  }

  public Kind kind() {
    return kind;
  }

  public int length() {
    return length;
  }

  /**
   * Writes the features of {@code row} (its field {@code field}) to dst[offset, offset + length);
   * {@code rowNumber} only names the row in errors.
   */
  public void read(Row row, int field, float[] dst, int offset, long rowNumber) {
    if (row.isNullAt(field)) {
      throw bad(rowNumber, "null", "a value");
    }
    switch (kind) {
      case VECTOR -> readVector(row.<Vector>getAs(field), dst, offset, rowNumber);
      case FLOAT_ARRAY, DOUBLE_ARRAY -> readArray(row.get(field), dst, offset, rowNumber);
      case BINARY -> readBytes((byte[]) row.get(field), dst, offset, rowNumber);
      case IMAGE -> readImage(row.getStruct(field), dst, offset, rowNumber);
      default -> throw new IllegalStateException(kind.toString());
    }
  }

  private void readVector(Vector v, float[] dst, int offset, long rowNumber) {
    checkLength(v.size(), rowNumber);
    // toArray materializes sparse vectors too; one array per row, not per element
    double[] d = v.toArray();
    for (int i = 0; i < length; i++) {
      dst[offset + i] = finite(d[i], i, rowNumber);
    }
  }

  /**
   * An array<float> or array<double> value: Spark's rows hold a Scala IndexedSeq of boxed numbers,
   * rows built by hand may hold a Java list or a float[] / double[].
   */
  private void readArray(Object value, float[] dst, int offset, long rowNumber) {
    Object a = ArrayValues.indexable(value);
    if (a == null) {
      throw bad(rowNumber, "a value of class " + value.getClass().getName(), "an array");
    }
    if (a instanceof float[] f) {
      checkLength(f.length, rowNumber);
      for (int i = 0; i < length; i++) {
        dst[offset + i] = finite(f[i], i, rowNumber);
      }
      return;
    }
    if (a instanceof double[] d) {
      checkLength(d.length, rowNumber);
      for (int i = 0; i < length; i++) {
        dst[offset + i] = finite(d[i], i, rowNumber);
      }
      return;
    }
    if (a instanceof Object[] boxed) { // Spark's rows: the array under an ArraySeq
      checkLength(boxed.length, rowNumber);
      for (int i = 0; i < length; i++) {
        Object o = boxed[i];
        if (o == null) {
          throw bad(rowNumber, "null at position " + i, "a number");
        }
        dst[offset + i] = finite(((Number) o).doubleValue(), i, rowNumber);
      }
      return;
    }
    checkLength(ArrayValues.size(a), rowNumber);
    for (int i = 0; i < length; i++) {
      Object o = ArrayValues.get(a, i);
      if (o == null) {
        throw bad(rowNumber, "null at position " + i, "a number");
      }
      dst[offset + i] = finite(((Number) o).doubleValue(), i, rowNumber);
    }
  }

  private void readBytes(byte[] b, float[] dst, int offset, long rowNumber) {
    checkLength(b.length, rowNumber);
    for (int i = 0; i < length; i++) {
      dst[offset + i] = UNIT_BYTE[b[i] & 0xff];
    }
  }

  private void readImage(Row image, float[] dst, int offset, long rowNumber) {
    int h = image.getInt(imageFields[0]);
    int w = image.getInt(imageFields[1]);
    int c = image.getInt(imageFields[2]);
    int mode = image.getInt(imageFields[3]);
    if (h != imageHwc[0] || w != imageHwc[1] || c != imageHwc[2]) {
      throw bad(rowNumber, "an image of height x width x channels " + h + "x" + w + "x" + c,
          "every image " + imageHwc[0] + "x" + imageHwc[1] + "x" + imageHwc[2]
              + " (resize images to one size first)");
    }
    // OpenCV type codes of 8-bit images: CV_8UC1, CV_8UC3, CV_8UC4
    if (mode != 0 && mode != 16 && mode != 24) {
      throw bad(rowNumber, "an image of OpenCV mode " + mode, "8-bit pixels (mode 0, 16 or 24)");
    }
    if (image.isNullAt(imageFields[4])) {
      throw bad(rowNumber, "an image without data", "8-bit pixels");
    }
    readBytes((byte[]) image.get(imageFields[4]), dst, offset, rowNumber);
  }

  private void checkLength(int have, long rowNumber) {
    if (have != length) {
      throw bad(rowNumber, have + " values", length + " (the product of inputShape)");
    }
  }

  private float finite(double v, int position, long rowNumber) {
    float f = (float) v;
    if (!Float.isFinite(f)) {
      // a finite double beyond +-3.4e38 would become an infinite float
      throw bad(rowNumber, v + " at position " + position, "finite numbers within float range");
    }
    return f;
  }

  private IllegalArgumentException bad(long rowNumber, String found, String expected) {
    return new IllegalArgumentException("features column '" + name + "', row " + rowNumber
        + ": found " + found + ", expected " + expected);
  }
}
