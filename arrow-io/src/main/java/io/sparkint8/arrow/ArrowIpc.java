package io.sparkint8.arrow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarBinaryVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.BaseListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.InvalidArrowFileException;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Arrow IPC files (the file format, also known as Feather v2, LZ4- or ZSTD-compressed or not) to
 * and from DataFrames, through Arrow Java as Spark ships it.
 *
 * <p>Types, Arrow to Spark: int8/16/32/64 to byte/short/int/long, uint8/16/32 widened to
 * short/int/long, float32/64 to float/double, bool to boolean, utf8 and large_utf8 to string,
 * binary and large_binary to binary, list, large_list and fixed_size_list of float32 or float64 to
 * {@code array<float>} or {@code array<double>}. Nullability is kept. Any other Arrow type (struct,
 * decimal, timestamp, dictionary-encoded, lists of other elements, ...) is an {@link
 * IllegalArgumentException} naming the file, the column and the type. Spark to Arrow writes the
 * same types the other way (byte/short/int/long to signed ints) plus ML vectors (dense or sparse)
 * as {@code list<float64>}, so a vector column reads back as {@code array<double>}.
 *
 * <p>Every allocator, vector and channel is closed before a method returns, also on failure; an
 * allocator closed with memory outstanding throws, so a leak cannot pass unnoticed.
 */
public final class ArrowIpc {
  /** Rows per record batch that {@link #write(Dataset, Path)} writes. */
  public static final int DEFAULT_BATCH_ROWS = 65_536;

  private static final String SUPPORTED = "supported: int8/16/32/64, uint8/16/32, float32/64, "
      + "bool, utf8, large_utf8, binary, large_binary, and list/large_list/fixed_size_list of "
      + "float32 or float64";

  private ArrowIpc() {}

  // ---------------------------------------------------------------- reading

