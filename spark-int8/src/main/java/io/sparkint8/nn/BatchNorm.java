package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.spi.BnAffine;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.StemMoments;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.Parameter;
import java.util.Arrays;
import java.util.List;

/**
 * Batch normalisation over the channels of NHWC activations (BN-1d for flat inputs), in fp32, with
 * optional rectification and an L1 variant.
 *
 * <p>Training normalises with this batch's statistics and reports them ({@link #batchStats()}) for the
 * driver to merge across partitions; running statistics move only through {@link
 * #updateRunning(BnStats)}, so a partitioned step and a local one update them the same way.
 *
 * <p>Rectification (ALGORITHMS.md §4, our reading): with quantized errors, noise entering BN's backward
 * is multiplied by gamma/sigma per channel; the loss lambda * sum_c max(0, |gamma_c|/sigma_c - 1)^2 (sigma
 * a constant of the batch) pushes that gain down. Its gradient is added to gamma's, scaled by the batch
 * rows so that it counts once after the trainer divides by the global batch.
 *
 * <p>L1 variant ("bn-l1", Guo et al.): the denominator is sqrt(pi/2) * mean|x - mean| + eps; its backward
 * needs only signs and means.
 *
 * <p>No xhat is kept: the backward recomputes it from the forward input (the previous layer's
 * output, which stays valid until that layer's next forward) with the same per-channel numbers
 * ({@link BnAffine}), bit for bit. A ReLU right after the BN is fused into it ({@link #fusesRelu()}):
 * the normalize pass writes the rectified output and the backward passes mask the error by the
 * forward output, recomputed the same way, so neither a pre-ReLU buffer nor a pass of its own is
 * needed; the {@link Relu} layer of the spec stays in the tree and passes values through. The bits
 * are those of the two layers run apart.
 *
 * <p>A max-pool whose windows tile the image (stride == kernel, no padding) right after that ReLU is
 * fused too ({@link #fusedPoolKernel()}): the forward writes only the pooled output and its argmax,
 * never the normalized tensor, and the backward takes the pooled error and reads each element's error
 * from its window's argmax instead of a scattered error tensor. That saves writing and reading the
 * full-size activation twice in the forward and three full-size passes in the backward, at the bits
 * of the three layers run apart; the {@link Pool2d} stays in the tree and passes through.
 */
public final class BatchNorm extends Layer {
  private static final double SQRT_HALF_PI = Math.sqrt(Math.PI / 2);

  private final boolean l1;
  private final boolean relu;
  private final int c;
  private final Parameter gamma;
  private final Parameter beta;
  private final double[] runningMean;
  private final double[] runningScale; // the denominator: sqrt(var + eps), or the L1 one
  private final double[] scale;
  private final float[] meanF;
  private final float[] invScaleF;
  private final double[] mean;
  private final Float32Buffer y;
  private final Float32Buffer gx;
  private final int poolKernel; // 0: no fused max-pool
  private final Shape pooled;
  private final Int32Buffer argmax;
  private BnStats lastStats;
  private Float32Buffer lastInput;
  private BnAffine lastAffine;
  private double lastGain = Double.NaN;
  private double lastRectLoss;
  // heap scratch for the L1 variant's backward (reused across steps, grown on demand); the other loops
  // run as backend kernels on the off-heap buffers
  private float[] gA;
  private float[] hA;
  private float[] outA;
  private final double[] sumG;
  private final double[] sumGh;
  private final double[] coefA;
  private final double[] coefB;
  private final double[] coefK;
  private final float[] coefF;
  // the direct stem convolution in front of this layer when its backward is fused into this one's
  private Conv2d stem;
  private StemMoments stemMoments;
  private float[] stemWeightGrad;
  private float[] stemBiasGrad;

  public BatchNorm(LayerContext ctx, Shape in, int maxBatch, boolean l1) {
    this(ctx, in, maxBatch, l1, false);
  }

