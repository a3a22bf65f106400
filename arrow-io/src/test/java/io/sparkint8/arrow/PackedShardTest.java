package io.sparkint8.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** FeatureColumn reading each feature type and PackedShard packing partitions. */
class PackedShardTest {
  private static final long SEED = 7L;
  private static final int H = 3;
  private static final int W = 2;
  private static final int LEN = H * W;

  private static StructType schema(org.apache.spark.sql.types.DataType featureType) {
    return new StructType().add("label", DataTypes.DoubleType, false)
        .add("features", featureType, true);
  }

  private static Row image(int h, int w, int c, int mode, byte[] data) {
    return RowFactory.create("file:/x.png", h, w, c, mode, data);
  }

  /** Pixels of {@code n} images, seeded; the first pixel of image 0 is 255, the second 0. */
  private static byte[] pixels(int n) {
    byte[] b = new byte[n * LEN];
    new Random(SEED).nextBytes(b);
    b[0] = (byte) 255;
    b[1] = 0;
    return b;
  }

  /** The same images as a DataFrame of features of {@code kind}, labels i % 10. */
  private static Dataset<Row> frame(FeatureColumn.Kind kind, byte[] px, int n,
      boolean repartition) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] image = Arrays.copyOfRange(px, i * LEN, (i + 1) * LEN);
      double[] d = new double[LEN];
      List<Float> f = new ArrayList<>();
      List<Double> dl = new ArrayList<>();
      for (int j = 0; j < LEN; j++) {
        d[j] = (image[j] & 0xff) / 255.0;
        f.add((float) d[j]);
        dl.add(d[j]);
      }
      Object value = switch (kind) {
        case VECTOR -> Vectors.dense(d);
        case FLOAT_ARRAY -> scala.jdk.javaapi.CollectionConverters.asScala(f).toSeq();
        case DOUBLE_ARRAY -> scala.jdk.javaapi.CollectionConverters.asScala(dl).toSeq();
        case BINARY -> image;
        case IMAGE -> image(H, W, 1, 0, image);
      };
      rows.add(RowFactory.create((double) (i % 10), value));
    }
    org.apache.spark.sql.types.DataType t = switch (kind) {
      case VECTOR -> SQLDataTypes.VectorType();
      case FLOAT_ARRAY -> DataTypes.createArrayType(DataTypes.FloatType, false);
      case DOUBLE_ARRAY -> DataTypes.createArrayType(DataTypes.DoubleType, false);
      case BINARY -> DataTypes.BinaryType;
      case IMAGE -> ImageSchema.columnSchema();
    };
    Dataset<Row> df = TestSpark.get().createDataFrame(rows, schema(t));
    return repartition ? df.repartition(2) : df;
  }

  private static FeatureColumn column(Dataset<Row> df) {
    return FeatureColumn.of(df.schema(), "features", LEN, new int[] {H, W, 1});
  }

  private static PackedShard packLocal(Dataset<Row> df, List<Row> rows) {
    return PackedShard.pack(0, rows.iterator(), column(df), 1,
        LabelColumn.of(df.schema(), "label", 10), 0);
  }

  @Test
  void everyFeatureTypePacksToPixelOver255InRowOrder() {
    int n = 40;
    byte[] px = pixels(n);
    float[] expected = new float[n * LEN];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = (float) ((px[i] & 0xff) / 255.0);
    }
    assertEquals(1f, expected[0]);
    for (FeatureColumn.Kind kind : FeatureColumn.Kind.values()) {
      Dataset<Row> df = frame(kind, px, n, false);
      assertEquals(kind, column(df).kind());
      // rows as Spark hands them out (Scala sequences, vectors, nested rows), in input order
      PackedShard s = packLocal(df, df.collectAsList());
      assertEquals(n, s.rows(), kind.toString());
      assertEquals(LEN, s.featureLength());
      assertEquals(9, s.maxLabel());
      // every kind gives the same floats: (float) (pixel / 255.0), correctly rounded
      assertArrayEquals(expected, Arrays.copyOf(s.features(), n * LEN), kind.toString());
      for (int i = 0; i < n; i++) {
        assertEquals(i % 10, s.labels()[i], kind + " label " + i);
      }
    }
  }

  @Test
  void packsEveryPartitionOnTheExecutors() {
    int n = 1000; // more than the initial capacity of 256 rows: the arrays grow, then trim
    byte[] px = pixels(n);
    for (FeatureColumn.Kind kind : FeatureColumn.Kind.values()) {
      Dataset<Row> df = frame(kind, px, n, true);
      FeatureColumn fc = column(df);
      LabelColumn lc = LabelColumn.of(df.schema(), "label", 10);
      List<Integer> counts = df.mapPartitions((MapPartitionsFunction<Row, Integer>) it -> {
        PackedShard s = PackedShard.pack(0, it, fc, 1, lc, 0);
        // a cached shard keeps at most 1/8 of slack from the doubling
        int slackRows = s.labels().length - s.rows();
        if (slackRows > s.rows() / 8 || s.features().length != s.labels().length * LEN) {
          throw new IllegalStateException("slack: " + s.features().length + " for " + s.rows());
        }
        double sum = 0;
        for (int i = 0; i < s.rows() * LEN; i++) {
          sum += s.features()[i];
        }
        return List.of(s.rows(), (int) Math.round(sum * 255)).iterator();
      }, Encoders.INT()).collectAsList();
      int rows = 0;
      long sum = 0;
      for (int i = 0; i < counts.size(); i += 2) {
        rows += counts.get(i);
        sum += counts.get(i + 1);
      }
      long expected = 0;
      for (byte b : px) {
        expected += b & 0xff;
      }
      assertEquals(n, rows, kind.toString());
      assertEquals(expected, sum, 2 * counts.size(), kind.toString());
    }
  }

  @Test
  void handBuiltRowsWithJavaArraysAndLists() {
    StructType s = schema(DataTypes.createArrayType(DataTypes.FloatType));
    FeatureColumn fc = FeatureColumn.of(s, "features", 3, null);
    float[] dst = new float[9];
    fc.read(RowFactory.create(0.0, new float[] {1f, 2f, 3f}), 1, dst, 0, 0);
    fc.read(RowFactory.create(0.0, List.of(4f, 5f, 6f)), 1, dst, 3, 1);
    fc.read(RowFactory.create(0.0, new double[] {7, 8, 9}), 1, dst, 6, 2);
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, dst);
    // a Scala List (linear) is read too
    fc.read(RowFactory.create(0.0, scala.jdk.javaapi.CollectionConverters
        .asScala(List.of(1f, 1f, 1f)).toList()), 1, dst, 0, 3);
    assertArrayEquals(new float[] {1, 1, 1}, Arrays.copyOf(dst, 3));
    // Scala ArraySeqs over primitive arrays, mutable and immutable
    fc.read(RowFactory.create(0.0, scala.collection.mutable.ArraySeq.make(new float[] {2, 3, 4})),
        1, dst, 0, 4);
    fc.read(RowFactory.create(0.0,
        scala.collection.immutable.ArraySeq.unsafeWrapArray(new double[] {5, 6, 7})), 1, dst, 3, 5);
    assertArrayEquals(new float[] {2, 3, 4, 5, 6, 7}, Arrays.copyOf(dst, 6));
  }

  @Test
  void imagesOfAnotherSizeNameTheColumnAndBothSizes() {
    StructType s = schema(ImageSchema.columnSchema());
    FeatureColumn fc = FeatureColumn.of(s, "features", LEN, new int[] {H, W, 1});
    List<Row> rows = List.of(
        RowFactory.create(1.0, image(H, W, 1, 0, new byte[LEN])),
        RowFactory.create(1.0, image(2, 3, 1, 0, new byte[LEN])));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PackedShard.pack(3, rows.iterator(), fc, 1, null, -1));
    assertTrue(e.getMessage().contains("features column 'features', row 1"), e.getMessage());
    assertTrue(e.getMessage().contains("2x3x1"), e.getMessage());
    assertTrue(e.getMessage().contains("3x2x1"), e.getMessage());
  }

  @Test
  void imageOfSixteenBitPixelsIsRejected() {
    StructType s = schema(ImageSchema.columnSchema());
    FeatureColumn fc = FeatureColumn.of(s, "features", LEN, new int[] {H, W, 1});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fc.read(RowFactory.create(1.0, image(H, W, 1, 2, new byte[LEN])), 1,
            new float[LEN], 0, 0));
    assertTrue(e.getMessage().contains("mode 2"), e.getMessage());
  }

  @Test
  void imageShapeMustMatchTheLength() {
    StructType s = schema(ImageSchema.columnSchema());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FeatureColumn.of(s, "features", LEN, new int[] {28, 28, 1}));
    assertTrue(e.getMessage().contains("[28, 28, 1]"), e.getMessage());
  }

  @Test
  void nanNamesTheRowAndPosition() {
    StructType s = schema(SQLDataTypes.VectorType());
    FeatureColumn fc = FeatureColumn.of(s, "features", 3, null);
    List<Row> rows = List.of(
        RowFactory.create(0.0, Vectors.dense(1, 2, 3)),
        RowFactory.create(0.0, Vectors.dense(1, 2, 3)),
        RowFactory.create(0.0, Vectors.dense(1, Double.NaN, 3)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PackedShard.pack(0, rows.iterator(), fc, 1, null, -1));
    assertTrue(e.getMessage().contains("features column 'features', row 2: found NaN at position 1"),
        e.getMessage());
  }

  @Test
  void infinityAndFloatOverflowAreErrors() {
    StructType s = schema(DataTypes.createArrayType(DataTypes.DoubleType));
    FeatureColumn fc = FeatureColumn.of(s, "features", 2, null);
    float[] dst = new float[2];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fc.read(RowFactory.create(0.0, List.of(1.0, Double.POSITIVE_INFINITY)), 1, dst,
            0, 5));
    assertTrue(e.getMessage().contains("row 5: found Infinity at position 1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> fc.read(RowFactory.create(0.0, List.of(1e300, 0.0)), 1, dst, 0, 6));
    assertTrue(e.getMessage().contains("row 6: found 1.0E300 at position 0"), e.getMessage());
  }

  @Test
  void wrongLengthIsAnError() {
    for (org.apache.spark.sql.types.DataType t : List.of(SQLDataTypes.VectorType(),
        DataTypes.createArrayType(DataTypes.FloatType), DataTypes.BinaryType)) {
      StructType s = schema(t);
      FeatureColumn fc = FeatureColumn.of(s, "features", 4, null);
      Object value = t.equals(SQLDataTypes.VectorType()) ? Vectors.dense(1, 2, 3)
          : t.equals(DataTypes.BinaryType) ? new byte[3]
          : scala.jdk.javaapi.CollectionConverters.asScala(List.of(1f, 2f, 3f)).toSeq();
      Iterator<Row> rows = List.of(RowFactory.create(0.0, value)).iterator();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> PackedShard.pack(0, rows, fc, 1, null, -1), t.simpleString());
      assertTrue(e.getMessage().contains("row 0: found 3 values, expected 4"), e.getMessage());
    }
  }

  @Test
  void nullsAreErrors() {
    StructType s = schema(DataTypes.createArrayType(DataTypes.FloatType));
    FeatureColumn fc = FeatureColumn.of(s, "features", 2, null);
    float[] dst = new float[2];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fc.read(RowFactory.create(0.0, null), 1, dst, 0, 0));
    assertTrue(e.getMessage().contains("found null"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> fc.read(RowFactory.create(0.0, Arrays.asList(1f, null)), 1, dst, 0, 0));
    assertTrue(e.getMessage().contains("null at position 1"), e.getMessage());
  }

  @Test
  void unsupportedColumnTypeAndMissingColumn() {
    StructType s = schema(DataTypes.StringType);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FeatureColumn.of(s, "features", 4, null));
    assertTrue(e.getMessage().contains("has type string"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> FeatureColumn.of(s, "pixels", 4, null));
    assertTrue(e.getMessage().contains("'pixels' does not exist"), e.getMessage());
  }

  @Test
  void labelsAreCheckedAndUnlabeledShardsHoldMinusOne() {
    StructType s = schema(DataTypes.BinaryType);
    FeatureColumn fc = FeatureColumn.of(s, "features", 1, null);
    LabelColumn lc = LabelColumn.of(s, "label", 3);
    List<Row> rows = List.of(RowFactory.create(2.0, new byte[1]),
        RowFactory.create(3.0, new byte[1]));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PackedShard.pack(0, rows.iterator(), fc, 1, lc, 0));
    assertTrue(e.getMessage().contains("row 1: found 3.0, expected a class index below"),
        e.getMessage());
    PackedShard unlabeled = PackedShard.pack(0, rows.iterator(), fc, 1, null, -1);
    assertEquals(2, unlabeled.rows());
    assertEquals(-1, unlabeled.maxLabel());
  }

  @Test
  void emptyPartitionPacksToAnEmptyShard() {
    StructType s = schema(DataTypes.BinaryType);
    FeatureColumn fc = FeatureColumn.of(s, "features", 784, null);
    PackedShard e = PackedShard.pack(1, List.<Row>of().iterator(), fc, 1, null, -1);
    assertEquals(0, e.rows());
    assertEquals(1, e.partition());
    assertEquals(0, e.features().length);
  }
}
