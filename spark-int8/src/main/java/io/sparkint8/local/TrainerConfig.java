package io.sparkint8.local;

import io.sparkint8.optim.LrSchedule;
import io.sparkint8.optim.OptimizerConfig;

/**
 * How the local trainer runs: epochs, batch size, optimizer and learning-rate schedule (in epochs), the
 * seed of the shuffling, and the intra-op thread count of the kernels. Immutable and validated.
 */
public record TrainerConfig(
    int epochs, int batchSize, OptimizerConfig optimizer, LrSchedule schedule, long seed,
    int threads) {

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
    if (threads < 1 || threads > 64) {
      throw new IllegalArgumentException("threads=" + threads + ", expected 1..64");
    }
  }
}
