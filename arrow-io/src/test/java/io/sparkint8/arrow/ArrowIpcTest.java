package io.sparkint8.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.collection.Seq;

class ArrowIpcTest {
  @TempDir
  Path dir;

  private static final StructType ALL_TYPES = new StructType()
      .add("b", DataTypes.ByteType, true)
      .add("s", DataTypes.ShortType, true)
      .add("i", DataTypes.IntegerType, false)
      .add("l", DataTypes.LongType, true)
      .add("f", DataTypes.FloatType, true)
      .add("d", DataTypes.DoubleType, true)
      .add("z", DataTypes.BooleanType, true)
      .add("str", DataTypes.StringType, true)
      .add("bin", DataTypes.BinaryType, true)
      .add("af", DataTypes.createArrayType(DataTypes.FloatType, true), true)
      .add("ad", DataTypes.createArrayType(DataTypes.DoubleType, false), true)
      .add("v", SQLDataTypes.VectorType(), true);

  private static List<Row> allTypeRows() {
    List<Row> rows = new ArrayList<>();
    rows.add(RowFactory.create((byte) -128, (short) 32767, 0, Long.MIN_VALUE, 1.5f, -2.25,
        true, "héllo ✓", new byte[] {0, (byte) 255, 7}, Arrays.asList(1f, null, -3.5f),
        Arrays.asList(1.0, 2.0), Vectors.dense(0.5, -1.0, 3.0)));
    rows.add(RowFactory.create(null, null, 1, null, null, null, null, null, null, null, null,
        null));
    rows.add(RowFactory.create((byte) 127, (short) -32768, Integer.MIN_VALUE, Long.MAX_VALUE,
        Float.NaN, Double.NEGATIVE_INFINITY, false, "", new byte[0], List.of(),
        List.of(), Vectors.sparse(4, new int[] {2}, new double[] {9.0})));
    for (int k = 0; k < 4; k++) {
      rows.add(RowFactory.create((byte) k, (short) (k * 100), 10 + k, (long) k << 40, k / 4f,
          k / 3.0, k % 2 == 0, "row" + k, new byte[] {(byte) k}, List.of((float) k),
          List.of((double) k, -k * 1.0), Vectors.dense(k)));
    }
    return rows;
  }

  @Test
  void writeThenReadEverySupportedType() {
    Dataset<Row> df = TestSpark.get().createDataFrame(allTypeRows(), ALL_TYPES);
    Path file = dir.resolve("all.arrow");
    ArrowIpc.write(df, file, 3); // 7 rows: batches of 3, 3, 1
    Dataset<Row> back = ArrowIpc.read(TestSpark.get(), file);

    StructType schema = back.schema();
    assertEquals(ALL_TYPES.length(), schema.length());
    for (int c = 0; c < ALL_TYPES.length(); c++) {
      assertEquals(ALL_TYPES.fields()[c].name(), schema.fields()[c].name());
      assertEquals(ALL_TYPES.fields()[c].nullable(), schema.fields()[c].nullable(),
          schema.fields()[c].name());
      if (c < ALL_TYPES.length() - 1) {
        assertEquals(ALL_TYPES.fields()[c].dataType(), schema.fields()[c].dataType(),
            schema.fields()[c].name());
      }
    }
    // an ML vector comes back as array<double> of non-null elements
    assertEquals(DataTypes.createArrayType(DataTypes.DoubleType, false),
        schema.apply("v").dataType());

    List<Row> rows = back.collectAsList();
    List<Row> in = allTypeRows();
    assertEquals(in.size(), rows.size());
    for (int r = 0; r < in.size(); r++) {
      Row a = in.get(r);
      Row b = rows.get(r);
      for (int c = 0; c < 9; c++) {
        if (a.get(c) instanceof byte[] bytes) {
          assertArrayEquals(bytes, (byte[]) b.get(c), "row " + r + " col " + c);
        } else {
          assertEquals(a.get(c), b.get(c), "row " + r + " col " + c);
        }
      }
      // the input rows hold Java lists, Spark's rows Scala sequences
      assertEquals(a.get(9), b.isNullAt(9) ? null : b.getList(9), "row " + r + " af");
      assertEquals(a.get(10), b.isNullAt(10) ? null : b.getList(10), "row " + r + " ad");
      if (a.isNullAt(11)) {
        assertTrue(b.isNullAt(11));
      } else {
        double[] v = ((org.apache.spark.ml.linalg.Vector) a.get(11)).toArray();
        Seq<Object> s = b.getSeq(11);
        assertEquals(v.length, s.length(), "row " + r);
        for (int j = 0; j < v.length; j++) {
          assertEquals(v[j], (Double) s.apply(j));
        }
      }
    }
  }

