package io.sparkint8.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline example: cross-validated, saved, reloaded, and clearly better than chance. */
class PipelineExampleTest {
  @Test
  void pipelineWithCrossValidation(@TempDir Path out) throws Exception {
    double acc = PipelineExample.run(ExampleSession.get(), 1200, out.resolve("p").toString());
    // 4 classes: chance is 0.25
    assertTrue(acc > 0.6, "held-out accuracy " + acc);
  }
}
