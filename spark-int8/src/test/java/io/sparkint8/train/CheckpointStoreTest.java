package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint directory's protocol on the local Hadoop FileSystem: files under a temporary name,
 * one rename, the manifest last (itself renamed into place); a directory without its manifest is
 * ignored; the two newest are kept; every file is checked against the manifest on reading, and a
 * truncated, corrupt or missing one is an error naming it; another identity is an error naming
 * each difference.
 */
class CheckpointStoreTest {
  @TempDir Path tmp;
  private Path dir;

  @BeforeEach
  void setUp() {
    dir = tmp.resolve("checkpoints");
  }

  private CheckpointStore store() {
    return new CheckpointStore(dir.toString(), new Configuration());
  }

  private static Map<String, String> identity(String stepSize) {
    Map<String, String> id = new LinkedHashMap<>();
    id.put("param stepSize", stepSize);
    id.put("data rows", "512");
    return id;
  }

  private static Map<String, byte[]> files(int epoch) {
    Map<String, byte[]> f = new LinkedHashMap<>();
    f.put("model.si8m", ("model of epoch " + epoch).repeat(50).getBytes(StandardCharsets.UTF_8));
    f.put("trainer.si8t", new byte[] {1, 2, 3, (byte) epoch});
    return f;
  }

  private void write(CheckpointStore s, int epoch) {
    s.write(epoch, identity("0.025"), Map.of("maxEpochs", "5"), files(epoch));
  }

  @Test
  void aWrittenCheckpointReadsBackWhole() {
    try (CheckpointStore s = store()) {
      assertTrue(s.latest().isEmpty(), "an absent directory holds no checkpoint");
      write(s, 1);
      CheckpointStore.Checkpoint cp = s.latest().orElseThrow();
      assertEquals(1, cp.epoch());
      assertEquals("5", cp.fact("maxEpochs"));
      assertEquals(identity("0.025"), cp.identity());
      Map<String, byte[]> read = cp.readFiles();
      assertEquals(List.of("model.si8m", "trainer.si8t"), new ArrayList<>(read.keySet()));
      assertArrayEquals(files(1).get("model.si8m"), read.get("model.si8m"));
      assertArrayEquals(files(1).get("trainer.si8t"), read.get("trainer.si8t"));
      cp.requireIdentity(identity("0.025"));
    }
    // Hadoop's client-side .crc files are off: the manifest's SHA-256 sums are the check
    assertEquals(List.of(), listAll().stream().filter(p -> p.endsWith(".crc")).toList());
  }

  @Test
  void filesAreWrittenUnderATemporaryNameAndTheManifestComesLast() {
    RecordingLocalFileSystem.EVENTS.clear();
    RecordingLocalFileSystem.root = dir.toString() + "/";
    try (CheckpointStore s = new CheckpointStore(dir.toString(),
        RecordingLocalFileSystem.conf())) {
      write(s, 3);
    }
    List<String> events = new ArrayList<>(RecordingLocalFileSystem.EVENTS);
    assertEquals(5, events.size(), events.toString());
    // both data files go into the temporary directory, which one rename makes epoch-000003
    assertTrue(events.get(0).matches("create _tmp-epoch-000003-[0-9a-f-]+/model\\.si8m"),
        events.toString());
    assertTrue(events.get(1).matches("create _tmp-epoch-000003-[0-9a-f-]+/trainer\\.si8t"),
        events.toString());
    assertTrue(events.get(2).matches("rename _tmp-epoch-000003-[0-9a-f-]+ -> epoch-000003"),
        events.toString());
    // then the manifest, under a temporary name renamed into place
    assertEquals("create epoch-000003/_tmp-manifest.json", events.get(3));
    assertEquals("rename epoch-000003/_tmp-manifest.json -> epoch-000003/manifest.json",
        events.get(4));
  }

