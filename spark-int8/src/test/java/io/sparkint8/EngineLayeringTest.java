package io.sparkint8;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine's packages depend one way, as their package-info files say: the settings vocabulary
 * ({@code labels}) and the spec at the bottom, the clipping strategies on the kernels only, the
 * layers never on the trainers or the Spark side, the shared step ({@code step}) under both
 * trainers, and the two trainers ({@code local}, {@code train}) peers that never import each
 * other. Checked on the sources' imports (fully qualified names in code are not used across
 * packages).
 */
class EngineLayeringTest {

  @ParameterizedTest(name = "{0} imports no {1} (but {2})")
  @CsvSource({
    "labels, io.sparkint8.,",
    "nn/spec, io.sparkint8., io.sparkint8.labels.",
    "quant, io.sparkint8.nn,",
    "quant, io.sparkint8.optim,",
    "quant, io.sparkint8.step,",
    "quant, io.sparkint8.local,",
    "nn, io.sparkint8.step,",
    "nn, io.sparkint8.local,",
    "nn, io.sparkint8.train,",
    "nn, io.sparkint8.ml,",
    "step, io.sparkint8.local,",
    "step, io.sparkint8.train,",
    "step, io.sparkint8.ml,",
    "local, io.sparkint8.train,",
    "local, io.sparkint8.ml,",
    "train, io.sparkint8.local,",
    "train, io.sparkint8.ml,",
    "nn, io.sparkint8.onnx,",
    "onnx, io.sparkint8.step,",
    "onnx, io.sparkint8.local,",
    "onnx, io.sparkint8.train,",
    "onnx, io.sparkint8.ml,"
  })
  void packageDoesNotImport(String pkg, String forbidden, String allowed) throws IOException {
    Path dir = Path.of("src/main/java/io/sparkint8").resolve(pkg);
    assertTrue(Files.isDirectory(dir), "run from the module directory: " + dir.toAbsolutePath());
    List<Path> sources;
    try (Stream<Path> files = Files.list(dir)) {
      sources = files.filter(p -> p.toString().endsWith(".java")).toList();
    }
    assertTrue(sources.size() >= 2, pkg + ": found only " + sources);
    List<String> offenders =
        sources.stream()
            .flatMap(p -> read(p).lines().map(line -> p.getFileName() + ": " + line))
            .filter(line -> line.contains(": import " + forbidden))
            .filter(line -> allowed == null || !line.contains(": import " + allowed))
            .toList();
    assertEquals(List.of(), offenders, pkg + " must not import " + forbidden);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
