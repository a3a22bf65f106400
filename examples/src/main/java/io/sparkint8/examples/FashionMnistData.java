package io.sparkint8.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds the Fashion-MNIST IDX files (raw or gzipped) in a folder. When they are missing from the
 * Debian package's folder and the program runs as root, it installs the package
 * {@code dataset-fashion-mnist}; otherwise it says exactly what to install.
 */
record FashionMnistData(Path dir, Path trainImages, Path trainLabels, Path testImages,
    Path testLabels) {
  static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
  static final String PACKAGE = "dataset-fashion-mnist";

  static FashionMnistData locate(Path dir) throws IOException {
    FashionMnistData d = find(dir);
    if (d != null) {
      return d;
    }
    if (dir.equals(DEFAULT_DIR) && isRoot()) {
      System.out.println("Fashion-MNIST is not in " + dir + "; installing the Debian package "
          + PACKAGE + " ...");
      run(List.of("apt-get", "update", "-q"));
      run(List.of("apt-get", "install", "-y", "-q", PACKAGE));
      d = find(dir);
      if (d != null) {
        return d;
      }
    }
    throw new IllegalStateException("Fashion-MNIST not found in " + dir + ": expected "
        + "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
        + "t10k-labels-idx1-ubyte (optionally .gz).\nInstall it with:  sudo apt-get install "
        + PACKAGE + "\nor pass --data DIR with those four files.");
  }

  private static FashionMnistData find(Path dir) {
    Path a = file(dir, "train-images-idx3-ubyte");
    Path b = file(dir, "train-labels-idx1-ubyte");
    Path c = file(dir, "t10k-images-idx3-ubyte");
    Path e = file(dir, "t10k-labels-idx1-ubyte");
    return a == null || b == null || c == null || e == null ? null
        : new FashionMnistData(dir, a, b, c, e);
  }

  private static Path file(Path dir, String name) {
    for (String candidate : new String[] {name, name + ".gz"}) {
      Path p = dir.resolve(candidate);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    return null;
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static void run(List<String> command) throws IOException {
    try {
      int rc = new ProcessBuilder(command).inheritIO().start().waitFor();
      if (rc != 0) {
        System.out.println(String.join(" ", command) + " exited with " + rc);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
  }
}
