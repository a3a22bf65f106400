package io.sparkint8.local;

import io.sparkint8.nn.spec.Shape;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format, optionally gzipped): unsigned-byte images scaled to
 * [0, 1] and normalised with the given mean and standard deviation, and unsigned-byte labels.
 */
public final class IdxReader {
  /** Where Debian's dataset-fashion-mnist package installs the files. */
  public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
  /** Fashion-MNIST's pixel mean and standard deviation (of x/255 over the training set). */
  public static final float FASHION_MEAN = 0.2860f;
  public static final float FASHION_STD = 0.3530f;

  private IdxReader() {}

  /** The training or test split of Fashion-MNIST from {@code dir}. */
  public static Dataset fashionMnist(Path dir, boolean train) throws IOException {
    String prefix = train ? "train" : "t10k";
    return read(find(dir, prefix + "-images-idx3-ubyte"), find(dir, prefix + "-labels-idx1-ubyte"),
        10, FASHION_MEAN, FASHION_STD);
  }

  private static Path find(Path dir, String name) throws IOException {
    for (String candidate : new String[] {name + ".gz", name}) {
      Path p = dir.resolve(candidate);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IOException("no " + name + "[.gz] in " + dir
        + " (install the Debian package dataset-fashion-mnist)");
  }

  public static Dataset read(Path images, Path labels, int numClasses, float mean, float std)
      throws IOException {
    int[] lb;
    try (DataInputStream in = open(labels)) {
      int magic = in.readInt();
      if (magic != 0x801) {
        throw new IOException(labels + ": magic 0x" + Integer.toHexString(magic)
            + ", expected 0x801 (IDX unsigned-byte vector)");
      }
      lb = new int[in.readInt()];
      for (int i = 0; i < lb.length; i++) {
        lb[i] = in.readUnsignedByte();
      }
    }
    try (DataInputStream in = open(images)) {
      int magic = in.readInt();
      if (magic != 0x803) {
        throw new IOException(images + ": magic 0x" + Integer.toHexString(magic)
            + ", expected 0x803 (IDX unsigned-byte 3-d array)");
      }
      int n = in.readInt();
      int h = in.readInt();
      int w = in.readInt();
      if (n != lb.length) {
        throw new IOException(images + " holds " + n + " images but " + labels + " " + lb.length
            + " labels");
      }
      byte[] raw = in.readNBytes(n * h * w);
      if (raw.length != n * h * w) {
        throw new IOException(images + " is truncated");
      }
      float[] px = new float[raw.length];
      for (int i = 0; i < raw.length; i++) {
        px[i] = ((raw[i] & 0xff) / 255f - mean) / std;
      }
      return new Dataset(px, lb, Shape.chw(1, h, w), numClasses);
    }
  }

  private static DataInputStream open(Path p) throws IOException {
    InputStream raw = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
    return new DataInputStream(p.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16)
        : raw);
  }
}
