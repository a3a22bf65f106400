package io.sparkint8.ml;

import io.sparkint8.train.EpochSummary;
import java.io.Serializable;
import java.util.List;

/**
 * What {@link Int8Classifier#fit} measured, epoch by epoch: loss, train and validation accuracy,
 * wall time, samples per second, gradient bytes aggregated per step, and per measured layer the
 * DSGC gradient deviation and DCLRS learning-rate factor. Immutable; saved with the model.
 */
public final class Int8TrainingSummary implements Serializable {
  private static final long serialVersionUID = 1L;

  private final List<EpochSummary> epochs;
  private final long trainingRows;

  public Int8TrainingSummary(List<EpochSummary> epochs, long trainingRows) {
    this.epochs = List.copyOf(epochs);
    this.trainingRows = trainingRows;
  }

  public List<EpochSummary> epochs() {
    return epochs;
  }

  public long trainingRows() {
    return trainingRows;
  }

  public int totalEpochs() {
    return epochs.size();
  }

  public double[] lossHistory() {
    return epochs.stream().mapToDouble(EpochSummary::loss).toArray();
  }

  public double[] trainAccuracyHistory() {
    return epochs.stream().mapToDouble(EpochSummary::trainAccuracy).toArray();
  }

  /** Validation accuracy per epoch (NaN without a validationIndicatorCol). */
  public double[] validationAccuracyHistory() {
    return epochs.stream().mapToDouble(EpochSummary::validationAccuracy).toArray();
  }

  /** Training seconds from the start of fit to the end of each epoch. */
  public double[] cumulativeSeconds() {
    return epochs.stream().mapToDouble(EpochSummary::cumulativeSeconds).toArray();
  }

  public double[] samplesPerSecond() {
    return epochs.stream().mapToDouble(EpochSummary::samplesPerSecond).toArray();
  }

  /** Mean gradient bytes sent by the partitions per step, per epoch. */
  public double[] bytesAggregatedPerStep() {
    return epochs.stream().mapToDouble(EpochSummary::bytesAggregatedPerStep).toArray();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Int8TrainingSummary s && s.trainingRows == trainingRows
        && s.epochs.size() == epochs.size() && java.util.Arrays.equals(s.lossHistory(),
            lossHistory());
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(lossHistory());
  }
}
