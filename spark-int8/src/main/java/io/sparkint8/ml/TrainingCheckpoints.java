package io.sparkint8.ml;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkint8.nn.ModelState;
import io.sparkint8.train.CheckpointStore;
import io.sparkint8.train.Checkpointing;
import io.sparkint8.train.TrainerState;
import io.sparkint8.train.TrainerStateCodec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.param.Param;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoints of one fit in {@code checkpointDir}: what {@link
 * io.sparkint8.train.DistributedTrainer} resumes from and saves to. A checkpoint ({@link
 * CheckpointStore} has the layout and the write protocol) holds three files, each in a format the
 * project already reads:
 *
 * <ul>
 *   <li>{@code model.si8m}: the master network as a {@link ModelState} (weights, running BatchNorm
 *       statistics, clipping state), the format of a saved model;
 *   <li>{@code trainer.si8t}: counters, shared gradient scales and optimizer state ({@link
 *       TrainerStateCodec});
 *   <li>{@code summary.json}: the summaries of the epochs done, as in a saved model;
 * </ul>
 *
 * and its manifest records the fit's identity: every Param that changes what is trained (all but
 * maxEpochs, the two checkpoint Params and the output column names) and a fingerprint of the
 * training data ({@link DataFingerprint}). A checkpoint is resumed only when the identity matches
 * and maxEpochs is at least the checkpoint's (a run may be extended, not shortened); otherwise the
 * fit fails with the differences, before any step.
 */
final class TrainingCheckpoints implements Checkpointing {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingCheckpoints.class);
  static final String MODEL = Int8Persistence.MODEL;
  static final String TRAINER = "trainer.si8t";
  static final String SUMMARY = Int8Persistence.SUMMARY;
  /** Params that do not change the bits of training. */
  static final Set<String> NOT_IDENTITY = Set.of("maxEpochs", "checkpointDir",
      "checkpointInterval", "predictionCol", "probabilityCol", "rawPredictionCol", "thresholds");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CheckpointStore store;
  private final int interval;
  private final int maxEpochs;
  private final long trainingRows;
  private final Map<String, String> identity;

  private TrainingCheckpoints(CheckpointStore store, int interval, int maxEpochs,
      long trainingRows, Map<String, String> identity) {
    this.store = store;
    this.interval = interval;
    this.maxEpochs = maxEpochs;
    this.trainingRows = trainingRows;
    this.identity = identity;
  }

  /** The checkpoints of {@code stage}'s fit on data of fingerprint {@code data}. */
  static TrainingCheckpoints of(Int8Classifier stage, DataFingerprint data, Configuration conf) {
    Map<String, String> id = new LinkedHashMap<>(identity(stage));
    id.putAll(data.entries());
    return new TrainingCheckpoints(new CheckpointStore(stage.getCheckpointDir(), conf),
        stage.getCheckpointInterval(), stage.getMaxEpochs(), data.rows(), id);
  }

  /** Every defined Param that changes what is trained, in its own JSON encoding, by name. */
  static Map<String, String> identity(Int8Classifier stage) {
    Map<String, String> id = new LinkedHashMap<>();
    for (Param<?> p : stage.params()) {
      if (NOT_IDENTITY.contains(p.name()) || !stage.isDefined(p)) {
        continue;
      }
      @SuppressWarnings("unchecked")
      Param<Object> po = (Param<Object>) p;
      id.put("param " + p.name(), po.jsonEncode(stage.getOrDefault(po)));
    }
    return id;
  }

  /** Where the checkpoints are. */
  String location() {
    return store.location();
  }

  @Override
  public TrainerState resume() {
    CheckpointStore.Checkpoint cp = store.latest().orElse(null);
    if (cp == null) {
      LOG.info("spark-int8: no checkpoint in {}, training from epoch 1", store.location());
      return null;
    }
    cp.requireIdentity(identity);
    int cpMaxEpochs = intFact(cp, "maxEpochs");
    if (maxEpochs < cpMaxEpochs) {
      throw new IllegalArgumentException("maxEpochs " + maxEpochs + " is below the "
          + cpMaxEpochs + " of checkpoint " + cp.path() + ": a resumed run may be extended, not "
          + "shortened (set maxEpochs >= " + cpMaxEpochs + ", or use another checkpointDir)");
    }
    Map<String, byte[]> files = cp.readFiles();
    try {
      ModelState model = ModelState.read(new ByteArrayInputStream(require(files, cp, MODEL)));
      Int8TrainingSummary summary = Int8Persistence.parseSummary(JSON.readTree(
          new String(require(files, cp, SUMMARY), StandardCharsets.UTF_8)));
      TrainerState state = TrainerStateCodec.decode(require(files, cp, TRAINER), model,
          summary.epochs());
      if (state.epochsDone() != cp.epoch() || summary.epochs().size() != cp.epoch()) {
        throw new IOException("it holds " + state.epochsDone() + " epochs and "
            + summary.epochs().size() + " epoch summaries, its name says " + cp.epoch());
      }
      LOG.info("spark-int8: resuming from epoch {} (checkpoint {} of {} epochs done)",
          cp.epoch() + 1, cp.path(), cp.epoch());
      return state;
    } catch (IOException e) {
      // the files match their checksums, so they were written so: still never a partial resume
      throw new IllegalArgumentException("checkpoint " + cp.path() + " cannot be resumed: "
          + e.getMessage(), e);
    }
  }

  @Override
  public boolean due(int epochsDone, int totalEpochs) {
    // the last epoch is always saved, so that a longer run can extend this one
    return epochsDone % interval == 0 || epochsDone == totalEpochs;
  }

  @Override
  public void save(TrainerState state) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(MODEL, state.model().toBytes());
    files.put(TRAINER, TrainerStateCodec.encode(state));
    files.put(SUMMARY, Int8Persistence.summaryJson(
        new Int8TrainingSummary(state.epochs(), trainingRows)).getBytes(StandardCharsets.UTF_8));
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("maxEpochs", Integer.toString(maxEpochs));
    facts.put("epochsDone", Integer.toString(state.epochsDone()));
    facts.put("step", Long.toString(state.step()));
    store.write(state.epochsDone(), identity, facts, files);
    LOG.info("spark-int8: checkpoint of epoch {} written to {}", state.epochsDone(),
        store.location());
  }

  /** Closes the store's FileSystem instance; a failure is logged, not thrown over the fit's. */
  void close() {
    try {
      store.close();
    } catch (RuntimeException e) {
      LOG.warn("spark-int8: closing the file system of {}: {}", store.location(), e.toString());
    }
  }

  private static byte[] require(Map<String, byte[]> files, CheckpointStore.Checkpoint cp,
      String name) throws IOException {
    byte[] b = files.get(name);
    if (b == null) {
      throw new IOException("its manifest lists no " + name);
    }
    return b;
  }

  private static int intFact(CheckpointStore.Checkpoint cp, String name) {
    String v = cp.fact(name);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("checkpoint " + cp.path() + ": " + name + " '" + v
          + "' is not a number", e);
    }
  }
}