  /**
   * The Spark schema of Arrow IPC file {@code file}, read from its footer; an unsupported column
   * type is an IllegalArgumentException naming the file, the column and the type.
   */
  public static StructType readSchema(Path file) {
    try (RootAllocator allocator = new RootAllocator();
        FileChannel channel = openForRead(file);
        ArrowFileReader reader = new ArrowFileReader(channel, allocator,
            CommonsCompressionFactory.INSTANCE)) {
      return toSparkSchema(readArrowSchema(reader, file), file);
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Arrow IPC file {@code file} as a DataFrame. The driver reads the footer (schema and record
   * batch positions) and checks every column type; the record batches are then read by the tasks,
   * several batches per partition, at most {@code defaultParallelism} partitions (one per batch
   * when there are fewer batches). The tasks open {@code file} by its absolute path, so it must be
   * readable at that path wherever the tasks run: local mode, or a filesystem shared by all nodes.
   * A partition's rows are materialized on its executor before Spark converts them.
   */
  public static Dataset<Row> read(SparkSession spark, Path file) {
    Path abs = file.toAbsolutePath();
    StructType schema;
    int batches;
    try (RootAllocator allocator = new RootAllocator();
        FileChannel channel = openForRead(abs);
        ArrowFileReader reader = new ArrowFileReader(channel, allocator,
            CommonsCompressionFactory.INSTANCE)) {
      schema = toSparkSchema(readArrowSchema(reader, abs), abs);
      batches = reader.getRecordBlocks().size();
    } catch (IOException e) {
      throw new UncheckedIOException(abs + ": " + e.getMessage(), e);
    }
    if (batches == 0) {
      return spark.createDataFrame(Collections.<Row>emptyList(), schema);
    }
    List<Integer> indices = new ArrayList<>(batches);
    for (int i = 0; i < batches; i++) {
      indices.add(i);
    }
    int slices = Math.max(1, Math.min(batches, spark.sparkContext().defaultParallelism()));
    JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(indices, slices)
        .mapPartitions(new BatchReader(abs.toString()));
    return spark.createDataFrame(rows, schema);
  }

  /**
   * Every row of Arrow IPC file {@code file}, read in this JVM (no Spark job), as rows of the
   * values {@link #read} gives: boxed numbers, String, byte[], and float[] or double[] for lists
   * (Float[] or Double[] when a list holds nulls).
   */
  public static List<Row> readRows(Path file) {
    try (RootAllocator allocator = new RootAllocator();
        FileChannel channel = openForRead(file);
        ArrowFileReader reader = new ArrowFileReader(channel, allocator,
            CommonsCompressionFactory.INSTANCE)) {
      Schema arrow = readArrowSchema(reader, file);
      toSparkSchema(arrow, file);
      List<Row> out = new ArrayList<>();
      for (ArrowBlock block : reader.getRecordBlocks()) {
        reader.loadRecordBatch(block);
        appendRows(reader.getVectorSchemaRoot(), out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }

  /** The Spark schema of an Arrow schema; {@code file} only names the source in errors. */
  public static StructType toSparkSchema(Schema arrow, Path file) {
    StructType out = new StructType();
    for (Field f : arrow.getFields()) {
      out = out.add(f.getName(), sparkType(f, file), f.isNullable());
    }
    return out;
  }

  private static DataType sparkType(Field f, Path file) {
    if (f.getDictionary() != null) {
      throw unsupported(file, f, "dictionary-encoded " + describe(f));
    }
    ArrowType t = f.getType();
    if (t instanceof ArrowType.Int i) {
      if (i.getIsSigned()) {
        switch (i.getBitWidth()) {
          case 8: return DataTypes.ByteType;
          case 16: return DataTypes.ShortType;
          case 32: return DataTypes.IntegerType;
          case 64: return DataTypes.LongType;
          default: break;
        }
      } else {
        switch (i.getBitWidth()) {
          case 8: return DataTypes.ShortType;
          case 16: return DataTypes.IntegerType;
          case 32: return DataTypes.LongType;
          default: break; // uint64 does not fit a long
        }
      }
    } else if (t instanceof ArrowType.FloatingPoint fp) {
      if (fp.getPrecision() == FloatingPointPrecision.SINGLE) {
        return DataTypes.FloatType;
      }
      if (fp.getPrecision() == FloatingPointPrecision.DOUBLE) {
        return DataTypes.DoubleType;
      }
    } else if (t instanceof ArrowType.Bool) {
      return DataTypes.BooleanType;
    } else if (t instanceof ArrowType.Utf8 || t instanceof ArrowType.LargeUtf8) {
      return DataTypes.StringType;
    } else if (t instanceof ArrowType.Binary || t instanceof ArrowType.LargeBinary) {
      return DataTypes.BinaryType;
    } else if (t instanceof ArrowType.List || t instanceof ArrowType.LargeList
        || t instanceof ArrowType.FixedSizeList) {
      Field item = f.getChildren().get(0);
      if (item.getDictionary() == null && item.getType() instanceof ArrowType.FloatingPoint ifp) {
        if (ifp.getPrecision() == FloatingPointPrecision.SINGLE) {
          return DataTypes.createArrayType(DataTypes.FloatType, item.isNullable());
        }
        if (ifp.getPrecision() == FloatingPointPrecision.DOUBLE) {
          return DataTypes.createArrayType(DataTypes.DoubleType, item.isNullable());
        }
      }
    }
    throw unsupported(file, f, describe(f));
  }

  private static IllegalArgumentException unsupported(Path file, Field f, String type) {
    return new IllegalArgumentException(file + ": column '" + f.getName() + "' has Arrow type "
        + type + ", which is not supported; " + SUPPORTED);
  }

  private static String describe(Field f) {
    if (f.getChildren().isEmpty()) {
      return f.getType().toString();
    }
    StringBuilder sb = new StringBuilder(f.getType().toString()).append('<');
    for (int i = 0; i < f.getChildren().size(); i++) {
      Field c = f.getChildren().get(i);
      sb.append(i == 0 ? "" : ", ").append(c.getName()).append(": ").append(describe(c));
    }
    return sb.append('>').toString();
  }

  private static FileChannel openForRead(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": not a regular file");
    }
    return FileChannel.open(file, StandardOpenOption.READ);
  }

  private static Schema readArrowSchema(ArrowFileReader reader, Path file) throws IOException {
    try {
      return reader.getVectorSchemaRoot().getSchema();
    } catch (InvalidArrowFileException e) {
      throw new IllegalArgumentException(file + ": not an Arrow IPC file (" + e.getMessage()
          + "); only the IPC file format (Feather v2) is read, not the IPC stream format or"
          + " Feather v1", e);
    }
  }

  /** Reads the record batches of a partition's indices, in a task. */
  private static final class BatchReader implements FlatMapFunction<Iterator<Integer>, Row> {
    private static final long serialVersionUID = 1L;
    private final String file;

    BatchReader(String file) {
      this.file = file;
    }

    @Override
    public Iterator<Row> call(Iterator<Integer> indices) throws IOException {
      Path path = Path.of(file);
      List<Row> out = new ArrayList<>();
      try (RootAllocator allocator = new RootAllocator();
          FileChannel channel = openForRead(path);
          ArrowFileReader reader = new ArrowFileReader(channel, allocator,
              CommonsCompressionFactory.INSTANCE)) {
        List<ArrowBlock> blocks = reader.getRecordBlocks();
        while (indices.hasNext()) {
          reader.loadRecordBatch(blocks.get(indices.next()));
          appendRows(reader.getVectorSchemaRoot(), out);
        }
      }
      return out.iterator();
    }
  }

  private static void appendRows(VectorSchemaRoot root, List<Row> out) {
    List<FieldVector> vectors = root.getFieldVectors();
    int columns = vectors.size();
    int n = root.getRowCount();
    for (int r = 0; r < n; r++) {
      Object[] values = new Object[columns];
      for (int c = 0; c < columns; c++) {
        values[c] = value(vectors.get(c), r);
      }
      out.add(RowFactory.create(values));
    }
  }

  /** Row {@code i} of {@code v} as the Java value Spark expects for the mapped type. */
  private static Object value(FieldVector v, int i) {
    if (v.isNull(i)) {
      return null;
    }
    if (v instanceof TinyIntVector x) {
      return x.get(i);
    } else if (v instanceof SmallIntVector x) {
      return x.get(i);
    } else if (v instanceof IntVector x) {
      return x.get(i);
    } else if (v instanceof BigIntVector x) {
      return x.get(i);
    } else if (v instanceof UInt1Vector x) {
      return (short) (x.get(i) & 0xff);
    } else if (v instanceof UInt2Vector x) {
      return (int) x.get(i);
    } else if (v instanceof UInt4Vector x) {
      return x.get(i) & 0xffff_ffffL;
    } else if (v instanceof Float4Vector x) {
      return x.get(i);
    } else if (v instanceof Float8Vector x) {
      return x.get(i);
    } else if (v instanceof BitVector x) {
      return x.get(i) != 0;
    } else if (v instanceof VarCharVector x) {
      return new String(x.get(i), StandardCharsets.UTF_8);
    } else if (v instanceof LargeVarCharVector x) {
      return new String(x.get(i), StandardCharsets.UTF_8);
    } else if (v instanceof VarBinaryVector x) {
      return x.get(i);
    } else if (v instanceof LargeVarBinaryVector x) {
      return x.get(i);
    } else if (v instanceof LargeListVector x) {
      return list(x.getDataVector(), x.getElementStartIndex(i), x.getElementEndIndex(i));
    } else if (v instanceof BaseListVector x) { // list and fixed_size_list
      return list(v.getChildrenFromFields().get(0), x.getElementStartIndex(i),
          x.getElementEndIndex(i));
    }
    // toSparkSchema rejected every other type before any vector was read
    throw new IllegalStateException("unexpected vector " + v.getClass().getName());
  }

  private static Object list(Object data, long start, long end) {
    int n = Math.toIntExact(end - start);
    if (data instanceof Float4Vector d) {
      if (d.getNullCount() == 0) {
        float[] a = new float[n];
        for (int j = 0; j < n; j++) {
          a[j] = d.get((int) start + j);
        }
        return a;
      }
      Float[] a = new Float[n];
      for (int j = 0; j < n; j++) {
        a[j] = d.isNull((int) start + j) ? null : d.get((int) start + j);
      }
      return a;
    }
    Float8Vector d = (Float8Vector) data;
    if (d.getNullCount() == 0) {
      double[] a = new double[n];
      for (int j = 0; j < n; j++) {
        a[j] = d.get((int) start + j);
      }
      return a;
    }
    Double[] a = new Double[n];
    for (int j = 0; j < n; j++) {
      a[j] = d.isNull((int) start + j) ? null : d.get((int) start + j);
    }
    return a;
  }

  // ---------------------------------------------------------------- writing

  /** {@link #write(Dataset, Path, int)} with {@link #DEFAULT_BATCH_ROWS} rows per batch. */
  public static void write(Dataset<Row> df, Path file) {
    write(df, file, DEFAULT_BATCH_ROWS);
  }

  /**
   * Writes {@code df} to Arrow IPC file {@code file} (uncompressed), in record batches of at most
   * {@code batchRows} rows. <b>Every row passes through the driver</b>: partitions are fetched one
   * at a time ({@code toLocalIterator}) and written by this JVM, so the driver holds one partition
   * and one batch at a time; meant for predictions and other small tables, not for exporting a
   * lake. The file is written under a temporary name and moved into place, so a failure leaves no
   * partial file. Column types are checked before any job runs.
   */
  public static void write(Dataset<Row> df, Path file, int batchRows) {
    if (batchRows < 1) {
      throw new IllegalArgumentException("batchRows " + batchRows + ", expected >= 1");
    }
    StructType sparkSchema = df.schema();
    Schema schema = toArrowSchema(sparkSchema);
    Path abs = file.toAbsolutePath();
    Path parent = abs.getParent();
    Path tmp = parent.resolve("." + abs.getFileName() + "." + UUID.randomUUID() + ".tmp");
    boolean done = false;
    try {
      try (RootAllocator allocator = new RootAllocator();
          VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
          FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE);
          ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
        writer.start();
        Iterator<Row> rows = df.toLocalIterator();
        int columns = sparkSchema.fields().length;
        boolean[] vector = new boolean[columns];
        for (int c = 0; c < columns; c++) {
          vector[c] = sparkSchema.fields()[c].dataType().equals(SQLDataTypes.VectorType());
        }
        List<FieldVector> vectors = root.getFieldVectors();
        int n = 0;
        root.allocateNew();
        while (rows.hasNext()) {
          Row row = rows.next();
          for (int c = 0; c < columns; c++) {
            set(vectors.get(c), n, row.isNullAt(c) ? null : row.get(c), vector[c],
                sparkSchema.fields()[c]);
          }
          if (++n == batchRows) {
            root.setRowCount(n);
            writer.writeBatch();
            root.clear();
            root.allocateNew();
            n = 0;
          }
        }
        if (n > 0) {
          root.setRowCount(n);
          writer.writeBatch();
        }
        writer.end();
      }
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      done = true;
    } catch (IOException e) {
      throw new UncheckedIOException(abs + ": " + e.getMessage(), e);
    } finally {
      if (!done) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the original failure matters more
        }
      }
    }
  }

