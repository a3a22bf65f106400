package io.sparkint8.local;

import io.sparkint8.optim.LrSchedule;
import io.sparkint8.optim.OptimizerConfig;

/**
 * How the local trainer runs: epochs, batch size, optimizer and learning-rate schedule (in epochs) and
 * the seed of the shuffling. (Kernel threads belong to the backend of the network's LayerContext.)
 * Immutable and validated.
 */
public record TrainerConfig(
    int epochs, int batchSize, OptimizerConfig optimizer, LrSchedule schedule, long seed) {

  public TrainerConfig {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs=" + epochs + ", expected >= 1");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize=" + batchSize + ", expected >= 1");
    }
    if (optimizer == null || schedule == null) {
      throw new IllegalArgumentException("optimizer and schedule must not be null");
    }
  }
}
