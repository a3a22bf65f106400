package io.sparkint8.train;

import io.sparkint8.nn.Layer;
import io.sparkint8.nn.LayerStats;
import io.sparkint8.nn.Network;
import io.sparkint8.quant.ClippingState;
import io.sparkint8.quant.Dclrs;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a worker's network decided about error quantization at one step, for the driver: every
 * conv/fc layer's clipping state after the step, and per measured layer the DSGC deviation, the
 * DCLRS learning-rate factor it implies and the error gain ||G_X|| / ||G_Y||.
 *
 * <p>Errors are activation gradients of a partition's own rows; they are clipped and quantized
 * where they are computed and never aggregated. The driver keeps one authoritative clipping state
 * and broadcasts it with the weights, so no executor-local state can change a result; it advances
 * that state by adopting the report of the lowest-numbered partition of the step (every partition
 * sees rows of the same distribution, and a retried task reproduces its report exactly).
 * Immutable.
 */
public final class WorkerReport implements Serializable {
  private static final long serialVersionUID = 1L;

  final int partition;
  final String[] strategies;
  final long[] steps;
  final double[][] values;
  // Per measured layer: its index in Network.layers(), factor, deviation, gain.
  final int[] layerIndex;
  final double[] lrFactor;
  final double[] deviation;
  final double[] gain;

  WorkerReport(int partition, String[] strategies, long[] steps, double[][] values,
      int[] layerIndex, double[] lrFactor, double[] deviation, double[] gain) {
    this.partition = partition;
    this.strategies = strategies;
    this.steps = steps;
    this.values = values;
    this.layerIndex = layerIndex;
    this.lrFactor = lrFactor;
    this.deviation = deviation;
    this.gain = gain;
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
    Dclrs dclrs = net.context().config().dclrs();
    List<Integer> idx = new ArrayList<>();
    List<double[]> measured = new ArrayList<>();
    List<Layer> layers = net.layers();
    for (int l = 0; l < layers.size(); l++) {
      for (LayerStats st : layers.get(l).stats()) {
        if (st.clip() != null) {
          idx.add(l);
          measured.add(new double[] {dclrs.factor(st.clip()), st.clip().deviation(),
              st.gradientGain()});
        }
      }
    }
    int n = idx.size();
    int[] layerIndex = new int[n];
    double[] factor = new double[n];
    double[] dev = new double[n];
    double[] gain = new double[n];
    for (int i = 0; i < n; i++) {
      layerIndex[i] = idx.get(i);
      factor[i] = measured.get(i)[0];
      dev[i] = measured.get(i)[1];
      gain[i] = measured.get(i)[2];
    }
    return new WorkerReport(partition, strategies, steps, values, layerIndex, factor, dev, gain);
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

  /** Indices into {@link Network#layers()} of the layers measured, one per entry. */
  public int[] layerIndex() {
    return layerIndex.clone();
  }

  public double[] lrFactor() {
    return lrFactor.clone();
  }

  /** DSGC deviation 1 - cos per measured layer (NaN when not measured at this step). */
  public double[] deviation() {
    return deviation.clone();
  }

  public double[] gradientGain() {
    return gain.clone();
  }

  /**
   * Applies the report to the driver's network: the clipping states, and each measured layer's
   * DCLRS factor to that layer's parameters (others get 1).
   */
  public void applyTo(Network net) {
    net.importClippingStates(clippingStates());
    net.parameters().forEach(p -> p.setLrFactor(1.0));
    List<Layer> layers = net.layers();
    for (int i = 0; i < layerIndex.length; i++) {
      if (layerIndex[i] >= layers.size()) {
        throw new IllegalArgumentException("worker report names layer " + layerIndex[i]
            + ", the network has " + layers.size());
      }
      double f = lrFactor[i];
      layers.get(layerIndex[i]).parameters().forEach(p -> p.setLrFactor(f));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WorkerReport r && partition == r.partition
        && Arrays.equals(strategies, r.strategies) && Arrays.equals(steps, r.steps)
        && Arrays.deepEquals(values, r.values) && Arrays.equals(layerIndex, r.layerIndex)
        && Arrays.equals(lrFactor, r.lrFactor) && Arrays.equals(deviation, r.deviation)
        && Arrays.equals(gain, r.gain);
  }

  @Override
  public int hashCode() {
    return 31 * partition + Arrays.hashCode(steps) + Arrays.hashCode(lrFactor);
  }
}
