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

  /** Nanoseconds of one layer, and the integer or floating-point operations of its GEMMs. */
  static final class Times {
    long total;
    final long[] kernels = new long[Kind.values().length];
    long gemmOps;

    /** GEMM operations per second of GEMM time, in units of 10^9; NaN without GEMMs. */
    double gemmGops() {
      long ns = kernels[Kind.GEMM.ordinal()];
      return ns == 0 || gemmOps == 0 ? Double.NaN : (double) gemmOps / ns;
    }

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
    charge(kind, nanos, 0);
  }

  /** Charges a kernel call that did {@code ops} GEMM operations (2 m n k) to the current layer. */
  void charge(Kind kind, long nanos, long ops) {
    String key = stack.isEmpty() ? "(outside layers)" : stack.peek();
    Times t = times.computeIfAbsent(key, k -> new Times());
    t.kernels[kind.ordinal()] += nanos;
    t.gemmOps += ops;
  }

  Map<String, Times> times() {
    return times;
  }

  void reset() {
    times.clear();
  }
}