  /**
   * The Arrow schema {@link #write} writes for {@code schema}; an unsupported column type is an
   * IllegalArgumentException naming the column and the type.
   */
  public static Schema toArrowSchema(StructType schema) {
    List<Field> fields = new ArrayList<>();
    for (StructField f : schema.fields()) {
      fields.add(arrowField(f));
    }
    return new Schema(fields);
  }

  private static Field arrowField(StructField f) {
    DataType t = f.dataType();
    boolean nullable = f.nullable();
    if (t.equals(SQLDataTypes.VectorType())) {
      return listField(f.name(), nullable, FloatingPointPrecision.DOUBLE, false);
    }
    if (t instanceof ArrayType a) {
      if (a.elementType().equals(DataTypes.FloatType)) {
        return listField(f.name(), nullable, FloatingPointPrecision.SINGLE, a.containsNull());
      }
      if (a.elementType().equals(DataTypes.DoubleType)) {
        return listField(f.name(), nullable, FloatingPointPrecision.DOUBLE, a.containsNull());
      }
    }
    ArrowType at = null;
    if (t.equals(DataTypes.ByteType)) {
      at = new ArrowType.Int(8, true);
    } else if (t.equals(DataTypes.ShortType)) {
      at = new ArrowType.Int(16, true);
    } else if (t.equals(DataTypes.IntegerType)) {
      at = new ArrowType.Int(32, true);
    } else if (t.equals(DataTypes.LongType)) {
      at = new ArrowType.Int(64, true);
    } else if (t.equals(DataTypes.FloatType)) {
      at = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
    } else if (t.equals(DataTypes.DoubleType)) {
      at = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
    } else if (t.equals(DataTypes.BooleanType)) {
      at = ArrowType.Bool.INSTANCE;
    } else if (t.equals(DataTypes.StringType)) {
      at = ArrowType.Utf8.INSTANCE;
    } else if (t.equals(DataTypes.BinaryType)) {
      at = ArrowType.Binary.INSTANCE;
    }
    if (at == null) {
      throw new IllegalArgumentException("column '" + f.name() + "' has type " + t.simpleString()
          + ", which cannot be written to Arrow IPC; supported: byte, short, int, long, float, "
          + "double, boolean, string, binary, array<float>, array<double>, vector");
    }
    return new Field(f.name(), new FieldType(nullable, at, null), null);
  }

