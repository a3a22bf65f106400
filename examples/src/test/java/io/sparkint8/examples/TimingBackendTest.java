package io.sparkint8.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.examples.LayerProfiler.Kind;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** bench-train's timing proxy passes every call through and sorts each operation into its kind. */
class TimingBackendTest {

  private static Method op(String name) {
    return Arrays.stream(Int8Backend.class.getMethods()).filter(m -> m.getName().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("no SPI method " + name));
  }

  @Test
  void operationsAreSortedByKind() {
    Set<String> spi = Arrays.stream(Int8Backend.class.getMethods()).map(Method::getName)
        .collect(Collectors.toSet());
    for (String gemm : new String[] {"gemmS8S8S32", "gemmS8S8F32", "gemmShiftS8S8F32", "gemmF32",
        "packB"}) {
      assertEquals(Kind.GEMM, TimingBackend.kindOf(op(gemm)), gemm);
    }
    for (String q : new String[] {
      "quantize", "quantizeTransposed", "quantizeTransposedBoth", "shiftQuantize", "dequantize",
      "absmax", "channelFractionAboveStd", "clipCosineDeviation", "clipCosineSums"
    }) {
      assertTrue(spi.contains(q), "the SPI no longer has " + q);
      assertEquals(Kind.QUANTIZATION, TimingBackend.kindOf(op(q)), q);
    }
    for (String other : new String[] {"im2col", "maxPoolF32", "reluBackwardF32", "bnNormalize"}) {
      assertEquals(Kind.OTHER_KERNEL, TimingBackend.kindOf(op(other)), other);
    }
  }

  @Test
  void callsPassThroughAndAreCharged() {
    LayerProfiler profiler = new LayerProfiler();
    Int8Backend be = TimingBackend.wrap(new JavaBackend(), profiler);
    assertEquals("java", be.name());
    assertEquals("java-reference", be.gemmF32Route());
    assertTrue(profiler.times().isEmpty(), "queries are not charged");
    Int8Backend two = be.withThreads(2);
    assertTrue(Proxy.isProxyClass(two.getClass()), "withThreads keeps timing");
    assertEquals(2, two.threads());
    try (OffHeapAllocator alloc = new OffHeapAllocator("timing");
        Float32Buffer x = alloc.allocateFloat32(4).copyFrom(new float[] {-1f, 2f, -3f, 4f});
        Float32Buffer y = alloc.allocateFloat32(4)) {
      be.reluF32(4, x, y);
      assertArrayEquals(new float[] {0f, 2f, 0f, 4f}, y.toArray());
      be.absmax(2, 2, x, Axis.TENSOR, y);
      assertEquals(4f, y.get(0));
      be.gemmF32(GemmDesc.of(1, 1, 4), 1f, x, x, 0f, y);
      assertEquals(30f, y.get(0));
      assertTrue(profiler.times().containsKey("(outside layers)"), profiler.times().toString());
      assertEquals(8, profiler.times().get("(outside layers)").gemmOps, "2 m n k of the one GEMM");
      // the backend's own exception comes out, not a reflection wrapper
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> be.reluF32(5, x, y));
      assertTrue(e.getMessage().contains("'src' holds 4"), e.getMessage());
    }
  }
}
