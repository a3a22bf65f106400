package io.sparkint8.step;

import io.sparkint8.nn.BatchNorm;
import io.sparkint8.nn.BnStats;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.StepResult;
import io.sparkint8.optim.Optimizer;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.optim.Optimizers;
import io.sparkint8.optim.Parameter;
import java.util.List;

/**
 * What ends every training step, in both trainers: from the step's mean gradients, the global
 * batch's BatchNorm statistics, the per-layer DCLRS factors and the learning rate, one optimizer
 * step over the network's parameters and one move of its running BatchNorm statistics. The
 * network is the one whose weights are trained: the local trainer's own, the Spark driver's master
 * copy. How the mean gradients are formed is each trainer's own: the local trainer divides its
 * batch's sums ({@link #meanGradients}), the driver decodes the aggregate.
 */
public final class StepUpdate {
  private final Network net;
  private final Optimizer optimizer;

  /** An update of {@code net}'s parameters by a new optimizer made from {@code optimizer}. */
  public StepUpdate(Network net, OptimizerConfig optimizer) {
    this.net = net;
    this.optimizer = Optimizers.create(optimizer);
  }

  /** The optimizer, whose state (moments, step count) lives across steps. */
  public Optimizer optimizer() {
    return optimizer;
  }

  /**
   * Runs the update.
   *
   * @param meanGradients one array per parameter, in {@link Network#parameters()} order: the
   *     gradient of the mean loss over the global batch
   * @param batchStats the global batch's statistics per BatchNorm, in {@link
   *     Network#batchNorms()} order
   * @param factors the step's per-layer learning-rate factors
   * @param lr the learning rate of this step
   */
  public void apply(float[][] meanGradients, List<BnStats> batchStats, LayerFactors factors,
      double lr) {
    List<Parameter> params = net.parameters();
    List<BatchNorm> bns = net.batchNorms();
    if (meanGradients.length != params.size() || batchStats.size() != bns.size()) {
      throw new IllegalArgumentException("step update: " + meanGradients.length
          + " gradients and " + batchStats.size() + " BN statistics for a network of "
          + params.size() + " parameters and " + bns.size() + " BatchNorms");
    }
    for (int i = 0; i < meanGradients.length; i++) {
      float[] grad = params.get(i).grad();
      if (meanGradients[i].length != grad.length) {
        throw new IllegalArgumentException("step update: gradient " + i + " has "
            + meanGradients[i].length + " values, parameter " + params.get(i).name() + " "
            + grad.length);
      }
      System.arraycopy(meanGradients[i], 0, grad, 0, grad.length);
    }
    factors.applyTo(net);
    optimizer.step(params, lr);
    for (int i = 0; i < bns.size(); i++) {
      bns.get(i).updateRunning(batchStats.get(i));
    }
  }

  /**
   * The gradients of the mean loss over one batch: the step's gradients of the summed loss divided
   * by its rows, in place (the result owns its arrays) and in float, as the local trainer always
   * did.
   */
  public static float[][] meanGradients(StepResult result) {
    float[][] g = result.gradients();
    int rows = result.rows();
    for (float[] tensor : g) {
      for (int i = 0; i < tensor.length; i++) {
        tensor[i] /= rows;
      }
    }
    return g;
  }
}