  @Test
  void aCheckpointWithoutItsManifestIsIgnoredAndCleanedUp() throws IOException {
    try (CheckpointStore s = store()) {
      write(s, 1);
      write(s, 2);
      // what a writer killed before its manifest leaves: a renamed directory and a temporary one
      Path incomplete = Files.createDirectories(dir.resolve("epoch-000003"));
      Files.write(incomplete.resolve("model.si8m"), new byte[] {9});
      Path leftover = Files.createDirectories(dir.resolve("_tmp-epoch-000004-1234"));
      Files.write(leftover.resolve("model.si8m"), new byte[] {9});
      assertEquals(List.of(1, 2), s.completeEpochs());
      assertEquals(2, s.latest().orElseThrow().epoch());
      // the next write of epoch 3 replaces the incomplete one and removes the leftover
      write(s, 3);
      assertEquals(3, s.latest().orElseThrow().epoch());
      assertArrayEquals(files(3).get("model.si8m"),
          s.latest().orElseThrow().readFiles().get("model.si8m"));
      assertFalse(Files.exists(leftover));
    }
  }

  @Test
  void theTwoNewestAreKept() {
    try (CheckpointStore s = store()) {
      for (int epoch = 1; epoch <= 4; epoch++) {
        write(s, epoch);
        assertEquals(epoch == 1 ? List.of(1) : List.of(epoch - 1, epoch), s.completeEpochs());
      }
    }
    assertEquals(List.of("epoch-000003", "epoch-000004"), listTop());
  }

  @Test
  void aTruncatedFileIsAnErrorNamingIt() throws IOException {
    try (CheckpointStore s = store()) {
      write(s, 1);
      Path model = dir.resolve("epoch-000001").resolve("model.si8m");
      byte[] b = Files.readAllBytes(model);
      Files.write(model, java.util.Arrays.copyOf(b, b.length - 7));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> s.latest().orElseThrow().readFiles());
      assertTrue(e.getMessage().contains(model.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("truncated: " + (b.length - 7) + " bytes, its manifest "
          + "says " + b.length), e.getMessage());
    }
  }

  @Test
  void aCorruptFileIsAnErrorNamingIt() throws IOException {
    try (CheckpointStore s = store()) {
      write(s, 1);
      Path trainer = dir.resolve("epoch-000001").resolve("trainer.si8t");
      byte[] b = Files.readAllBytes(trainer);
      b[2] ^= 0x10;
      Files.write(trainer, b);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> s.latest().orElseThrow().readFiles());
      assertTrue(e.getMessage().contains(trainer.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("is corrupt: SHA-256"), e.getMessage());
    }
  }

  @Test
  void aMissingFileOrAGarbledManifestIsAnErrorNamingIt() throws IOException {
    try (CheckpointStore s = store()) {
      write(s, 1);
      Path model = dir.resolve("epoch-000001").resolve("model.si8m");
      Files.delete(model);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> s.latest().orElseThrow().readFiles());
      assertTrue(e.getMessage().contains(model.toString()), e.getMessage());
      Path manifest = dir.resolve("epoch-000001").resolve(CheckpointStore.MANIFEST);
      Files.writeString(manifest, "{\"format\": \"spark-int8 checkpoint\", \"formatVers");
      e = assertThrows(IllegalArgumentException.class, s::latest);
      assertTrue(e.getMessage().contains(manifest.toString()), e.getMessage());
    }
  }

  @Test
  void anotherIdentityIsAnErrorNamingEveryDifference() {
    try (CheckpointStore s = store()) {
      write(s, 1);
      CheckpointStore.Checkpoint cp = s.latest().orElseThrow();
      Map<String, String> now = identity("0.05");
      now.put("data rows", "256");
      now.put("param seed", "7");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> cp.requireIdentity(now));
      String m = e.getMessage();
      assertTrue(m.contains("is of other params and data than this fit"), m);
      assertTrue(m.contains("param stepSize: 0.025 in the checkpoint, 0.05 now"), m);
      assertTrue(m.contains("data rows: 512 in the checkpoint, 256 now"), m);
      assertTrue(m.contains("param seed: absent in the checkpoint, 7 now"), m);
      Map<String, String> onlyData = identity("0.025");
      onlyData.put("data rows", "1");
      e = assertThrows(IllegalArgumentException.class, () -> cp.requireIdentity(onlyData));
      assertTrue(e.getMessage().contains("is of other data than this fit: data rows: 512 in the "
          + "checkpoint, 1 now"), e.getMessage());
    }
  }

  private List<String> listTop() {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private List<String> listAll() {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.map(Path::toString).toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
