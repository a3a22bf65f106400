package io.sparkint8;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine packages run inside Spark tasks and in the local trainer alike (and on GPU machines that
 * carry no Spark jars), so no source file under them imports Spark. Only io.sparkint8.ml and
 * io.sparkint8.train may.
 */
class SparkFreeEngineTest {
  static final List<String> ENGINE =
      List.of("labels", "nn", "quant", "optim", "step", "local", "onnx");

  @Test
  void noEngineSourceImportsSpark() throws IOException {
    Path root = Path.of("src/main/java/io/sparkint8");
    assertTrue(Files.isDirectory(root), "run from the module directory: " + root.toAbsolutePath());
    for (String pkg : ENGINE) {
      List<Path> sources;
      try (Stream<Path> files = Files.walk(root.resolve(pkg))) {
        sources = files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
      }
      assertTrue(sources.size() >= 2, pkg + ": found only " + sources);
      List<String> offenders = sources.stream()
          .filter(p -> read(p).lines().anyMatch(l -> l.startsWith("import org.apache.spark")
              || l.startsWith("import static org.apache.spark")))
          .map(Path::toString)
          .collect(Collectors.toList());
      assertEquals(List.of(), offenders, pkg + " must not import Spark");
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
