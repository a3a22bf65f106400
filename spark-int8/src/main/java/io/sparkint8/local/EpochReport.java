package io.sparkint8.local;

/**
 * One epoch of local training: mean training loss and accuracy (over the epoch's steps, with the
 * weights of the moment), test accuracy after the epoch (NaN without a test set), wall time, throughput,
 * and the mean DSGC deviation and mean DCLRS factor over the int8 layers (NaN when not measured).
 */
public record EpochReport(
    int epoch,
    double trainLoss,
    double trainAccuracy,
    double testAccuracy,
    double seconds,
    double samplesPerSecond,
    double meanDeviation,
    double meanLrFactor) {}