  @Test
  void readRowsInThisJvmMatchesTheWrittenValues() {
    Dataset<Row> df = TestSpark.get().createDataFrame(allTypeRows(), ALL_TYPES);
    Path file = dir.resolve("all.feather");
    ArrowIpc.write(df, file);
    List<Row> rows = ArrowIpc.readRows(file);
    assertEquals(7, rows.size());
    Row first = rows.get(0);
    assertEquals((byte) -128, first.get(0));
    assertEquals("héllo ✓", first.get(7));
    assertArrayEquals(new Float[] {1f, null, -3.5f}, (Float[]) first.get(9));
    assertArrayEquals(new double[] {1.0, 2.0}, (double[]) first.get(10));
    assertArrayEquals(new double[] {0, 0, 9.0, 0}, (double[]) rows.get(2).get(11));
    assertEquals(ALL_TYPES.length(), ArrowIpc.readSchema(file).length());
  }

  @Test
  void emptyDataFrameRoundTrips() {
    Dataset<Row> df = TestSpark.get().createDataFrame(List.of(), ALL_TYPES);
    Path file = dir.resolve("empty.arrow");
    ArrowIpc.write(df, file);
    Dataset<Row> back = ArrowIpc.read(TestSpark.get(), file);
    assertEquals(0, back.count());
    assertEquals(ALL_TYPES.length(), back.schema().length());
  }

  @Test
  void overwritesAndLeavesNoTemporaryFile() throws IOException {
    StructType schema = new StructType().add("i", DataTypes.IntegerType, false);
    Path file = dir.resolve("t.arrow");
    Files.writeString(file, "old");
    ArrowIpc.write(TestSpark.get().createDataFrame(List.of(RowFactory.create(42)), schema), file);
    assertEquals(List.of(42), ArrowIpc.readRows(file).stream().map(r -> r.get(0)).toList());
    try (var s = Files.list(dir)) {
      assertEquals(List.of(file), s.toList());
    }
  }