  private static Field listField(String name, boolean nullable, FloatingPointPrecision p,
      boolean itemNullable) {
    Field item = new Field("item",
        new FieldType(itemNullable, new ArrowType.FloatingPoint(p), null), null);
    return new Field(name, new FieldType(nullable, ArrowType.List.INSTANCE, null), List.of(item));
  }

  private static void set(FieldVector v, int i, Object value, boolean mlVector, StructField f) {
    if (value == null) {
      if (v instanceof ListVector l) {
        l.setNull(i);
      } else {
        setNull(v, i);
      }
      return;
    }
    if (v instanceof TinyIntVector x) {
      x.setSafe(i, (Byte) value);
    } else if (v instanceof SmallIntVector x) {
      x.setSafe(i, (Short) value);
    } else if (v instanceof IntVector x) {
      x.setSafe(i, (Integer) value);
    } else if (v instanceof BigIntVector x) {
      x.setSafe(i, (Long) value);
    } else if (v instanceof Float4Vector x) {
      x.setSafe(i, (Float) value);
    } else if (v instanceof Float8Vector x) {
      x.setSafe(i, (Double) value);
    } else if (v instanceof BitVector x) {
      x.setSafe(i, ((Boolean) value) ? 1 : 0);
    } else if (v instanceof VarCharVector x) {
      x.setSafe(i, ((String) value).getBytes(StandardCharsets.UTF_8));
    } else if (v instanceof VarBinaryVector x) {
      x.setSafe(i, (byte[]) value);
    } else if (v instanceof ListVector l) {
      setList(l, i, value, mlVector, f);
    } else {
      throw new IllegalStateException("unexpected vector " + v.getClass().getName());
    }
  }

