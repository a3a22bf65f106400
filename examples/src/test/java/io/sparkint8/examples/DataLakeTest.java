package io.sparkint8.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.arrow.FashionMnistFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data-lake example on a subset: Parquet in, Parquet predictions and a model out. */
class DataLakeTest {
  @Test
  void lakeToModelOnASubset(@TempDir Path lake) throws Exception {
    FashionMnistFiles data = FashionMnistFiles.provision();
    double acc = DataLake.run(ExampleSession.get(), data, lake, 2, 128, 1500, 400);
    assertTrue(acc > 0.5, "test accuracy " + acc);
    assertTrue(Files.isRegularFile(lake.resolve("model/model.si8m")));
    long predictions = ExampleSession.get().read()
        .parquet(lake.resolve("predictions").toString()).count();
    assertEquals(400, predictions);
  }
}