  /** A BN layer that also applies the ReLU following it when {@code relu}. */
  public BatchNorm(LayerContext ctx, Shape in, int maxBatch, boolean l1, boolean relu) {
    this(ctx, in, maxBatch, l1, relu, false);
  }

  /**
   * ... whose output, when {@code sharedOutput}, lives in the network's shared slots (its consumer
   * reads it once and keeps nothing of it, e.g. a max-pool).
   */
  BatchNorm(LayerContext ctx, Shape in, int maxBatch, boolean l1, boolean relu,
      boolean sharedOutput) {
    this(ctx, in, maxBatch, l1, relu, sharedOutput, 0);
  }

  /**
   * ... that also applies the max-pool of {@code poolKernel} x {@code poolKernel} windows at stride
   * {@code poolKernel} following the ReLU when {@code poolKernel > 0} (the output, shared or not, is
   * then the pooled tensor).
   */
  BatchNorm(LayerContext ctx, Shape in, int maxBatch, boolean l1, boolean relu,
      boolean sharedOutput, int poolKernel) {
    super(ctx, in, maxBatch, l1 ? "bnl1" : "bn");
    if (poolKernel < 0 || (poolKernel > 0 && (l1 || !relu || poolKernel > in.height()
        || poolKernel > in.width()))) {
      throw new IllegalArgumentException(describeKind(l1) + ": cannot fuse a max-pool of "
          + poolKernel + " (needs the standard variant, a fused ReLU and a window inside " + in
          + ")");
    }
    this.l1 = l1;
    this.relu = relu;
    this.c = in.channels();
    float[] ones = new float[c];
    Arrays.fill(ones, 1f);
    this.gamma = Parameter.noDecay(name() + ".gamma", ones);
    this.beta = Parameter.noDecay(name() + ".beta", new float[c]);
    this.runningMean = new double[c];
    this.runningScale = new double[c];
    Arrays.fill(runningScale, l1 ? 1.0 : Math.sqrt(1.0 + ctx.config().bnEps()));
    this.scale = new double[c];
    this.meanF = new float[c];
    this.invScaleF = new float[c];
    this.mean = new double[c];
    this.poolKernel = poolKernel;
    this.pooled = poolKernel > 0
        ? Shape.chw(c, in.height() / poolKernel, in.width() / poolKernel) : null;
    Shape outShape = poolKernel > 0 ? pooled : in;
    this.y = sharedOutput ? newTransient(outShape) : newActivation(outShape);
    this.argmax = poolKernel > 0
        ? own(ctx.allocator().allocateInt32((long) maxBatch * pooled.size())) : null;
    this.gx = newTransient(in);
    this.sumG = new double[c];
    this.sumGh = new double[c];
    this.coefA = new double[c];
    this.coefB = new double[c];
    this.coefK = new double[c];
    this.coefF = new float[c];
  }

  @Override
  public Shape outputShape() {
    return in;
  }

  /** Whether this layer applies the ReLU that follows it in the spec. */
  public boolean fusesRelu() {
    return relu;
  }

  /** The window (and stride) of the max-pool this layer applies after its ReLU; 0 for none. */
  public int fusedPoolKernel() {
    return poolKernel;
  }

