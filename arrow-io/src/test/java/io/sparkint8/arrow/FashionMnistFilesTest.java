package io.sparkint8.arrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the Fashion-MNIST files are looked for: the system property wins over the environment
 * and the Debian folder, and a folder that holds the four files (raw or gzipped) is used as it is,
 * without provisioning. (Provisioning itself downloads a package, so it is exercised by pointing
 * the data tests at an empty folder, not here.)
 */
class FashionMnistFilesTest {
  @TempDir Path dir;

  @Test
  void thePropertyNamesTheFolder() {
    String before = System.getProperty(FashionMnistFiles.DIR_PROPERTY);
    try {
      System.setProperty(FashionMnistFiles.DIR_PROPERTY, dir.toString());
      assertEquals(dir.toAbsolutePath(), FashionMnistFiles.configuredDir());
      System.clearProperty(FashionMnistFiles.DIR_PROPERTY);
      String env = System.getenv(FashionMnistFiles.DIR_ENV);
      assertEquals(env == null || env.isBlank() ? FashionMnistFiles.DEBIAN_DIR
          : Path.of(env).toAbsolutePath(), FashionMnistFiles.configuredDir());
    } finally {
      if (before == null) {
        System.clearProperty(FashionMnistFiles.DIR_PROPERTY);
      } else {
        System.setProperty(FashionMnistFiles.DIR_PROPERTY, before);
      }
    }
  }

  @Test
  void aFolderWithTheFourFilesIsUsedAsItIs() throws IOException {
    Files.createFile(dir.resolve("train-images-idx3-ubyte.gz"));
    Files.createFile(dir.resolve("train-labels-idx1-ubyte"));
    Files.createFile(dir.resolve("t10k-images-idx3-ubyte"));
    assertNull(FashionMnistFiles.find(dir), "three files of four");
    Files.createFile(dir.resolve("t10k-labels-idx1-ubyte.gz"));
    FashionMnistFiles files = FashionMnistFiles.locate(dir);
    assertEquals(dir.resolve("train-images-idx3-ubyte.gz"), files.trainImages());
    assertEquals(dir.resolve("train-labels-idx1-ubyte"), files.trainLabels());
    assertEquals(dir.resolve("t10k-images-idx3-ubyte"), files.testImages());
    assertEquals(dir.resolve("t10k-labels-idx1-ubyte.gz"), files.testLabels());
    try (var listing = Files.list(dir)) {
      assertEquals(4, listing.count(), "nothing fetched or left behind");
    }
  }
}
