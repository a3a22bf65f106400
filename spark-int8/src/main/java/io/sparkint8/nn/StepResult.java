package io.sparkint8.nn;

import java.util.List;

/**
 * What one training step over one batch produces, and what a Spark task returns to the driver: the
 * gradients of the summed loss (one array per parameter, in the network's parameter order), the
 * per-BatchNorm batch statistics, per-layer quantization statistics, the loss sum, the number of correct
 * predictions and the rectification loss. Like the loss sum, the rectification loss is a sum over the
 * step's rows (rows x lambda * sum over BN channels of max(0, |gamma|/sigma - 1)^2, sigma of this
 * step's batch), the loss whose gamma gradient is in {@code gradients}: divided by the global batch,
 * the partitions' values give the row-weighted mean.
 */
public record StepResult(
    int rows,
    double lossSum,
    int correct,
    double rectificationLoss,
    float[][] gradients,
    List<BnStats> bnStats,
    List<LayerStats> layerStats) {}
