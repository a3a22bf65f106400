package io.sparkint8.train;

import io.sparkint8.nn.ModelState;
import io.sparkint8.optim.OptimizerState;
import java.util.List;
import java.util.Objects;

/**
 * Everything the driver's step loop carries from one epoch to the next, i.e. what a checkpoint
 * must hold so that a resumed fit continues bit for bit: the master network (weights, running
 * BatchNorm statistics, every layer's clipping/DSGC/MCS state, as a {@link ModelState}), the
 * optimizer's state (moments, step count), the shared gradient scales of the next step, and the
 * step and epoch counters. The random streams need no positions of their own: shuffling is keyed
 * by (seed, epoch, partition) and stochastic rounding by (seed, step, partition, tensor), so the
 * counters are their positions; the learning rate is a function of the step. The summaries of the
 * epochs done and the training seconds so far only keep the training summary whole.
 *
 * @param epochsDone epochs completed, >= 1
 * @param step optimizer steps taken (epochsDone * steps per epoch)
 * @param elapsedSeconds training wall time of the epochs done
 * @param model the master network after the last step
 * @param optimizer the optimizer's state after the last step
 * @param scales the shared gradient scales of the next step; null where the next step aggregates
 *     in fp32 (fp32 aggregation)
 * @param epochs the summaries of the epochs done, in order
 */
public record TrainerState(int epochsDone, long step, double elapsedSeconds, ModelState model,
    OptimizerState optimizer, float[] scales, List<EpochSummary> epochs) {

  public TrainerState {
    if (epochsDone < 1 || step < 0) {
      throw new IllegalArgumentException("trainer state: epochsDone=" + epochsDone + ", step="
          + step + ", expected epochsDone >= 1 and step >= 0");
    }
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(optimizer, "optimizer");
    scales = scales == null ? null : scales.clone();
    epochs = List.copyOf(epochs);
  }

  @Override
  public float[] scales() {
    return scales == null ? null : scales.clone();
  }
}
