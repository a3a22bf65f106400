package io.sparkint8.nn;

import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A backend that counts its calls per operation and records every GEMM (int8 or fp32, with its m,
 * n, k): a dynamic proxy over {@link Int8Backend}, as bench-train's TimingBackend wraps one, so
 * every operation of the SPI is seen without being named here.
 */
final class CountingBackend implements InvocationHandler {
  /**
   * One GEMM: {@code int8} for the s8 x s8 GEMMs, {@code fp32} for gemmF32; or a direct
   * convolution, as the GEMM it stands for: {@code int8-direct} [output pixels x channels x window]
   * for convS8Direct and convS8DirectSums (im2col + an int8 GEMM), {@code fp32-direct} [channels x
   * window x output pixels] for convGradWeightF32Direct (an fp32 grad_weight GEMM) and for
   * bnMaxPoolBackwardMoments (the stem's grad_weight taken inside its batch norm's backward).
   */
  record Gemm(String kind, int m, int n, int k) {
    @Override
    public String toString() {
      return kind + "[" + m + " x " + n + " x " + k + "]";
    }
  }

  private final Int8Backend inner;
  private final Map<String, Integer> calls;
  private final List<Gemm> gemms;

  private CountingBackend(Int8Backend inner, Map<String, Integer> calls, List<Gemm> gemms) {
    this.inner = inner;
    this.calls = calls;
    this.gemms = gemms;
  }

  /** The proxy and its counter: {@link #backend()} is what layers get. */
  static CountingBackend over(Int8Backend inner) {
    return new CountingBackend(inner, Collections.synchronizedMap(new TreeMap<>()),
        Collections.synchronizedList(new ArrayList<>()));
  }

  Int8Backend backend() {
    return (Int8Backend) Proxy.newProxyInstance(Int8Backend.class.getClassLoader(),
        new Class<?>[] {Int8Backend.class}, this);
  }

  /** Calls per operation name since the last {@link #reset}. */
  Map<String, Integer> calls() {
    synchronized (calls) {
      return new TreeMap<>(calls);
    }
  }

  /** The GEMMs since the last {@link #reset}, in call order. */
  List<Gemm> gemms() {
    synchronized (gemms) {
      return new ArrayList<>(gemms);
    }
  }

  void reset() {
    calls.clear();
    gemms.clear();
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      return switch (method.getName()) {
        case "equals" -> proxy == args[0];
        case "hashCode" -> System.identityHashCode(proxy);
        default -> "counting " + inner;
      };
    }
    if (method.getName().equals("withThreads")) {
      // the threaded backend counts into the same tallies
      return new CountingBackend(inner.withThreads((Integer) args[0]), calls, gemms).backend();
    }
    calls.merge(method.getName(), 1, Integer::sum);
    if (method.getName().startsWith("gemm") && args != null && args[0] instanceof GemmDesc d) {
      gemms.add(new Gemm(method.getName().equals("gemmF32") ? "fp32" : "int8", d.m(), d.n(),
          d.k()));
    }
    if ((method.getName().equals("convS8Direct") || method.getName().equals("convS8DirectSums"))
        && args[0] instanceof ConvDesc d) {
      gemms.add(new Gemm("int8-direct", d.colRows(), (Integer) args[3], d.colCols()));
    }
    // the stem's grad_weight inside its batch norm's backward: the moments that stand for it
    boolean moments = method.getName().equals("bnMaxPoolBackwardMoments");
    if ((method.getName().equals("convGradWeightF32Direct") || moments)
        && args[0] instanceof ConvDesc d) {
      int outChannels = (Integer) args[moments ? 2 : 3];
      gemms.add(new Gemm("fp32-direct", outChannels, d.colCols(), d.colRows()));
    }
    try {
      return method.invoke(inner, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
