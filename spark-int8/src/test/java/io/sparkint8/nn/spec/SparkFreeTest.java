package io.sparkint8.nn.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The spec package runs inside Spark tasks and the local trainer alike, so it must not need Spark.
 */
class SparkFreeTest {

  private static final Path SOURCES = Path.of("src/main/java/io/sparkint8/nn/spec");

  @Test
  void noSourceImportsSpark() throws IOException {
    assertTrue(Files.isDirectory(SOURCES), "run from the module directory: " + SOURCES);
    List<String> offenders;
    try (Stream<Path> files = Files.list(SOURCES)) {
      offenders =
          files
              .filter(file -> file.toString().endsWith(".java"))
              .filter(SparkFreeTest::mentionsSpark)
              .map(Path::toString)
              .toList();
    }
    assertEquals(List.of(), offenders);
  }

  private static boolean mentionsSpark(Path file) {
    try {
      return Files.readAllLines(file).stream()
          .anyMatch(
              line ->
                  line.startsWith("import org.apache.spark")
                      || line.startsWith("import static org.apache.spark"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file, e);
    }
  }
}
