package io.sparkint8.kernels.jni;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * Loads libint8k once per JVM. The library ships inside the jar under {@code native/<os>-<arch>/} and is
 * extracted into a private temporary directory; the system property {@value #PATH_PROPERTY} names a
 * library file to load instead. A failure is remembered with its reason, never retried, and reported by
 * {@link #failure()}.
 */
public final class NativeLibrary {
  /** System property: path of a libint8k.so to load instead of the bundled one. */
  public static final String PATH_PROPERTY = "int8.native.path";

  private static final Object LOCK = new Object();
  private static volatile boolean attempted;
  private static volatile String failure;
  private static volatile String loadedFrom;

  private NativeLibrary() {}

  /** The platform directory inside the jar, e.g. "linux-x86_64". */
  public static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String o = os.contains("linux") ? "linux" : os.contains("mac") ? "osx" : os.replace(' ', '_');
    String a = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch;
    return o + "-" + a;
  }

  /** Loads the library if not yet attempted; returns true when it is loaded. */
  public static boolean load() {
    if (!attempted) {
      synchronized (LOCK) {
        if (!attempted) {
          try {
            loadedFrom = doLoad();
          } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            failure = e.getClass().getSimpleName() + ": " + e.getMessage();
          } finally {
            attempted = true;
          }
        }
      }
    }
    return failure == null;
  }

  /** Why the library could not be loaded, or null if it loaded (or was not tried yet). */
  public static String failure() {
    return failure;
  }

  /** The file the library was loaded from. */
  public static String loadedFrom() {
    return loadedFrom;
  }

  private static String doLoad() throws IOException {
    String override = System.getProperty(PATH_PROPERTY);
    if (override != null && !override.isEmpty()) {
      Path p = Paths.get(override).toAbsolutePath();
      if (!Files.isRegularFile(p)) {
        throw new IOException(PATH_PROPERTY + "=" + override + " is not a file");
      }
      System.load(p.toString());
      return p.toString();
    }
    String resource = "/native/" + platform() + "/libint8k.so";
    try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException(
            "no native library for " + platform() + " in the jar (" + resource + "); it is built by"
                + " Maven when gcc is installed, or set -D" + PATH_PROPERTY + "=/path/libint8k.so");
      }
      Path dir =
          Files.createTempDirectory(
              "int8k-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Path lib = dir.resolve("libint8k.so");
      Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
      lib.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      System.load(lib.toString());
      return lib.toString();
    }
  }
}
