package io.sparkint8.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The quant package runs inside Spark tasks and in the local trainer alike, so it never uses Spark.
 */
class PackageBoundaryTest {
  @Test
  void noSourceFileImportsSpark() throws IOException {
    Path dir = Path.of("src/main/java/io/sparkint8/quant");
    assertTrue(Files.isDirectory(dir), "run from the module directory: " + dir.toAbsolutePath());
    List<Path> sources;
    try (Stream<Path> files = Files.list(dir)) {
      sources = files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
    }
    assertTrue(sources.size() > 5, "found only " + sources);
    List<String> offenders =
        sources.stream()
            .filter(p -> read(p).contains("org.apache.spark") && !p.endsWith("package-info.java"))
            .map(Path::toString)
            .collect(Collectors.toList());
    assertEquals(List.of(), offenders);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
