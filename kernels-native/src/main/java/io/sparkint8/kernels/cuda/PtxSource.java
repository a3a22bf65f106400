package io.sparkint8.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where the PTX text of a target comes from: the jar ({@code /cuda/int8k_sm_XX.ptx}, put there by the
 * Maven build when nvcc was present), or a directory named by the system property {@value #DIR_PROPERTY}
 * (PTX compiled on the GPU machine itself with src/main/cuda/build-ptx.sh, to iterate on kernels without
 * a JDK build).
 */
public interface PtxSource {
  /** System property: a directory holding int8k_sm_XX.ptx files to use instead of the jar's. */
  String DIR_PROPERTY = "int8.cuda.ptxDir";

  /** The PTX of {@code target}; throws CudaUnavailableException saying why there is none. */
  String load(PtxTarget target);

  /** Where PTX is read from, for messages. */
  String describe();

  /** The directory of {@value #DIR_PROPERTY} when set, else the jar's resources. */
  static PtxSource fromSystem() {
    String dir = System.getProperty(DIR_PROPERTY);
    return dir == null || dir.isBlank() ? classpath() : directory(Paths.get(dir));
  }

  static PtxSource classpath() {
    return new PtxSource() {
      @Override
      public String load(PtxTarget target) {
        String resource = "/cuda/" + target.fileName();
        try (InputStream in = PtxSource.class.getResourceAsStream(resource)) {
          if (in == null) {
            throw new CudaUnavailableException(
                "the jar holds no PTX for " + target.label() + " (" + resource + "): nvcc was not "
                    + "found when kernels-native was built; build it where nvcc is installed, or set -D"
                    + DIR_PROPERTY + "=DIR with PTX from src/main/cuda/build-ptx.sh");
          }
          return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
          throw new UncheckedIOException("reading " + resource, e);
        }
      }

      @Override
      public String describe() {
        return "the jar's /cuda/ resources";
      }
    };
  }

  static PtxSource directory(Path dir) {
    return new PtxSource() {
      @Override
      public String load(PtxTarget target) {
        Path file = dir.resolve(target.fileName());
        if (!Files.isRegularFile(file)) {
          throw new CudaUnavailableException(
              DIR_PROPERTY + "=" + dir + " holds no " + target.fileName());
        }
        try {
          return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
          throw new UncheckedIOException("reading " + file, e);
        }
      }

      @Override
      public String describe() {
        return dir.toString();
      }
    };
  }
}
