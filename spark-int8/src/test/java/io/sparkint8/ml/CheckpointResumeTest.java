package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.nn.ModelDigest;
import io.sparkint8.nn.ModelState;
import io.sparkint8.train.CheckpointStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint and resume of a Spark fit (int8, a conv net with BatchNorm and DSGC clipping, 512
 * Fashion-MNIST rows in 2 partitions, 4 steps per epoch): a fit stopped after epoch 2 and fitted
 * again with the same checkpointDir gives the model of an uninterrupted 3-epoch fit bit for bit;
 * a checkpoint of other Params or data is refused with the difference, maxEpochs may grow but not
 * shrink, a damaged checkpoint file is an error naming it, and checkpointInterval decides which
 * epochs are saved.
 */
class CheckpointResumeTest {
  static final String NETWORK = "conv(4,3,p=1)-bn-relu-maxpool(2)-fc(16)-relu-fc";
  private static Dataset<Row> train;

  @TempDir Path tmp;

  @BeforeAll
  static void data() {
    train = SparkTestSession.fashion(512, false, 2).cache();
  }

  static Int8Classifier classifier(int epochs) {
    return new Int8Classifier()
        .setInputShape(new int[] {1, 28, 28})
        .setNetwork(NETWORK)
        .setBatchSize(128)
        .setClipUpdateInterval(2)
        .setStepSize(0.1)
        .setWarmupEpochs(0.5)
        .setMaxEpochs(epochs)
        .setSeed(11);
  }

  private static String uninterrupted;

  /** The digest of the uninterrupted 3-epoch fit (computed once per JVM; CheckpointKillTest too). */
  static synchronized String uninterruptedDigest() {
    if (uninterrupted == null) {
      uninterrupted = ModelDigest.sha256(classifier(3).fit(
          SparkTestSession.fashion(512, false, 2)).modelState());
    }
    return uninterrupted;
  }

  /** The epochs an epoch listener saw; throws after {@code stopAfter} (0: never). */
  private static List<Integer> listen(Int8Classifier c, int stopAfter) {
    List<Integer> seen = new ArrayList<>();
    c.setEpochListener(e -> {
      seen.add(e.epoch());
      if (e.epoch() == stopAfter) {
        throw new IllegalStateException("test: the driver stops after epoch " + stopAfter);
      }
    });
    return seen;
  }

  private List<Integer> complete(Path dir) {
    try (CheckpointStore s = new CheckpointStore(dir.toString(), new Configuration())) {
      return s.completeEpochs();
    }
  }

  @Test
  void aResumedFitIsBitIdenticalToAnUninterruptedOne() throws IOException {
    String straight = uninterruptedDigest();

    Path dir = tmp.resolve("ckpt");
    Int8Classifier first = classifier(3).setCheckpointDir(dir.toString());
    List<Integer> firstSeen = listen(first, 2);
    IllegalStateException stopped = assertThrows(IllegalStateException.class,
        () -> first.fit(train));
    assertTrue(stopped.getMessage().contains("stops after epoch 2"), stopped.getMessage());
    assertEquals(List.of(1, 2), firstSeen);
    assertEquals(List.of(1, 2), complete(dir));
    // the checkpoint is not already the final model: the third epoch changes it
    ModelState afterTwo = ModelState.read(new ByteArrayInputStream(Files.readAllBytes(
        dir.resolve("epoch-000002").resolve("model.si8m"))));
    assertNotEquals(straight, ModelDigest.sha256(afterTwo));

    Int8Classifier again = classifier(3).setCheckpointDir(dir.toString());
    List<Integer> againSeen = listen(again, 0);
    Int8ClassificationModel resumed = again.fit(train);
    assertEquals(List.of(3), againSeen, "the resumed fit trains epoch 3 only");
    assertEquals(straight, ModelDigest.sha256(resumed.modelState()),
        "the resumed model differs from the uninterrupted one");
    // the summary covers all three epochs, the first two from the checkpoint
    assertEquals(3, resumed.summary().totalEpochs());
    assertEquals(List.of(1, 2, 3), resumed.summary().epochs().stream()
        .map(e -> e.epoch()).toList());
    assertEquals(List.of(2, 3), complete(dir));
  }

