package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dependency direction of the kernel layer, read from the sources (imports, qualified names and
 * javadoc links alike): memory depends on nothing, spi on memory, ref and jni on spi and memory, cuda
 * also on ref (its host fallbacks run the reference); only the root (Backends) sees every backend. No
 * kernel package touches Spark.
 */
class KernelLayersTest {
  private static final Path SOURCES = Path.of("src/main/java/io/sparkint8/kernels");
  private static final Pattern REFERENCE = Pattern.compile("io\\.sparkint8\\.kernels\\.(\\w+)");
  private static final Map<String, Set<String>> ALLOWED =
      Map.of(
          "memory", Set.of(),
          "spi", Set.of("memory"),
          "ref", Set.of("spi", "memory"),
          "jni", Set.of("spi", "memory"),
          "cuda", Set.of("spi", "memory", "ref"));

  @Test
  void packagesDependOnlyDownward() throws IOException {
    assertTrue(Files.isDirectory(SOURCES), "run from the module directory: " + SOURCES.toAbsolutePath());
    List<String> violations = new ArrayList<>();
    int files = 0;
    for (Map.Entry<String, Set<String>> layer : ALLOWED.entrySet()) {
      try (Stream<Path> sources = Files.list(SOURCES.resolve(layer.getKey()))) {
        for (Path file : (Iterable<Path>) sources.filter(p -> p.toString().endsWith(".java"))::iterator) {
          files++;
          String text = Files.readString(file);
          if (text.contains("org.apache.spark")) {
            violations.add(file + " refers to Spark");
          }
          Matcher m = REFERENCE.matcher(text);
          while (m.find()) {
            String target = m.group(1);
            if (!target.equals(layer.getKey()) && !layer.getValue().contains(target)) {
              violations.add(file.getFileName() + " (" + layer.getKey() + ") refers to "
                  + m.group() + "; " + layer.getKey() + " may use " + layer.getValue());
            }
          }
        }
      }
    }
    assertTrue(files > 40, "too few sources found (" + files + "): is " + SOURCES + " right?");
    if (!violations.isEmpty()) {
      fail(String.join("\n", violations));
    }
  }
}
