package io.sparkint8.examples;

import io.sparkint8.examples.LayerProfiler.Kind;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;

/**
 * A backend that times every kernel call and charges it to the profiler's current layer: a dynamic proxy
 * over {@link Int8Backend}, so that every operation of the SPI, a new one included, is timed without
 * being named here. GEMMs (and packing B) count as GEMM, quantization and the clipping statistics as
 * quantization, every other operation as other kernel work.
 */
final class TimingBackend implements InvocationHandler {
  /** Methods that describe the backend rather than compute: passed through, not timed. */
  private static final Set<String> QUERIES = Set.of("name", "isa", "threads", "gemmF32Route",
      "nativeScratchPeakBytes", "resetNativeScratchPeak");

  private static final Set<String> QUANTIZATION =
      Set.of("quantize", "quantizeTransposed", "quantizeTransposedBoth", "shiftQuantize",
          "dequantize", "absmax", "channelFractionAboveStd", "clipCosineDeviation",
          "clipCosineSums");

  private final Int8Backend inner;
  private final LayerProfiler profiler;

  private TimingBackend(Int8Backend inner, LayerProfiler profiler) {
    this.inner = inner;
    this.profiler = profiler;
  }

  /** {@code inner}, each of whose kernel calls is charged to {@code profiler}. */
  static Int8Backend wrap(Int8Backend inner, LayerProfiler profiler) {
    return (Int8Backend) Proxy.newProxyInstance(Int8Backend.class.getClassLoader(),
        new Class<?>[] {Int8Backend.class}, new TimingBackend(inner, profiler));
  }

  static Kind kindOf(Method op) {
    String name = op.getName();
    if (name.startsWith("gemm") || name.equals("packB")) {
      return Kind.GEMM;
    }
    return QUANTIZATION.contains(name) ? Kind.QUANTIZATION : Kind.OTHER_KERNEL;
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      switch (method.getName()) {
        case "equals":
          return proxy == args[0];
        case "hashCode":
          return System.identityHashCode(proxy);
        default:
          return "timed " + inner;
      }
    }
    if (method.getName().equals("withThreads")) {
      return wrap(inner.withThreads((Integer) args[0]), profiler);
    }
    if (QUERIES.contains(method.getName())) {
      return call(method, args);
    }
    long t0 = System.nanoTime();
    try {
      return call(method, args);
    } finally {
      profiler.charge(kindOf(method), System.nanoTime() - t0, gemmOps(args));
    }
  }

  /** 2 m n k for a GEMM call (its descriptor comes first), else 0. */
  static long gemmOps(Object[] args) {
    return args != null && args.length > 0 && args[0] instanceof GemmDesc g
        ? 2L * g.m() * g.n() * g.k() : 0;
  }

  private Object call(Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(inner, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
