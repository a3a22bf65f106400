package io.sparkint8.train;

import io.sparkint8.nn.StepResult;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The step results of this executor JVM's partitions at the latest int8 step, kept so that a
 * saturation redo ({@link GradientSaturation}) quantizes them again with its own scales instead of
 * computing the step again. A redo runs with the first attempt's broadcast, step and partitions, so
 * its forward and backward would produce these results bit for bit; only the scales differ, and
 * those enter after the step, in {@link GradientAccumulator#of}. A redo that finds nothing here
 * (another executor ran the first attempt, the entry was evicted, or the budget was full) computes
 * the step as before and gets the same bits.
 *
 * <p>Entries are keyed by the fit's pool key, the state broadcast's id, the step and the
 * partition; keeping one evicts every entry of another pool key or an older step, so at most one
 * step's partitions are held. A redo takes its entry out. The gradients held are bounded by
 * {@link #BUDGET_BYTES}; beyond it a result is not kept.
 */
public final class KeptSteps {
  /** The most gradient bytes kept at once by one JVM. */
  static final long BUDGET_BYTES = 256L << 20;

  /** One partition's step, as a Spark task computed it. */
  record Key(String poolKey, long broadcastId, long step, int partition) {}

  /** What a redo needs of a step to build its leaf: the step's result and the worker's report. */
  record Kept(StepResult result, WorkerReport report) {
    long bytes() {
      long n = 0;
      for (float[] g : result.gradients()) {
        n += 4L * g.length;
      }
      return n;
    }
  }

  private static final Map<Key, Kept> KEPT = new HashMap<>();
  private static long keptBytes;
  private static final AtomicLong REUSED = new AtomicLong();

  private KeptSteps() {}

  /** Keeps {@code kept} under {@code key}, evicting older steps and other fits first. */
  static synchronized void keep(Key key, Kept kept) {
    Iterator<Map.Entry<Key, Kept>> it = KEPT.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Key, Kept> e = it.next();
      Key k = e.getKey();
      if (!k.poolKey().equals(key.poolKey()) || k.step() < key.step()) {
        keptBytes -= e.getValue().bytes();
        it.remove();
      }
    }
    long bytes = kept.bytes();
    if (keptBytes + bytes > BUDGET_BYTES) {
      return;
    }
    Kept old = KEPT.put(key, kept);
    keptBytes += bytes - (old == null ? 0 : old.bytes());
  }

  /** The step kept under {@code key}, taken out; null when none is. */
  static synchronized Kept take(Key key) {
    Kept kept = KEPT.remove(key);
    if (kept != null) {
      keptBytes -= kept.bytes();
      REUSED.incrementAndGet();
    }
    return kept;
  }

  /** Forgets every kept step (the fit's networks were closed). */
  static synchronized void clear() {
    KEPT.clear();
    keptBytes = 0;
  }

  /**
   * How many partitions' steps this JVM has taken out for a redo instead of computing them again
   * (a monitoring count; tests check with it that redos reuse their first attempt).
   */
  public static long reused() {
    return REUSED.get();
  }

  /** The entries kept now (for tests). */
  static synchronized int size() {
    return KEPT.size();
  }
}
