package io.sparkint8.arrow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The four Fashion-MNIST IDX files (raw or gzipped) in a folder, provisioned when they are
 * missing: the one place the main job, the benchmarks and every test that reads Fashion-MNIST
 * learn where it is and get it.
 *
 * <p>The folder is {@link #configuredDir()}: the system property {@value #DIR_PROPERTY}, else the
 * environment variable {@value #DIR_ENV}, else {@link #DEBIAN_DIR}, where Debian's package
 * {@value #PACKAGE} installs the files. When they are missing, {@link #locate} gets them from that
 * package: into the Debian folder by installing it ({@code apt-get install}, as root), into any
 * other folder by downloading the package file ({@code apt-get download}, no root needed once
 * the package lists are there) and unpacking its four files ({@code dpkg-deb -x}). If neither
 * works it fails with what to install; nothing skips for lack of data.
 */
public record FashionMnistFiles(Path dir, Path trainImages, Path trainLabels, Path testImages,
    Path testLabels) {
  /** Where Debian's package installs the files. */
  public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
  /** The Debian package that holds them. */
  public static final String PACKAGE = "dataset-fashion-mnist";
  /** System property naming the folder to use (and fill when it lacks the files). */
  public static final String DIR_PROPERTY = "sparkint8.fashionMnist.dir";
  /** Environment variable naming the folder, when the system property is not set. */
  public static final String DIR_ENV = "SPARK_INT8_FASHION_MNIST_DIR";

  private static final List<String> NAMES = List.of("train-images-idx3-ubyte",
      "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

  /** The folder the property or environment variable names, else {@link #DEBIAN_DIR}. */
  public static Path configuredDir() {
    String dir = System.getProperty(DIR_PROPERTY);
    if (dir == null || dir.isBlank()) {
      dir = System.getenv(DIR_ENV);
    }
    return dir == null || dir.isBlank() ? DEBIAN_DIR : Path.of(dir).toAbsolutePath();
  }

  /** The files of {@link #configuredDir()}, provisioned if missing. */
  public static FashionMnistFiles provision() {
    try {
      return locate(configuredDir());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The four files in {@code dir}; when some are missing, provisions them from the Debian
   * package as the class comment says, then looks again.
   *
   * @throws IllegalStateException when they are still missing, saying what to install
   */
  public static FashionMnistFiles locate(Path dir) throws IOException {
    FashionMnistFiles found = find(dir);
    if (found != null) {
      return found;
    }
    if (dir.equals(DEBIAN_DIR)) {
      if (isRoot()) {
        log("Fashion-MNIST is not in " + dir + "; installing the Debian package " + PACKAGE);
        run(List.of("apt-get", "update", "-q"), null);
        run(List.of("apt-get", "install", "-y", "-q", PACKAGE), null);
      }
    } else {
      fetchInto(dir);
    }
    found = find(dir);
    if (found != null) {
      return found;
    }
    throw new IllegalStateException("Fashion-MNIST not found in " + dir + ": expected "
        + String.join(", ", NAMES) + " (optionally .gz).\nInstall it with:  sudo apt-get install "
        + PACKAGE + "\nor name a folder to fill from the package with -D" + DIR_PROPERTY
        + "=DIR or " + DIR_ENV + "=DIR, or pass the program --data DIR with those four files.");
  }

  /** The files in {@code dir}, or null when one is missing. */
  static FashionMnistFiles find(Path dir) {
    Path[] p = new Path[NAMES.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = file(dir, NAMES.get(i));
      if (p[i] == null) {
        return null;
      }
    }
    return new FashionMnistFiles(dir, p[0], p[1], p[2], p[3]);
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

  /**
   * Downloads the package file and unpacks it in a scratch folder beside {@code dir}, then moves
   * the IDX files in, each with an atomic rename, so a reader never sees half a file.
   */
  private static void fetchInto(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path scratch = Files.createTempDirectory(dir, ".fetch-");
    try {
      log("Fashion-MNIST is not in " + dir + "; downloading the Debian package " + PACKAGE
          + " and unpacking its IDX files there");
      if (!run(download(), scratch) && isRoot()) {
        run(List.of("apt-get", "update", "-q"), null);
        run(download(), scratch);
      }
      Path deb;
      try (Stream<Path> files = Files.list(scratch)) {
        deb = files.filter(f -> f.getFileName().toString().endsWith(".deb")).findFirst()
            .orElse(null);
      }
      if (deb == null) {
        return;
      }
      Path unpacked = scratch.resolve("unpacked");
      if (!run(List.of("dpkg-deb", "-x", deb.toString(), unpacked.toString()), null)) {
        return;
      }
      Path from = unpacked.resolve(DEBIAN_DIR.toString().substring(1));
      for (String name : NAMES) {
        Path src = file(from, name);
        if (src != null) {
          Files.move(src, dir.resolve(src.getFileName()), StandardCopyOption.ATOMIC_MOVE,
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } finally {
      deleteTree(scratch);
    }
  }

  /**
   * apt-get download of the package into the working folder; as root, without apt's sandbox user,
   * who may not write the private scratch folder.
   */
  private static List<String> download() {
    List<String> command = new ArrayList<>(List.of("apt-get", "download", "-q"));
    if (isRoot()) {
      command.addAll(List.of("-o", "APT::Sandbox::User=root"));
    }
    command.add(PACKAGE);
    return command;
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** Runs {@code command} in {@code cwd} with its output on ours; whether it exited 0. */
  private static boolean run(List<String> command, Path cwd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).inheritIO();
    if (cwd != null) {
      pb.directory(cwd.toFile());
    }
    pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
    try {
      int rc = pb.start().waitFor();
      if (rc != 0) {
        log(String.join(" ", command) + " exited with " + rc);
      }
      return rc == 0;
    } catch (IOException e) {
      log(String.join(" ", command) + " could not run: " + e.getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void log(String message) {
    System.out.println("fashion-mnist: " + message);
  }
}