  /**
   * Takes this layer's first statistics pass from {@code conv}, the network's direct stem convolution
   * whose output this layer (with its fused max-pool) normalizes (it sums its output as it writes it,
   * at the same bits), and fuses that convolution's backward into this layer's: one pass over the stem's output gives this
   * layer's sums and two window moments ({@link
   * io.sparkint8.kernels.spi.Int8Backend#bnMaxPoolBackwardMoments}), from which the stem's weight and
   * bias gradients follow by linearity, so the input gradient of this layer (the step's largest tensor)
   * is never written and the stem's own backward does nothing. The stem's gradients and this layer's
   * gamma and beta gradients equal those of the layers run apart up to rounding (blocked float sums
   * added in double instead of double sums, and the stem's by linearity; NetworkBuildTest bounds the
   * difference).
   */
  void fuseStemBackward(Conv2d conv) {
    if (poolKernel == 0 || !conv.isDirectStem() || !conv.outputShape().equals(in)) {
      throw new IllegalStateException(describe() + ": cannot fuse the backward of " + conv.describe()
          + " (needs a fused max-pool and a direct stem convolution whose output is this layer's "
          + in + " input)");
    }
    conv.fuseBackwardInto(this);
    stem = conv;
    int patch = conv.parameters().get(0).size() / c;
    stemMoments = new StemMoments(c, patch);
    stemWeightGrad = new float[c * patch];
    stemBiasGrad = new float[c];
  }

  /** Whether this layer computes the gradients of the stem in front of it. */
  public boolean fusesStemBackward() {
    return stem != null;
  }

  private ConvDesc poolWindow(int batch) {
    return new ConvDesc(batch, in.height(), in.width(), c, poolKernel, poolKernel, poolKernel,
        poolKernel, 0, 0);
  }

  @Override
  public String describe() {
    return describeKind(l1);
  }

  private static String describeKind(boolean l1) {
    return l1 ? "bn-l1" : "bn";
  }

