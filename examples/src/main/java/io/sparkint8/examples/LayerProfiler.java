package io.sparkint8.examples;

import io.sparkint8.nn.Layer;
import io.sparkint8.nn.LayerContext;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall time per layer, split into GEMM, quantization (quantize and the clipping statistics) and other
 * work: layer calls are timed through {@link LayerContext.Observer}, kernel calls through {@link
 * TimingBackend}, which charges them to the innermost layer running.
 */
final class LayerProfiler implements LayerContext.Observer {
  /** What a kernel call counts as. */
  enum Kind {
    GEMM,
    QUANTIZATION,
    OTHER_KERNEL
  }

  /** Nanoseconds of one layer. */
  static final class Times {
    long total;
    final long[] kernels = new long[Kind.values().length];

    long other() {
      return total - kernels[Kind.GEMM.ordinal()] - kernels[Kind.QUANTIZATION.ordinal()];
    }
  }

  private final Map<String, Times> times = new LinkedHashMap<>();
  private final Deque<String> stack = new ArrayDeque<>();
  private final Deque<Long> started = new ArrayDeque<>();

  @Override
  public void enter(Layer layer) {
    stack.push(layer.describe() + "#" + System.identityHashCode(layer));
    started.push(System.nanoTime());
  }

  @Override
  public void exit(Layer layer) {
    long dt = System.nanoTime() - started.pop();
    String key = stack.pop();
    times.computeIfAbsent(key, k -> new Times()).total += dt;
  }

  void charge(Kind kind, long nanos) {
    String key = stack.isEmpty() ? "(outside layers)" : stack.peek();
    times.computeIfAbsent(key, k -> new Times()).kernels[kind.ordinal()] += nanos;
  }

  Map<String, Times> times() {
    return times;
  }

  void reset() {
    times.clear();
  }
}
