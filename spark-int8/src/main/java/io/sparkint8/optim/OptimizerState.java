package io.sparkint8.optim;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * An optimizer's state for a checkpoint: its name, the step count and its buffers, keyed {@code
 * "<buffer>/<parameter name>"} (buffers {@code momentum}, {@code m}, {@code v}). Immutable: the
 * arrays are copied in and out. Keys are sorted so a writer walking them produces the same file
 * twice.
 */
public final class OptimizerState {
  private final String optimizer;
  private final long step;
  private final Map<String, float[]> buffers;

  public OptimizerState(String optimizer, long step, Map<String, float[]> buffers) {
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(buffers, "buffers");
    Checks.require(step >= 0, "optimizer state", "step", step, ">= 0");
    TreeMap<String, float[]> copy = new TreeMap<>();
    for (Map.Entry<String, float[]> e : buffers.entrySet()) {
      String key = Objects.requireNonNull(e.getKey(), "buffer key");
      Checks.require(key.indexOf('/') > 0, "optimizer state", "key", key,
          "<buffer>/<parameter name>");
      copy.put(key, Objects.requireNonNull(e.getValue(), key).clone());
    }
    this.optimizer = optimizer;
    this.step = step;
    this.buffers = Collections.unmodifiableMap(copy);
  }

  /** The optimizer's label, e.g. {@code adamw}. */
  public String optimizer() {
    return optimizer;
  }

  public long step() {
    return step;
  }

  /** The buffer keys, sorted. */
  public Set<String> keys() {
    return buffers.keySet();
  }

  /** A copy of the buffer named {@code key}. */
  public float[] buffer(String key) {
    float[] b = buffers.get(key);
    Checks.require(b != null, "optimizer state", "key", key, "one of " + buffers.keySet());
    return b.clone();
  }

  /** A deep copy of all buffers, sorted by key. */
  public Map<String, float[]> buffers() {
    TreeMap<String, float[]> copy = new TreeMap<>();
    buffers.forEach((k, v) -> copy.put(k, v.clone()));
    return copy;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof OptimizerState other)) {
      return false;
    }
    if (!optimizer.equals(other.optimizer) || step != other.step
        || !buffers.keySet().equals(other.buffers.keySet())) {
      return false;
    }
    for (Map.Entry<String, float[]> e : buffers.entrySet()) {
      if (!Arrays.equals(e.getValue(), other.buffers.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(optimizer, step);
    for (Map.Entry<String, float[]> e : buffers.entrySet()) {
      h = 31 * h + e.getKey().hashCode() ^ Arrays.hashCode(e.getValue());
    }
    return h;
  }

  @Override
  public String toString() {
    return "OptimizerState[" + optimizer + ", step=" + step + ", buffers=" + buffers.keySet() + "]";
  }
}