  @Override
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    checkBatch(batch);
    int rows = batch * in.height() * in.width();
    if (training) {
      computeBatchStats(x, rows);
    } else {
      System.arraycopy(runningMean, 0, mean, 0, c);
      System.arraycopy(runningScale, 0, scale, 0, c);
    }
    // float mean and reciprocal per channel: a per-element double division does not vectorize
    float[] mu = meanF;
    float[] inv = invScaleF;
    for (int ch = 0; ch < c; ch++) {
      mu[ch] = (float) mean[ch];
      inv[ch] = (float) (1.0 / scale[ch]);
    }
    lastInput = x;
    lastAffine = new BnAffine(mu, inv, gamma.values(), beta.values());
    if (poolKernel > 0) {
      Float32Buffer out = transientBuffer(y, x, (long) batch * pooled.size());
      ctx.backend().bnMaxPool(poolWindow(batch), x, lastAffine, relu, out, argmax);
      return out;
    }
    Float32Buffer out = transientBuffer(y, x, (long) rows * c);
    ctx.backend().bnNormalize(rows, c, x, lastAffine, relu, out);
    return out;
  }

  private void computeBatchStats(Float32Buffer x, int rows) {
    double eps = ctx.config().bnEps();
    double[] m2 = new double[c];
    double[] mad = new double[c];
    double[] mu = mean;
    double[] sums = stem != null ? stem.takeOutputSums(x) : null;
    if (sums != null) {
      // the stem summed its output as it wrote it: bnStatistics' first pass, the same bits
      for (int ch = 0; ch < c; ch++) {
        mu[ch] = sums[ch] / rows;
      }
      ctx.backend().bnDeviations(rows, c, x, mu, m2, mad);
    } else {
      ctx.backend().bnStatistics(rows, c, x, mu, m2, mad);
    }
    for (int ch = 0; ch < c; ch++) {
      mad[ch] /= rows;
      scale[ch] = l1 ? SQRT_HALF_PI * mad[ch] + eps : Math.sqrt(m2[ch] / rows + eps);
    }
    lastStats = new BnStats(rows, mu, m2, mad);
  }

  /** This step's batch statistics (after a training forward). */
  public BnStats batchStats() {
    return lastStats;
  }

  /** Moves the running statistics toward merged batch statistics (momentum from the config). */
  public void updateRunning(BnStats merged) {
    if (merged.channels() != c) {
      throw new IllegalArgumentException(
          describe() + ": stats of " + merged.channels() + " channels, expected " + c);
    }
    double mom = ctx.config().bnMomentum();
    double eps = ctx.config().bnEps();
    for (int ch = 0; ch < c; ch++) {
      double s = l1 ? SQRT_HALF_PI * merged.meanAbsDev()[ch] + eps
          : Math.sqrt(merged.variance(ch) + eps);
      runningMean[ch] = (1 - mom) * runningMean[ch] + mom * merged.mean()[ch];
      runningScale[ch] = (1 - mom) * runningScale[ch] + mom * s;
    }
  }

  public double[] runningMean() {
    return runningMean.clone();
  }

  public double[] runningScale() {
    return runningScale.clone();
  }

  /** Restores running statistics (model loading). */
  public void setRunning(double[] newMean, double[] newScale) {
    if (newMean.length != c || newScale.length != c) {
      throw new IllegalArgumentException(describe() + ": running stats of the wrong length");
    }
    System.arraycopy(newMean, 0, runningMean, 0, c);
    System.arraycopy(newScale, 0, runningScale, 0, c);
  }

  /** lambda * sum_c max(0, |gamma_c|/sigma_c - 1)^2 of the last training step. */
  public double rectificationLoss() {
    return lastRectLoss;
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    checkBatch(batch);
    int rows = batch * in.height() * in.width();
    int count = rows * c;
    float[] g = gamma.values();
    float[] dg = gamma.grad();
    float[] db = beta.grad();
    double[] sG = sumG;
    double[] sGh = sumGh;
    if (stem != null) {
      ctx.backend().bnMaxPoolBackwardMoments(stem.stemWindow(batch), stem.lastInput(), c,
          poolKernel, gradOut, argmax, lastInput, lastAffine, relu, stemMoments);
      for (int ch = 0; ch < c; ch++) {
        sG[ch] = stemMoments.sumG(ch);
        sGh[ch] = stemMoments.sumGh(ch);
      }
    } else if (poolKernel > 0) {
      ctx.backend().bnMaxPoolBackwardSums(poolWindow(batch), gradOut, argmax, lastInput,
          lastAffine, relu, sG, sGh);
    } else {
      ctx.backend().bnBackwardSums(rows, c, gradOut, lastInput, lastAffine, relu, sG, sGh);
    }
    double lambda = ctx.config().bnRectification();
    lastRectLoss = 0;
    for (int ch = 0; ch < c; ch++) {
      db[ch] = (float) sG[ch];
      double dgamma = sGh[ch];
      double excess = Math.abs(g[ch]) / scale[ch] - 1;
      if (lambda > 0 && excess > 0) {
        lastRectLoss += lambda * excess * excess;
        dgamma += batch * lambda * 2 * excess * Math.signum(g[ch]) / scale[ch];
      }
      dg[ch] = (float) dgamma;
    }
    if (stem != null) {
      stemGradients(rows, g);
      lastGain = Double.NaN; // no input gradient exists
      return null;
    }
    if (!needInputGrad) {
      return null;
    }
    Float32Buffer gradIn = transientBuffer(gx, gradOut, count);
    double[] a = coefA;
    double[] bq = coefB;
    if (!l1) {
      // G_X = (gamma / sigma) (G_y - mean(G_y) - xhat * mean(G_y * xhat))
      double[] k = coefK;
      for (int ch = 0; ch < c; ch++) {
        a[ch] = sG[ch] / rows;
        bq[ch] = sGh[ch] / rows;
        k[ch] = g[ch] / scale[ch];
      }
      if (poolKernel > 0) {
        ctx.backend().bnMaxPoolBackwardInput(poolWindow(batch), gradOut, argmax, lastInput,
            lastAffine, relu, a, bq, k, gradIn);
      } else {
        ctx.backend().bnBackwardInput(rows, c, gradOut, lastInput, lastAffine, relu, a, bq, k,
            gradIn);
      }
    } else {
      l1InputGradient(gradOut, rows, g, sG, sGh, gradIn);
    }
    long outCount = poolKernel > 0 ? (long) batch * pooled.size() : count;
    lastGain = ctx.measuresGains()
        ? HeapScratch.norm(gradIn, count) / HeapScratch.norm(gradOut, outCount) : Double.NaN;
    return gradIn;
  }

  /**
   * The stem's gradients from this step's moments: with G_X = k (g - a - xhat b) (the input gradient
   * of the layers run apart), dW[o][col] = sum_r G_X(r, o) x(r, col) = k (momentG - a windowSum - b
   * momentH) and db[o] = k (sumG - a rows), the sum of xhat being 0; in double.
   */
  private void stemGradients(int rows, float[] g) {
    StemMoments m = stemMoments;
    int patch = m.patch();
    for (int ch = 0; ch < c; ch++) {
      double a = m.sumG(ch) / rows;
      double b = m.sumGh(ch) / rows;
      double k = g[ch] / scale[ch];
      for (int col = 0; col < patch; col++) {
        stemWeightGrad[ch * patch + col] = (float) (k * (m.momentG(ch, col)
            - a * m.windowSum(col) - b * m.momentH(ch, col)));
      }
      stemBiasGrad[ch] = (float) (k * (m.sumG(ch) - a * rows));
    }
    stem.setStemGradients(stemWeightGrad, stemBiasGrad);
  }

  /**
   * The L1 variant's input gradient, on the heap: with d = x - mean, s = c*mean|d| + eps and G_xhat =
   * gamma G_y, G_X = (G_xhat - mean G_xhat)/s - c/(N s^2) * (sign d - mean sign d) * sum(G_xhat * d).
   */
  private void l1InputGradient(Float32Buffer gradOut, int rows, float[] g, double[] sG,
      double[] sGh, Float32Buffer gradIn) {
    int count = rows * c;
    float[] gy = gA = HeapScratch.read(gradOut, gA, count);
    float[] h = hA = HeapScratch.read(lastInput, hA, count);
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        h[base + ch] = (h[base + ch] - meanF[ch]) * invScaleF[ch]; // xhat, as the forward had it
      }
    }
    if (relu) {
      // the fused ReLU's mask: the forward output gamma * xhat + beta, recomputed in float
      float[] bt = beta.values();
      for (int r = 0; r < rows; r++) {
        int base = r * c;
        for (int ch = 0; ch < c; ch++) {
          if (!(g[ch] * h[base + ch] + bt[ch] > 0f)) {
            gy[base + ch] = 0f;
          }
        }
      }
    }
    float[] out = outA = HeapScratch.ensure(outA, count);
    double[] a = coefA;
    double[] meanSign = new double[c];
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        meanSign[ch] += Math.signum(h[base + ch]);
      }
    }
    for (int ch = 0; ch < c; ch++) {
      meanSign[ch] /= rows;
    }
    double[] sumGd = new double[c];
    double[] t2 = new double[c];
    for (int ch = 0; ch < c; ch++) {
      double s = scale[ch];
      sumGd[ch] = g[ch] * sGh[ch] * s; // sum(G_xhat * d) = gamma * sum(G_y * xhat) * s
      a[ch] = g[ch] * sG[ch] / rows;
      t2[ch] = SQRT_HALF_PI / (rows * s * s);
    }
    float[] gf = coefF;
    System.arraycopy(g, 0, gf, 0, c);
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        int i = base + ch;
        double s = scale[ch];
        double v = (gf[ch] * gy[i] - a[ch]) / s
            - t2[ch] * (Math.signum(h[i]) - meanSign[ch]) * sumGd[ch];
        out[i] = (float) v;
      }
    }
    HeapScratch.write(out, gradIn, count);
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(gamma, beta);
  }

  @Override
  public long heapScratchBytes() {
    return floatBytes(gA, hA, outA);
  }

  @Override
  public List<LayerStats> stats() {
    return List.of(new LayerStats(describe() + "#" + id, null, Double.NaN, lastGain));
  }
}