  private static void setNull(FieldVector v, int i) {
    if (v instanceof org.apache.arrow.vector.BaseFixedWidthVector x) {
      x.setNull(i);
    } else if (v instanceof org.apache.arrow.vector.BaseVariableWidthVector x) {
      x.setNull(i);
    } else {
      throw new IllegalStateException("unexpected vector " + v.getClass().getName());
    }
  }

  private static void setList(ListVector l, int i, Object value, boolean mlVector, StructField f) {
    int start = l.startNewValue(i);
    FieldVector data = l.getDataVector();
    if (mlVector) {
      double[] d = ((Vector) value).toArray(); // sparse vectors densified
      Float8Vector x = (Float8Vector) data;
      for (int j = 0; j < d.length; j++) {
        x.setSafe(start + j, d[j]);
      }
      l.endValue(i, d.length);
      return;
    }
    Object a = ArrayValues.indexable(value);
    if (a == null) {
      throw new IllegalArgumentException("column '" + f.name() + "': value of class "
          + value.getClass().getName() + ", expected an array");
    }
    int n = ArrayValues.size(a);
    if (data instanceof Float4Vector x) {
      for (int j = 0; j < n; j++) {
        Object e = ArrayValues.get(a, j);
        if (e == null) {
          x.setNull(start + j);
        } else {
          x.setSafe(start + j, ((Number) e).floatValue());
        }
      }
    } else {
      Float8Vector x = (Float8Vector) data;
      for (int j = 0; j < n; j++) {
        Object e = ArrayValues.get(a, j);
        if (e == null) {
          x.setNull(start + j);
        } else {
          x.setSafe(start + j, ((Number) e).doubleValue());
        }
      }
    }
    l.endValue(i, n);
  }
}
