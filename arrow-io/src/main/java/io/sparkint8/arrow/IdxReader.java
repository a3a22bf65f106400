package io.sparkint8.arrow;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: a big-endian header (magic number, one
 * 32-bit size per dimension) followed by the data. Only unsigned-byte files are read: images
 * (magic {@code 0x00000803}, count x rows x cols) and labels (magic {@code 0x00000801}, count).
 * Files may be raw or gzip-compressed; gzip is recognised by its magic bytes {@code 1f 8b}, not by
 * the file name. The header is checked against the data: a missing, truncated, oversized or
 * corrupt file is an {@link IllegalArgumentException} whose message names the file and what is
 * wrong; other I/O failures are an {@link UncheckedIOException} naming the file.
 */
public final class IdxReader {
  /** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
  public static final int LABELS_MAGIC = 0x00000801;

  private static final long MAX_BYTES = Integer.MAX_VALUE - 8L;

  private IdxReader() {}

  /**
   * The images of one IDX file: {@code count} images of {@code rows x cols} unsigned-byte pixels,
   * image i at {@code pixels[i * rows * cols ..]}, row-major. The array is not copied.
   */
  public record Images(Path file, int count, int rows, int cols, byte[] pixels) {
    /** Pixels per image, {@code rows * cols}. */
    public int imageSize() {
      return rows * cols;
    }
  }

  /**
   * Images with their labels: {@code labels[i]} (0..255, as an unsigned byte) belongs to image i.
   * The arrays are not copied.
   */
  public record Labeled(Images images, byte[] labels) {
    public int count() {
      return images.count();
    }

    /** The label of image {@code i} as an int in 0..255. */
    public int label(int i) {
      return labels[i] & 0xff;
    }

    /** The first {@code n} images and labels (copies), for subsets. */
    public Labeled head(int n) {
      if (n < 0 || n > count()) {
        throw new IllegalArgumentException("head(" + n + "): expected 0.." + count() + " images");
      }
      int size = images.imageSize();
      byte[] px = Arrays.copyOf(images.pixels(), n * size);
      byte[] lb = Arrays.copyOf(labels, n);
      return new Labeled(new Images(images.file(), n, images.rows(), images.cols(), px), lb);
    }
  }

  /** The IDX images of {@code file} (raw or gzipped). */
  public static Images readImages(Path file) {
    try (InputStream in = open(file)) {
      int magic = readHeaderInt(in, file, 0, 16);
      if (magic != IMAGES_MAGIC) {
        throw badMagic(file, magic, IMAGES_MAGIC, "IDX images of unsigned bytes");
      }
      long n = Integer.toUnsignedLong(readHeaderInt(in, file, 4, 16));
      long rows = Integer.toUnsignedLong(readHeaderInt(in, file, 8, 16));
      long cols = Integer.toUnsignedLong(readHeaderInt(in, file, 12, 16));
      if (rows < 1 || cols < 1) {
        throw new IllegalArgumentException(file + ": header says images of " + rows + "x" + cols
            + " pixels, expected at least 1x1");
      }
      long bytes = n * rows * cols; // each factor < 2^32, so n * rows * cols may overflow:
      if (n > MAX_BYTES || rows * cols > MAX_BYTES || bytes > MAX_BYTES || bytes < 0) {
        throw new IllegalArgumentException(file + ": header says " + n + " images of " + rows
            + "x" + cols + " pixels, more than one Java array holds (" + MAX_BYTES + " bytes)");
      }
      String what = n + " images of " + rows + "x" + cols + " = " + bytes + " bytes";
      byte[] px = readBody(in, file, (int) bytes, what);
      return new Images(file, (int) n, (int) rows, (int) cols, px);
    } catch (IOException e) {
      throw ioFailure(file, e);
    }
  }

  /** The IDX labels of {@code file} (raw or gzipped), one unsigned byte each. */
  public static byte[] readLabels(Path file) {
    try (InputStream in = open(file)) {
      int magic = readHeaderInt(in, file, 0, 8);
      if (magic != LABELS_MAGIC) {
        throw badMagic(file, magic, LABELS_MAGIC, "IDX labels of unsigned bytes");
      }
      long n = Integer.toUnsignedLong(readHeaderInt(in, file, 4, 8));
      if (n > MAX_BYTES) {
        throw new IllegalArgumentException(file + ": header says " + n + " labels, more than one"
            + " Java array holds");
      }
      return readBody(in, file, (int) n, n + " labels = " + n + " bytes");
    } catch (IOException e) {
      throw ioFailure(file, e);
    }
  }

  /**
   * Images and their labels; the two files must hold the same number of items. Plain Java (no
   * Spark), for tests, benchmarks and single-JVM training.
   */
  public static Labeled read(Path images, Path labels) {
    Images im = readImages(images);
    byte[] lb = readLabels(labels);
    if (lb.length != im.count()) {
      throw new IllegalArgumentException(images + " holds " + im.count() + " images of "
          + im.rows() + "x" + im.cols() + " but " + labels + " holds " + lb.length
          + " labels; expected one label per image (files of different splits?)");
    }
    return new Labeled(im, lb);
  }

