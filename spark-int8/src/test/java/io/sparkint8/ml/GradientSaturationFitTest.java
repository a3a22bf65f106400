package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.train.EpochSummary;
import io.sparkint8.train.GradientSaturation;
import io.sparkint8.train.KeptSteps;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, acceptance 4 in a real fit: a x10 gradient spike at one step (the test hook {@link
 * GradientSaturation#TEST_SPIKE_AT_STEP}) is caught by the saturation check, the step is redone,
 * and the epoch's summary, its progress line and the persisted summary show the counts.
 */
class GradientSaturationFitTest {
  // 4 steps per epoch (256 rows, batch 64); step 5 is the second step of epoch 2 (step 0
  // aggregates in fp32, steps 1.. in int8 with the previous step's scales)
  private static final int SPIKE_STEP = 5;
  private static final int SPIKE_EPOCH = 1; // 0-based

  private static List<EpochSummary> fit(Dataset<Row> train, String spikeAt, List<String> lines) {
    SparkContext sc = SparkTestSession.get().sparkContext();
    sc.setLocalProperty(GradientSaturation.TEST_SPIKE_AT_STEP, spikeAt);
    try {
      Int8ClassificationModel m = Blobs.classifier(3)
          .setEpochListener(e -> lines.add(e.progressLine(3)))
          .fit(train);
      Int8TrainingSummary restored = Int8Persistence.parseSummary(
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(
              Int8Persistence.summaryJson(m.summary())));
      for (int e = 0; e < m.summary().totalEpochs(); e++) {
        EpochSummary saved = m.summary().epochs().get(e);
        EpochSummary read = restored.epochs().get(e);
        assertEquals(saved.saturatedCodes(), read.saturatedCodes(), "saved saturated codes");
        assertEquals(saved.redoSteps(), read.redoSteps(), "saved redo steps");
      }
      return m.summary().epochs();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      sc.setLocalProperty(GradientSaturation.TEST_SPIKE_AT_STEP, null);
    }
  }

  @Test
  void aSpikedStepIsRedoneAndCountedInTheSummary() {
    Dataset<Row> train = Blobs.frame(256, 5L, 2).cache();
    List<String> plainLines = new ArrayList<>();
    List<EpochSummary> plain = fit(train, null, plainLines);
    List<String> spikeLines = new ArrayList<>();
    long reusedBefore = KeptSteps.reused();
    List<EpochSummary> spiked = fit(train, Integer.toString(SPIKE_STEP), spikeLines);
    long reused = KeptSteps.reused() - reusedBefore;
    train.unpersist();
    System.out.println("GradientSaturationFitTest: without spike " + plainLines);
    System.out.println("GradientSaturationFitTest: spike at step " + SPIKE_STEP + " " + spikeLines);

    // The epochs before the spike are the same run.
    assertEquals(plain.get(0).loss(), spiked.get(0).loss());
    assertEquals(plain.get(0).redoSteps(), spiked.get(0).redoSteps());
    // Without the spike, its epoch saturates nothing (the test's premise) ...
    EpochSummary p1 = plain.get(SPIKE_EPOCH);
    EpochSummary s1 = spiked.get(SPIKE_EPOCH);
    assertEquals(0, p1.redoSteps(), "premise: no redo in that epoch without the spike");
    assertEquals(0, p1.saturatedCodes(), "premise: no saturation in that epoch without the spike");
    // ... with it, the spiked step saturates and is redone (the next step's scales come from the
    // spike's max, so it does not saturate)
    assertEquals(1, s1.redoSteps(), "redo steps of the spiked epoch");
    assertTrue(s1.saturatedCodes() > 0, "saturated codes " + s1.saturatedCodes());
    assertTrue(spikeLines.get(SPIKE_EPOCH).contains(String.format(java.util.Locale.ROOT,
        "%,d saturated gradient codes, %d steps redone", s1.saturatedCodes(), s1.redoSteps())),
        spikeLines.get(SPIKE_EPOCH));
    int redos = 0;
    for (EpochSummary e : spiked) {
      assertTrue(Double.isFinite(e.loss()), "loss of epoch " + e.epoch());
      redos += e.redoSteps();
    }
    // every redo quantized its first attempt's kept results again instead of computing the step
    // (both partitions run in this JVM); the loss equalities above show it changed no bits
    assertEquals(2L * redos, reused, "partition steps reused by " + redos + " redos");
  }
}
