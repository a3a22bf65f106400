package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import org.junit.jupiter.api.Test;

class OffHeapAllocatorTest {

  @Test
  void closingWithOpenBuffersFailsAndFreesThem() {
    OffHeapAllocator alloc = new OffHeapAllocator("leaky");
    Float32Buffer kept = alloc.allocateFloat32(10);
    alloc.allocateInt8(3).close();
    assertEquals(40, alloc.allocatedBytes());
    IllegalStateException e = assertThrows(IllegalStateException.class, alloc::close);
    assertTrue(e.getMessage().contains("1 open buffer"), e.getMessage());
    assertTrue(kept.isClosed());
    assertEquals(0, alloc.allocatedBytes());
    alloc.close(); // idempotent
  }

  @Test
  void buffersAreAlignedZeroedAndUnusableAfterClose() {
    try (OffHeapAllocator alloc = new OffHeapAllocator("t")) {
      Int32Buffer b = alloc.allocateInt32(5);
      assertArrayEquals(new int[5], b.toArray());
      b.copyFrom(new int[] {1, 2, 3, 4, 5});
      Int32Buffer view = b.slice(1, 3);
      assertArrayEquals(new int[] {2, 3, 4}, view.toArray());
      view.set(0, 20);
      assertEquals(20, b.get(1));
      b.close();
      b.close();
      assertThrows(IllegalStateException.class, () -> b.get(0));
      assertThrows(IllegalStateException.class, () -> view.get(0));
      assertThrows(IllegalArgumentException.class, () -> alloc.allocateInt8(0));
    }
  }

  @Test
  void limitIsEnforced() {
    try (OffHeapAllocator alloc = new OffHeapAllocator("small", 100)) {
      try (Int8Buffer a = alloc.allocateInt8(60)) {
        IllegalStateException e =
            assertThrows(IllegalStateException.class, () -> alloc.allocateInt8(41));
        assertTrue(e.getMessage().contains("limit of 100"), e.getMessage());
        assertEquals(60, a.length());
      }
    }
  }

  @Test
  void backendSelectionNamesItsChoice() {
    assertEquals("java", Backends.byName("java").name());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Backends.byName("gpu-please"));
    assertTrue(e.getMessage().contains("int8.backend=gpu-please"), e.getMessage());
    String expected = NativeBackend.unavailableReason() == null ? "native" : "java";
    assertEquals(expected, Backends.byName("auto").name());
  }
}
