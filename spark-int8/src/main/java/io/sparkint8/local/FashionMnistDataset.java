package io.sparkint8.local;

import io.sparkint8.arrow.FashionMnistFiles;
import io.sparkint8.arrow.IdxReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fashion-MNIST for the local trainer, tests and benchmarks: where Debian's package {@code
 * dataset-fashion-mnist} installs the IDX files, the pixel statistics inputs are normalised with,
 * and a loader that reads a split with arrow-io's {@link IdxReader} into a {@link Dataset}, from a
 * given folder or from the one {@link FashionMnistFiles} provisions.
 */
public final class FashionMnistDataset {
  /** Where Debian's dataset-fashion-mnist package installs the files. */
  public static final Path DEFAULT_DIR = FashionMnistFiles.DEBIAN_DIR;
  /** Fashion-MNIST's pixel mean and standard deviation (of x/255 over the training set). */
  public static final float MEAN = 0.2860f;

  public static final float STD = 0.3530f;
  public static final int CLASSES = 10;

  private FashionMnistDataset() {}

  /**
   * The training or test split from the folder {@link FashionMnistFiles#provision()} names (the
   * {@code sparkint8.fashionMnist.dir} property, else the Debian package's folder), getting the
   * files first when they are missing.
   */
  public static Dataset load(boolean train) throws IOException {
    return load(FashionMnistFiles.provision().dir(), train);
  }

  /**
   * The training or test split from {@code dir} (files raw or gzipped), normalised with {@link
   * #MEAN} and {@link #STD}.
   *
   * @throws IOException when a file of the split is missing from {@code dir}
   */
  public static Dataset load(Path dir, boolean train) throws IOException {
    String prefix = train ? "train" : "t10k";
    IdxReader.Labeled data =
        IdxReader.read(
            find(dir, prefix + "-images-idx3-ubyte"), find(dir, prefix + "-labels-idx1-ubyte"));
    return Dataset.fromIdx(data, CLASSES, MEAN, STD);
  }

  private static Path find(Path dir, String name) throws IOException {
    for (String candidate : new String[] {name + ".gz", name}) {
      Path p = dir.resolve(candidate);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IOException(
        "no " + name + "[.gz] in " + dir + " (install the Debian package dataset-fashion-mnist)");
  }
}