  @Test
  void unsupportedSparkTypeNamesTheColumn() {
    StructType schema = new StructType().add("ok", DataTypes.IntegerType)
        .add("when", DataTypes.TimestampType);
    Dataset<Row> df = TestSpark.get().createDataFrame(List.of(), schema);
    Path file = dir.resolve("x.arrow");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ArrowIpc.write(df, file));
    assertTrue(e.getMessage().contains("column 'when' has type timestamp"), e.getMessage());
    assertFalse(Files.exists(file));
    StructType ints = new StructType().add("a", DataTypes.createArrayType(DataTypes.IntegerType));
    e = assertThrows(IllegalArgumentException.class, () -> ArrowIpc.toArrowSchema(ints));
    assertTrue(e.getMessage().contains("column 'a' has type array<int>"), e.getMessage());
  }

  /** Writes one batch of {@code rows} rows of {@code schema} with Arrow directly. */
  private Path writeArrow(String name, Schema schema, int rows,
      BiConsumer<VectorSchemaRoot, Integer> fill, boolean lz4) throws IOException {
    Path file = dir.resolve(name);
    try (RootAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
        ArrowFileWriter w = lz4
            ? new ArrowFileWriter(root, null, ch, Map.of(), IpcOption.DEFAULT,
                CommonsCompressionFactory.INSTANCE, CompressionUtil.CodecType.LZ4_FRAME)
            : new ArrowFileWriter(root, null, ch)) {
      root.allocateNew();
      for (int r = 0; r < rows; r++) {
        fill.accept(root, r);
      }
      root.setRowCount(rows);
      w.start();
      w.writeBatch();
      w.end();
    }
    return file;
  }

  private static Field field(String name, ArrowType type, Field... children) {
    return new Field(name, FieldType.nullable(type), children.length == 0 ? null
        : List.of(children));
  }

  @Test
  void structColumnIsRejectedNamingFileColumnAndType() throws IOException {
    Schema schema = new Schema(List.of(
        field("id", new ArrowType.Int(32, true)),
        field("point", ArrowType.Struct.INSTANCE, field("x", new ArrowType.Int(32, true)))));
    Path file = writeArrow("struct.arrow", schema, 2, (root, r) -> {
      ((IntVector) root.getVector("id")).setSafe(r, r);
      StructVector p = (StructVector) root.getVector("point");
      ((IntVector) p.getChild("x")).setSafe(r, 10 * r);
      p.setIndexDefined(r);
    }, false);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ArrowIpc.read(TestSpark.get(), file));
    assertTrue(e.getMessage().startsWith(file.toAbsolutePath().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("column 'point' has Arrow type Struct<x: Int(32, true)>"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ArrowIpc.readRows(file));
  }

  @Test
  void decimalColumnIsRejected() throws IOException {
    Schema schema = new Schema(List.of(field("price", new ArrowType.Decimal(10, 2, 128))));
    Path file = writeArrow("decimal.arrow", schema, 1,
        (root, r) -> ((DecimalVector) root.getVector("price")).setSafe(r, 12345L), false);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ArrowIpc.readSchema(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("column 'price' has Arrow type Decimal(10, 2, 128)"),
        e.getMessage());
  }

  @Test
  void listOfIntsIsRejected() throws IOException {
    Schema schema = new Schema(List.of(
        field("tags", ArrowType.List.INSTANCE, field("item", new ArrowType.Int(32, true)))));
    Path file = writeArrow("ints.arrow", schema, 0, (root, r) -> {}, false);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ArrowIpc.readSchema(file));
    assertTrue(e.getMessage().contains("column 'tags' has Arrow type List<item: Int(32, true)>"),
        e.getMessage());
  }

  @Test
  void readsUnsignedLargeAndFixedSizeTypesAndLz4Compression() throws IOException {
    Schema schema = new Schema(List.of(
        field("u8", new ArrowType.Int(8, false)),
        field("u32", new ArrowType.Int(32, false)),
        field("name", ArrowType.LargeUtf8.INSTANCE),
        field("pixels", new ArrowType.FixedSizeList(3),
            field("item", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE))),
        field("big", ArrowType.LargeList.INSTANCE,
            field("item", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)))));
    int n = 300;
    Path file = writeArrow("mixed.arrow", schema, n, (root, r) -> {
      ((UInt1Vector) root.getVector("u8")).setSafe(r, 200 + r % 56);
      ((UInt4Vector) root.getVector("u32")).setSafe(r, -1 - r); // 4294967295 - r unsigned
      ((LargeVarCharVector) root.getVector("name")).setSafe(r,
          ("n" + r).getBytes(StandardCharsets.UTF_8));
      FixedSizeListVector px = (FixedSizeListVector) root.getVector("pixels");
      int start = px.startNewValue(r);
      Float4Vector pd = (Float4Vector) px.getDataVector();
      for (int j = 0; j < 3; j++) {
        pd.setSafe(start + j, r + j / 10f);
      }
      LargeListVector big = (LargeListVector) root.getVector("big");
      long bs = big.startNewValue(r);
      Float8Vector bd = (Float8Vector) big.getDataVector();
      for (int j = 0; j < r % 3; j++) {
        bd.setSafe((int) bs + j, -r - j);
      }
      big.endValue(r, r % 3);
    }, true);
    StructType spark = ArrowIpc.readSchema(file);
    assertEquals(DataTypes.ShortType, spark.apply("u8").dataType());
    assertEquals(DataTypes.LongType, spark.apply("u32").dataType());
    assertEquals(DataTypes.StringType, spark.apply("name").dataType());
    assertEquals(DataTypes.createArrayType(DataTypes.FloatType, true),
        spark.apply("pixels").dataType());
    assertEquals(DataTypes.createArrayType(DataTypes.DoubleType, true),
        spark.apply("big").dataType());
    List<Row> rows = ArrowIpc.read(TestSpark.get(), file).orderBy("name").collectAsList();
    assertEquals(n, rows.size());
    Row r7 = rows.stream().filter(r -> r.getString(2).equals("n7")).findFirst().orElseThrow();
    assertEquals((short) 207, r7.get(0));
    assertEquals(4294967295L - 7, r7.get(1));
    assertEquals(List.of(7f, 7.1f, 7.2f), r7.getList(3));
    assertEquals(List.of(-7.0), r7.getList(4));
  }

  @Test
  void notAnArrowFile() throws IOException {
    Path file = Files.writeString(dir.resolve("data.arrow"), "this is not arrow, just text!!");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ArrowIpc.readSchema(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not an Arrow IPC file"), e.getMessage());
  }

  @Test
  void missingFile() {
    Path file = dir.resolve("nope.arrow");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ArrowIpc.read(TestSpark.get(), file));
    assertTrue(e.getMessage().contains(file + ": no such file"), e.getMessage());
  }

  @Test
  void rejectsBadBatchSize() {
    Dataset<Row> df = TestSpark.get().createDataFrame(List.of(), ALL_TYPES);
    assertThrows(IllegalArgumentException.class, () -> ArrowIpc.write(df, dir.resolve("a"), 0));
  }
}