  /**
   * {@code images} and {@code labels} as a DataFrame of two columns: {@code label} (double, the
   * class index) and {@code features}, either {@code binary} (the image's rows x cols unsigned-byte
   * pixels, row-major, as {@link FeatureColumn} reads them) or, when {@code asVector}, a dense ML
   * vector of pixel / 255.0. Rows keep the files' order, in {@code spark}'s default parallelism
   * partitions.
   */
  public static Dataset<Row> toDataFrame(SparkSession spark, Path images, Path labels,
      boolean asVector) {
    return toDataFrame(spark, read(images, labels), asVector,
        spark.sparkContext().defaultParallelism());
  }

  /**
   * {@link #toDataFrame(SparkSession, Path, Path, boolean)} of data already read, in
   * {@code numPartitions} partitions. The driver reads the files and broadcasts the pixels and
   * labels (as two byte arrays, which Spark's Kryo setup registers); the tasks cut their rows out
   * of them, so no task carries the data set and vectors (8 bytes per pixel) are only ever built
   * on the executors.
   */
  public static Dataset<Row> toDataFrame(SparkSession spark, Labeled data, boolean asVector,
      int numPartitions) {
    if (numPartitions < 1) {
      throw new IllegalArgumentException("numPartitions " + numPartitions + ", expected >= 1");
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<byte[]> pixels = jsc.broadcast(data.images().pixels());
    Broadcast<byte[]> labels = jsc.broadcast(data.labels());
    int size = data.images().imageSize();
    JavaRDD<Row> rows = spark.range(0, data.count(), 1, numPartitions).javaRDD().map(i -> {
      int k = (int) (long) i;
      byte[] image = Arrays.copyOfRange(pixels.value(), k * size, (k + 1) * size);
      return RowFactory.create((double) (labels.value()[k] & 0xff),
          asVector ? pixelsToVector(image) : image);
    });
    StructType schema = new StructType()
        .add("label", DataTypes.DoubleType, false)
        .add("features", asVector ? SQLDataTypes.VectorType() : DataTypes.BinaryType, false);
    return spark.createDataFrame(rows, schema);
  }

  /** Unsigned-byte pixels as a dense vector of pixel / 255.0. */
  public static Vector pixelsToVector(byte[] pixels) {
    double[] v = new double[pixels.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = (pixels[i] & 0xff) / 255.0;
    }
    return Vectors.dense(v);
  }

  /** {@code file}, gunzipped when it starts with the gzip magic 1f 8b. */
  private static InputStream open(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": not a regular file");
    }
    BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    try {
      in.mark(2);
      int b0 = in.read();
      int b1 = in.read();
      in.reset();
      if (b0 == 0x1f && b1 == 0x8b) {
        return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
      }
      return in;
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  private static int readHeaderInt(InputStream in, Path file, int at, int headerBytes)
      throws IOException {
    byte[] b = in.readNBytes(4);
    if (b.length < 4) {
      throw new IllegalArgumentException(file + ": truncated header: " + (at + b.length)
          + " bytes, an IDX header of this kind has " + headerBytes);
    }
    return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
  }

  /** Exactly {@code bytes} bytes of data, then end of file. */
  private static byte[] readBody(InputStream in, Path file, int bytes, String what)
      throws IOException {
    // readNBytes grows its buffer as data arrives: a lying header cannot make it allocate 2 GB
    byte[] data = in.readNBytes(bytes);
    if (data.length < bytes) {
      throw new IllegalArgumentException(file + ": truncated: header says " + what
          + ", file has " + data.length);
    }
    long extra = in.transferTo(java.io.OutputStream.nullOutputStream());
    if (extra > 0) {
      throw new IllegalArgumentException(file + ": header says " + what + ", file has " + extra
          + " more bytes after them (not an IDX file of this kind, or a corrupt header)");
    }
    return data;
  }

  private static IllegalArgumentException badMagic(Path file, int magic, int expected,
      String kind) {
    int type = (magic >>> 8) & 0xff;
    int dims = magic & 0xff;
    String hint;
    if ((magic >>> 16) != 0) {
      hint = "; not an IDX file (an IDX file starts with two zero bytes)";
    } else if (magic == IMAGES_MAGIC) {
      hint = "; this is an IDX image file";
    } else if (magic == LABELS_MAGIC) {
      hint = "; this is an IDX label file";
    } else if (type != 0x08) {
      hint = "; IDX data of type 0x" + String.format(Locale.ROOT, "%02x", type)
          + ", not unsigned bytes (0x08)";
    } else {
      hint = "; IDX unsigned bytes in " + dims + " dimensions";
    }
    return new IllegalArgumentException(file + ": magic 0x" + hex(magic) + ", expected 0x"
        + hex(expected) + " (" + kind + ")" + hint);
  }

  private static String hex(int v) {
    return String.format(Locale.ROOT, "%08x", v);
  }

  private static RuntimeException ioFailure(Path file, IOException e) {
    if (e instanceof NoSuchFileException) {
      return new IllegalArgumentException(file + ": no such file", e);
    }
    if (e instanceof ZipException || e instanceof EOFException) {
      // GZIPInputStream: bad header, bad CRC or a stream cut short
      return new IllegalArgumentException(file + ": corrupt or truncated gzip data ("
          + e.getMessage() + ")", e);
    }
    return new UncheckedIOException(file + ": " + e.getMessage(), e);
  }
}
