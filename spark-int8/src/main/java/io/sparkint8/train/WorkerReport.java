package io.sparkint8.train;

import io.sparkint8.nn.Network;
import io.sparkint8.quant.ClippingState;
import io.sparkint8.step.LayerFactors;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a worker's network decided about error quantization at one step, for the driver: every
 * conv/fc layer's clipping state after the step, and the per-layer {@link LayerFactors} (DSGC
 * deviation, the DCLRS learning-rate factor it implies, the error gain ||G_X|| / ||G_Y||).
 *
 * <p>Errors are activation gradients of a partition's own rows; they are clipped and quantized
 * where they are computed and never aggregated. The driver keeps one authoritative clipping state
 * and broadcasts it with the weights, so no executor-local state can change a result; it advances
 * that state by adopting the report of the lowest-numbered partition of the step (every partition
 * sees rows of the same distribution, and a retried task reproduces its report exactly).
 * Immutable.
 */
public final class WorkerReport implements Serializable {
  private static final long serialVersionUID = 2L;

  final int partition;
  final String[] strategies;
  final long[] steps;
  final double[][] values;
  final LayerFactors factors;

  WorkerReport(int partition, String[] strategies, long[] steps, double[][] values,
      LayerFactors factors) {
    this.partition = partition;
    this.strategies = strategies;
    this.steps = steps;
    this.values = values;
    this.factors = factors;
  }

  /** The report of {@code net} right after a training step on partition {@code partition}. */
  public static WorkerReport of(int partition, Network net) {
    List<ClippingState> states = net.clippingStates();
    String[] strategies = new String[states.size()];
    long[] steps = new long[states.size()];
    double[][] values = new double[states.size()][];
    for (int i = 0; i < states.size(); i++) {
      strategies[i] = states.get(i).strategy();
      steps[i] = states.get(i).steps();
      values[i] = states.get(i).values();
    }
    return new WorkerReport(partition, strategies, steps, values, LayerFactors.measure(net));
  }

  public int partition() {
    return partition;
  }

  /** The clipping state of every conv/fc layer, in forward order. */
  public List<ClippingState> clippingStates() {
    List<ClippingState> out = new ArrayList<>();
    for (int i = 0; i < strategies.length; i++) {
      out.add(new ClippingState(strategies[i], steps[i], values[i]));
    }
    return out;
  }

  /** The measured layers' factors, deviations and gains. */
  public LayerFactors factors() {
    return factors;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WorkerReport r && partition == r.partition
        && Arrays.equals(strategies, r.strategies) && Arrays.equals(steps, r.steps)
        && Arrays.deepEquals(values, r.values) && factors.equals(r.factors);
  }

  @Override
  public int hashCode() {
    return 31 * partition + Arrays.hashCode(steps) + factors.hashCode();
  }
}
