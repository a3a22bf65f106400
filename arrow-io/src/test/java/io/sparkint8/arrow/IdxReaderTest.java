package io.sparkint8.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  private static final long SEED = 20240605L;

  @TempDir
  Path dir;

  static byte[] imagesIdx(int n, int rows, int cols, byte[] pixels) {
    ByteBuffer b = ByteBuffer.allocate(16 + pixels.length);
    b.putInt(IdxReader.IMAGES_MAGIC).putInt(n).putInt(rows).putInt(cols).put(pixels);
    return b.array();
  }

  static byte[] labelsIdx(byte[] labels) {
    ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
    b.putInt(IdxReader.LABELS_MAGIC).putInt(labels.length).put(labels);
    return b.array();
  }

  static byte[] gzip(byte[] raw) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(raw);
    }
    return out.toByteArray();
  }

  private static byte[] randomBytes(int n, int bound) {
    Random r = new Random(SEED);
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) r.nextInt(bound);
    }
    return b;
  }

  private Path write(String name, byte[] bytes) throws IOException {
    return Files.write(dir.resolve(name), bytes);
  }

  @Test
  void readsRawFiles() throws IOException {
    byte[] px = randomBytes(5 * 3 * 4, 256);
    byte[] lb = randomBytes(5, 10);
    Path im = write("images-idx3-ubyte", imagesIdx(5, 3, 4, px));
    Path la = write("labels-idx1-ubyte", labelsIdx(lb));
    IdxReader.Labeled d = IdxReader.read(im, la);
    assertEquals(5, d.count());
    assertEquals(3, d.images().rows());
    assertEquals(4, d.images().cols());
    assertEquals(12, d.images().imageSize());
    assertArrayEquals(px, d.images().pixels());
    assertArrayEquals(lb, d.labels());
    assertEquals(lb[2] & 0xff, d.label(2));
  }

  @Test
  void readsGzippedFilesByMagicNotByName() throws IOException {
    byte[] px = randomBytes(7 * 2 * 2, 256);
    px[0] = (byte) 0xff; // an unsigned byte above 127 survives
    byte[] lb = randomBytes(7, 10);
    // gzipped without .gz, raw with .gz: the magic 1f 8b decides
    Path im = write("images-idx3-ubyte", gzip(imagesIdx(7, 2, 2, px)));
    Path la = write("labels-idx1-ubyte.gz", labelsIdx(lb));
    IdxReader.Labeled d = IdxReader.read(im, la);
    assertArrayEquals(px, d.images().pixels());
    assertArrayEquals(lb, d.labels());
    assertEquals(255, d.images().pixels()[0] & 0xff);
  }

  @Test
  void emptyFilesOfZeroImagesAreFine() throws IOException {
    Path im = write("i", imagesIdx(0, 28, 28, new byte[0]));
    Path la = write("l", labelsIdx(new byte[0]));
    assertEquals(0, IdxReader.read(im, la).count());
  }

  @Test
  void missingFileNamesTheFile() {
    Path missing = dir.resolve("train-images-idx3-ubyte.gz");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("no such file"), e.getMessage());
  }

  @Test
  void wrongMagicNamesFileAndBothNumbers() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(16 + 4);
    b.putInt(0x00000802).putInt(1).putInt(2).putInt(2);
    Path im = write("train-images-idx3-ubyte.gz", gzip(b.array()));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(im));
    assertTrue(e.getMessage().startsWith(im.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("magic 0x00000802, expected 0x00000803 (IDX images of "
        + "unsigned bytes)"), e.getMessage());
  }

  @Test
  void labelFileGivenAsImagesSaysSo() throws IOException {
    Path la = write("labels", labelsIdx(new byte[] {1, 2}));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(la));
    assertTrue(e.getMessage().contains("this is an IDX label file"), e.getMessage());
    Path im = write("images", imagesIdx(1, 1, 1, new byte[] {1}));
    e = assertThrows(IllegalArgumentException.class, () -> IdxReader.readLabels(im));
    assertTrue(e.getMessage().contains("magic 0x00000803, expected 0x00000801"), e.getMessage());
  }

  @Test
  void notAnIdxFile() throws IOException {
    Path p = write("notes.txt", "hello, world: not IDX at all".getBytes("UTF-8"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(p));
    assertTrue(e.getMessage().contains("not an IDX file"), e.getMessage());
  }

  @Test
  void truncatedDataGivesHeaderAndFileSizes() throws IOException {
    byte[] full = imagesIdx(3, 4, 5, randomBytes(60, 256));
    Path im = write("images", Arrays.copyOf(full, 16 + 10));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(im));
    assertTrue(e.getMessage().startsWith(im.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(
        "truncated: header says 3 images of 4x5 = 60 bytes, file has 10"), e.getMessage());
  }

  @Test
  void truncatedLabels() throws IOException {
    byte[] full = labelsIdx(new byte[] {1, 2, 3, 4});
    Path la = write("labels", Arrays.copyOf(full, full.length - 1));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readLabels(la));
    assertTrue(e.getMessage().contains("truncated: header says 4 labels = 4 bytes, file has 3"),
        e.getMessage());
  }

  @Test
  void truncatedHeader() throws IOException {
    Path im = write("images", Arrays.copyOf(imagesIdx(1, 1, 1, new byte[1]), 10));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(im));
    assertTrue(e.getMessage().contains("truncated header"), e.getMessage());
    Path empty = write("empty", new byte[0]);
    e = assertThrows(IllegalArgumentException.class, () -> IdxReader.readLabels(empty));
    assertTrue(e.getMessage().contains(empty + ": truncated header: 0 bytes"), e.getMessage());
  }

  @Test
  void truncatedGzipStream() throws IOException {
    byte[] gz = gzip(imagesIdx(50, 8, 8, randomBytes(50 * 64, 256)));
    Path im = write("images.gz", Arrays.copyOf(gz, gz.length / 2));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(im));
    assertTrue(e.getMessage().startsWith(im.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("gzip"), e.getMessage());
  }

  @Test
  void corruptGzipStream() throws IOException {
    byte[] gz = gzip(imagesIdx(50, 8, 8, randomBytes(50 * 64, 256)));
    for (int i = 20; i < gz.length - 8; i += 7) {
      gz[i] ^= 0x5a;
    }
    Path im = write("images.gz", gz);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(im));
    assertTrue(e.getMessage().startsWith(im.toString()), e.getMessage());
  }

  @Test
  void trailingBytesAreAnError() throws IOException {
    byte[] full = imagesIdx(2, 2, 2, new byte[8]);
    Path im = write("images", Arrays.copyOf(full, full.length + 3));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(im));
    assertTrue(e.getMessage().contains("3 more bytes"), e.getMessage());
  }

  @Test
  void zeroSizedImagesAreAnError() throws IOException {
    Path im = write("images", imagesIdx(2, 0, 28, new byte[0]));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(im));
    assertTrue(e.getMessage().contains("0x28"), e.getMessage());
  }

  @Test
  void hugeHeaderIsRejectedWithoutAllocating() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(16);
    b.putInt(IdxReader.IMAGES_MAGIC).putInt(-1).putInt(60000).putInt(60000);
    Path im = write("images", b.array());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(im));
    assertTrue(e.getMessage().contains("4294967295 images"), e.getMessage());
  }

  @Test
  void countMismatchNamesBothFiles() throws IOException {
    Path im = write("images", imagesIdx(3, 2, 2, new byte[12]));
    Path la = write("labels", labelsIdx(new byte[4]));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdxReader.read(im, la));
    assertTrue(e.getMessage().contains(im + " holds 3 images of 2x2"), e.getMessage());
    assertTrue(e.getMessage().contains(la + " holds 4 labels"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> IdxReader.toDataFrame(TestSpark.get(), im, la, true));
  }

  @Test
  void headCopiesTheFirstImages() throws IOException {
    byte[] px = randomBytes(4 * 6, 256);
    Path im = write("i", imagesIdx(4, 2, 3, px));
    Path la = write("l", labelsIdx(new byte[] {3, 1, 4, 1}));
    IdxReader.Labeled h = IdxReader.read(im, la).head(2);
    assertEquals(2, h.count());
    assertArrayEquals(Arrays.copyOf(px, 12), h.images().pixels());
    assertArrayEquals(new byte[] {3, 1}, h.labels());
  }

  @Test
  void dataFrameOfBinaryPixels() throws IOException {
    byte[] px = randomBytes(6 * 9, 256);
    byte[] lb = randomBytes(6, 10);
    Path im = write("i.gz", gzip(imagesIdx(6, 3, 3, px)));
    Path la = write("l.gz", gzip(labelsIdx(lb)));
    Dataset<Row> df = IdxReader.toDataFrame(TestSpark.get(), im, la, false);
    assertEquals(DataTypes.DoubleType, df.schema().apply("label").dataType());
    assertEquals(DataTypes.BinaryType, df.schema().apply("features").dataType());
    List<Row> rows = df.collectAsList();
    assertEquals(6, rows.size());
    for (int i = 0; i < 6; i++) {
      assertEquals((double) lb[i], rows.get(i).getDouble(0));
      assertArrayEquals(Arrays.copyOfRange(px, i * 9, i * 9 + 9), (byte[]) rows.get(i).get(1));
    }
  }

  @Test
  void dataFrameOfVectors() throws IOException {
    byte[] px = randomBytes(5 * 4, 256);
    px[3] = (byte) 255;
    byte[] lb = randomBytes(5, 10);
    Path im = write("i", imagesIdx(5, 2, 2, px));
    Path la = write("l", labelsIdx(lb));
    Dataset<Row> df = IdxReader.toDataFrame(TestSpark.get(), im, la, true);
    assertEquals(SQLDataTypes.VectorType(), df.schema().apply("features").dataType());
    List<Row> rows = df.collectAsList();
    for (int i = 0; i < 5; i++) {
      Vector v = rows.get(i).getAs("features");
      assertEquals(4, v.size());
      for (int j = 0; j < 4; j++) {
        assertEquals((px[i * 4 + j] & 0xff) / 255.0, v.apply(j));
      }
      assertEquals((double) lb[i], rows.get(i).getDouble(0));
    }
    assertEquals(1.0, ((Vector) rows.get(0).getAs("features")).apply(3));
  }

  @Test
  void readsTheFashionMnistTestSplit() {
    FashionMnistFiles files = FashionMnistFiles.provision();
    IdxReader.Labeled data = IdxReader.read(files.testImages(), files.testLabels());
    assertEquals(10_000, data.count());
    assertEquals(28, data.images().rows());
    assertEquals(28, data.images().cols());
    int[] perClass = new int[10];
    for (int i = 0; i < data.count(); i++) {
      perClass[data.label(i)]++;
    }
    for (int c = 0; c < 10; c++) {
      assertEquals(1000, perClass[c], "class " + c);
    }
  }
}