  @Test
  void otherParamsOrDataAreRefusedWithTheDifferenceAndMaxEpochsMayOnlyGrow() {
    Path dir = tmp.resolve("ckpt");
    classifier(2).setCheckpointDir(dir.toString()).fit(train);
    assertEquals(List.of(1, 2), complete(dir));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> classifier(2).setCheckpointDir(dir.toString()).setStepSize(0.05).fit(train));
    assertTrue(e.getMessage().contains("is of other params than this fit: param stepSize: 0.1 in "
        + "the checkpoint, 0.05 now"), e.getMessage());

    Dataset<Row> fewer = SparkTestSession.fashion(384, false, 2);
    e = assertThrows(IllegalArgumentException.class,
        () -> classifier(2).setCheckpointDir(dir.toString()).fit(fewer));
    assertTrue(e.getMessage().contains("is of other data than this fit"), e.getMessage());
    assertTrue(e.getMessage().contains("data rows: 512 in the checkpoint, 384 now"),
        e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> classifier(1).setCheckpointDir(dir.toString()).fit(train));
    assertTrue(e.getMessage().contains("maxEpochs 1 is below the 2 of checkpoint"),
        e.getMessage());

    // a longer run extends this one: it trains epoch 3 only
    Int8Classifier longer = classifier(3).setCheckpointDir(dir.toString());
    List<Integer> seen = listen(longer, 0);
    Int8ClassificationModel extended = longer.fit(train);
    assertEquals(List.of(3), seen);
    assertEquals(3, extended.summary().totalEpochs());
    assertEquals(List.of(2, 3), complete(dir));
    // the same fit again finds all its epochs done: it trains nothing and returns the same model
    Int8Classifier same = classifier(3).setCheckpointDir(dir.toString());
    List<Integer> none = listen(same, 0);
    assertEquals(ModelDigest.sha256(extended.modelState()),
        ModelDigest.sha256(same.fit(train).modelState()));
    assertEquals(List.of(), none);
    assertEquals(List.of(2, 3), complete(dir));
  }

  @Test
  void aDamagedCheckpointFileIsAnErrorNamingIt() throws IOException {
    Path dir = tmp.resolve("ckpt");
    classifier(1).setCheckpointDir(dir.toString()).fit(train);
    Path model = dir.resolve("epoch-000001").resolve("model.si8m");
    byte[] bytes = Files.readAllBytes(model);
    byte[] flipped = bytes.clone();
    flipped[flipped.length / 2] ^= 0x40;
    Files.write(model, flipped);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> classifier(2).setCheckpointDir(dir.toString()).fit(train));
    assertTrue(e.getMessage().contains("checkpoint file " + model.toUri().getPath()),
        e.getMessage());
    assertTrue(e.getMessage().contains("is corrupt"), e.getMessage());

    Files.write(model, bytes);
    Path trainer = dir.resolve("epoch-000001").resolve("trainer.si8t");
    byte[] t = Files.readAllBytes(trainer);
    Files.write(trainer, Arrays.copyOf(t, t.length / 2));
    e = assertThrows(IllegalArgumentException.class,
        () -> classifier(2).setCheckpointDir(dir.toString()).fit(train));
    assertTrue(e.getMessage().contains("checkpoint file " + trainer.toUri().getPath()
        + " is truncated"), e.getMessage());
    assertEquals(List.of(1), complete(dir), "a refused checkpoint is left as it was");
  }

  @Test
  void checkpointIntervalChoosesTheEpochsAndMinusOneDisables() {
    Path every2 = tmp.resolve("every2");
    classifier(3).setCheckpointDir(every2.toString()).setCheckpointInterval(2).fit(train);
    // epoch 2 by the interval, epoch 3 because it is the last
    assertEquals(List.of(2, 3), complete(every2));
    Path off = tmp.resolve("off");
    classifier(1).setCheckpointDir(off.toString()).setCheckpointInterval(-1).fit(train);
    assertFalse(Files.exists(off), "checkpointInterval -1 wrote " + off);
  }
}
