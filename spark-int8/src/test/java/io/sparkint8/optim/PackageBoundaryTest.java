package io.sparkint8.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The optim package runs on the driver and in the local trainer alike, so it never uses Spark. */
class PackageBoundaryTest {
  @Test
  void noSourceFileImportsSpark() throws IOException {
    Path dir = Path.of("src/main/java/io/sparkint8/optim");
    assertTrue(Files.isDirectory(dir), "run from the module directory: " + dir.toAbsolutePath());
    List<Path> sources;
    try (Stream<Path> files = Files.list(dir)) {
      // package-info.java mentions the package name only to say it is not imported.
      sources = files.filter(p -> p.toString().endsWith(".java"))
          .filter(p -> !p.endsWith("package-info.java")).toList();
    }
    assertTrue(sources.size() > 10, "found only " + sources);
    List<String> offenders =
        sources.stream().filter(p -> read(p).contains("org.apache.spark")).map(Path::toString)
            .toList();
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
