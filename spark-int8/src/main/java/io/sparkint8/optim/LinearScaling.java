package io.sparkint8.optim;

/**
 * The linear scaling rule (Goyal et al. 2017): when the global batch grows k-fold, so does the
 * rate, lr = baseLr · globalBatch / referenceBatch with reference 256. The global batch is the sum
 * of the partition batches (ALGORITHMS.md §8), not the per-task one.
 */
public final class LinearScaling {
  public static final int REFERENCE_BATCH = 256;

  private LinearScaling() {}

  /** baseLr · globalBatch / 256. */
  public static double scale(double baseLr, long globalBatch) {
    return scale(baseLr, globalBatch, REFERENCE_BATCH);
  }

  /** baseLr · globalBatch / referenceBatch. */
  public static double scale(double baseLr, long globalBatch, long referenceBatch) {
    Checks.positive("linear scaling", "baseLr", baseLr);
    Checks.require(globalBatch >= 1, "linear scaling", "globalBatch", globalBatch, ">= 1");
    Checks.require(referenceBatch >= 1, "linear scaling", "referenceBatch", referenceBatch, ">= 1");
    return baseLr * globalBatch / referenceBatch;
  }

  /** The warmup start factor that begins at the unscaled rate: 256 / globalBatch, at most 1. */
  public static double warmupStartFactor(long globalBatch) {
    Checks.require(globalBatch >= 1, "linear scaling", "globalBatch", globalBatch, ">= 1");
    return Math.min(1.0, (double) REFERENCE_BATCH / globalBatch);
  }
}
