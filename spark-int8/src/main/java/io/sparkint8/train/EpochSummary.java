package io.sparkint8.train;

import java.io.Serializable;
import java.util.List;

/**
 * What one epoch of distributed training measured. Immutable.
 *
 * @param epoch 1-based epoch number
 * @param steps optimizer steps in the epoch
 * @param loss mean training loss over the epoch's rows (with the weights of each step)
 * @param trainAccuracy fraction of training rows predicted right during their step
 * @param validationAccuracy accuracy on the validation rows after the epoch, NaN without them
 * @param seconds wall time of the epoch's training steps (validation excluded)
 * @param cumulativeSeconds training wall time from the start of fit to the end of this epoch
 * @param samplesPerSecond training rows per second of this epoch
 * @param bytesAggregatedPerStep mean gradient bytes the partitions sent per step
 * @param layers names of the layers whose error quantization was measured
 * @param deviation mean DSGC deviation (1 - cos) per measured layer over the epoch's steps
 * @param lrFactor mean DCLRS learning-rate factor per measured layer
 * @param saturatedCodes gradient values that went beyond their tensor's shared clip (int8
 *     aggregation) in the epoch's steps, as first computed (see {@link GradientSaturation})
 * @param redoSteps steps of the epoch computed again because a tensor saturated
 */
public record EpochSummary(
    int epoch,
    int steps,
    double loss,
    double trainAccuracy,
    double validationAccuracy,
    double seconds,
    double cumulativeSeconds,
    double samplesPerSecond,
    double bytesAggregatedPerStep,
    List<String> layers,
    double[] deviation,
    double[] lrFactor,
    long saturatedCodes,
    int redoSteps) implements Serializable {

  public EpochSummary {
    layers = List.copyOf(layers);
    deviation = deviation.clone();
    lrFactor = lrFactor.clone();
  }

  @Override
  public double[] deviation() {
    return deviation.clone();
  }

  @Override
  public double[] lrFactor() {
    return lrFactor.clone();
  }

  /** One line for logs and progress output. */
  public String progressLine(int totalEpochs) {
    return String.format(java.util.Locale.ROOT,
        "epoch %d/%d  loss %.4f  train acc %.4f%s  %.0f images/s  %.1f s  %,d bytes aggregated/step"
            + "  %,d saturated gradient codes, %d steps redone",
        epoch, totalEpochs, loss, trainAccuracy,
        Double.isNaN(validationAccuracy) ? "" : String.format(java.util.Locale.ROOT,
            "  val acc %.4f", validationAccuracy),
        samplesPerSecond, seconds, Math.round(bytesAggregatedPerStep), saturatedCodes, redoSteps);
  }
}
