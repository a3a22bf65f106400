package io.sparkint8.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peer's lines are parsed, passed through, and turned into ratio lines against its best modes. */
class PeerTrainTest {
  @Test
  void parsesPeerLinesOnly() {
    PeerTrain.Mode m = PeerTrain.parse("{\"bench\": \"peer_train\", \"peer\": \"pytorch\", \"model\":"
        + " \"cnn-small\", \"mode\": \"bf16-autocast\", \"batch\": 256, \"images_per_s\": 2560.5}");
    assertEquals(new PeerTrain.Mode("bf16-autocast", 2560.5), m);
    assertNull(PeerTrain.parse("{\"bench\":\"train\",\"mode\":\"x\",\"images_per_s\":1}"));
  }

  @Test
  void runsThePeerAndPrintsRatios(@TempDir Path dir) throws Exception {
    Path run = dir.resolve("run");
    Files.writeString(run, "#!/bin/sh\n"
        + "echo '{\"bench\": \"peer_train\", \"mode\": \"fp32\", \"images_per_s\": 1000.0}'\n"
        + "echo '{\"bench\": \"peer_train\", \"mode\": \"fp32-channels-last\", \"images_per_s\": 2000.0}'\n"
        + "echo '{\"bench\": \"peer_train\", \"mode\": \"bf16-autocast\", \"images_per_s\": 2500.0}'\n");
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
    PrintStream saved = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      List<PeerTrain.Mode> modes = PeerTrain.run(dir, 1, 256);
      assertEquals(3, modes.size());
      PeerTrain.printRatios("cnn-small", 5000, 1500, modes);
    } finally {
      System.setOut(saved);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("\"mode\": \"bf16-autocast\""), "peer lines pass through: " + out);
    assertTrue(out.contains("{\"bench\":\"ratio\",\"what\":\"int8_vs_peer_best\",\"model\":\"cnn-small\","
        + "\"peer_mode\":\"bf16-autocast\",\"ratio\":2.000}"), out);
    assertTrue(out.contains("\"what\":\"fp32_vs_peer_best_fp32\",\"model\":\"cnn-small\","
        + "\"peer_mode\":\"fp32-channels-last\",\"ratio\":0.7500}"), out);
  }

  @Test
  void aMissingPeerGivesNoModes(@TempDir Path dir) {
    assertTrue(PeerTrain.run(dir.resolve("absent"), 1, 256).isEmpty());
  }
}
