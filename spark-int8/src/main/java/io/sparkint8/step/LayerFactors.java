package io.sparkint8.step;

import io.sparkint8.nn.Layer;
import io.sparkint8.nn.LayerStats;
import io.sparkint8.nn.Network;
import io.sparkint8.optim.Parameter;
import io.sparkint8.quant.Dclrs;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The per-layer learning-rate factors of one step (DCLRS, ALGORITHMS.md §2) and what they come
 * from: for every conv/fc layer that clipped its error at the step, its index in {@link
 * Network#layers()}, the factor φ(d), the DSGC deviation d (NaN when not measured at this step)
 * and the error gain ||G_X|| / ||G_Y||. Immutable: the arrays are copied in and out.
 */
public record LayerFactors(int[] layerIndex, double[] lrFactor, double[] deviation,
    double[] gain) implements Serializable {

  private static final LayerFactors NONE =
      new LayerFactors(new int[0], new double[0], new double[0], new double[0]);

  public LayerFactors {
    int n = layerIndex.length;
    if (lrFactor.length != n || deviation.length != n || gain.length != n) {
      throw new IllegalArgumentException("layer factors: " + n + " layer indices, "
          + lrFactor.length + " factors, " + deviation.length + " deviations and " + gain.length
          + " gains; expected as many of each");
    }
    layerIndex = layerIndex.clone();
    lrFactor = lrFactor.clone();
    deviation = deviation.clone();
    gain = gain.clone();
  }

  /** No measured layer: every parameter learns at the full rate. */
  public static LayerFactors none() {
    return NONE;
  }

  /**
   * The factors of {@code net} right after its training step ({@link Network#trainStep}), from
   * each layer's clipping statistics and the DCLRS setting of the network's engine.
   */
  public static LayerFactors measure(Network net) {
    Dclrs dclrs = net.context().config().dclrs();
    List<Integer> index = new ArrayList<>();
    List<LayerStats> measured = new ArrayList<>();
    List<Layer> layers = net.layers();
    for (int l = 0; l < layers.size(); l++) {
      for (LayerStats st : layers.get(l).stats()) {
        if (st.clip() != null) {
          index.add(l);
          measured.add(st);
        }
      }
    }
    int n = index.size();
    int[] layerIndex = new int[n];
    double[] factor = new double[n];
    double[] dev = new double[n];
    double[] gain = new double[n];
    for (int i = 0; i < n; i++) {
      LayerStats st = measured.get(i);
      layerIndex[i] = index.get(i);
      factor[i] = dclrs.factor(st.clip());
      dev[i] = st.clip().deviation();
      gain[i] = st.gradientGain();
    }
    return new LayerFactors(layerIndex, factor, dev, gain);
  }

  /** How many layers were measured. */
  public int size() {
    return layerIndex.length;
  }

  @Override
  public int[] layerIndex() {
    return layerIndex.clone();
  }

  @Override
  public double[] lrFactor() {
    return lrFactor.clone();
  }

  /** DSGC deviation 1 - cos per measured layer (NaN when not measured at this step). */
  @Override
  public double[] deviation() {
    return deviation.clone();
  }

  @Override
  public double[] gain() {
    return gain.clone();
  }

  /** Sets each parameter's rate factor: the layer's factor where measured, 1 elsewhere. */
  void applyTo(Network net) {
    net.parameters().forEach(p -> p.setLrFactor(1.0));
    List<Layer> layers = net.layers();
    for (int i = 0; i < layerIndex.length; i++) {
      if (layerIndex[i] < 0 || layerIndex[i] >= layers.size()) {
        throw new IllegalArgumentException("layer factors name layer " + layerIndex[i]
            + ", the network has " + layers.size());
      }
      for (Parameter p : layers.get(layerIndex[i]).parameters()) {
        p.setLrFactor(lrFactor[i]);
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LayerFactors f && Arrays.equals(layerIndex, f.layerIndex)
        && Arrays.equals(lrFactor, f.lrFactor) && Arrays.equals(deviation, f.deviation)
        && Arrays.equals(gain, f.gain);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(layerIndex) + Arrays.hashCode(lrFactor);
  }

  @Override
  public String toString() {
    return "LayerFactors[layers " + Arrays.toString(layerIndex) + ", factors "
        + Arrays.toString(lrFactor) + "]";
  }
}
