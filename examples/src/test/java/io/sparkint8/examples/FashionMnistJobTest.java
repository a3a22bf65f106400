package io.sparkint8.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.arrow.FashionMnistFiles;
import io.sparkint8.ml.Int8ClassificationModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main job, on a small subset: it trains, saves a loadable model and a PNG. */
class FashionMnistJobTest {
  @Test
  void mainJobOnASubset(@TempDir Path out) throws Exception {
    FashionMnistFiles data = FashionMnistFiles.provision();
    double acc = FashionMnist.run(ExampleSession.get(), data, out, "int8", 2, 128, 2,
        "conv(8,3,p=1)-bn-relu-maxpool(2)-fc(32)-relu-fc", 1500, 500);
    // chance is 0.1; the small network reaches ~0.7 here
    assertTrue(acc > 0.5, "test accuracy " + acc);
    Path model = out.resolve("model");
    assertTrue(Files.isRegularFile(model.resolve("model.si8m")));
    Path png = out.resolve("training-curves.png");
    assertTrue(Files.size(png) > 1000, "plot " + png);
    byte[] magic = Files.readAllBytes(png);
    assertTrue(magic[1] == 'P' && magic[2] == 'N' && magic[3] == 'G', "not a PNG");
    Int8ClassificationModel loaded = Int8ClassificationModel.load(model.toString());
    assertTrue(loaded.numClasses() == 10);
  }
}
