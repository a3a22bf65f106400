package io.sparkint8.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import org.junit.jupiter.api.Test;

/**
 * The network's shared slots: a layer never gets the slot it reads from, nothing is allocated inside a
 * step, and an int8 cnn-small holds at most 512 KiB per training row (the fast-step issue's bar; the
 * bits are checked against a network with its own buffers in {@link NetworkBuildTest}).
 */
class SharedActivationsTest {
  @Test
  void aLayerGetsTheSlotThatDoesNotHoldWhatItReads() {
    try (OffHeapAllocator alloc = new OffHeapAllocator("shared-test");
        SharedActivations shared = new SharedActivations(alloc)) {
      shared.reserve(10);
      Float32Buffer first = shared.other(null, 10);
      Float32Buffer second = shared.other(first, 4);
      Float32Buffer third = shared.other(second, 10);
      assertTrue(shared.holds(first) && shared.holds(second));
      assertSame(first, third, "the slots alternate down a chain, views are reused");
      first.set(0, 7f);
      second.set(0, 9f);
      assertEquals(7f, third.get(0), "the two slots are distinct memory");
      try (Float32Buffer own = alloc.allocateFloat32(10)) {
        assertFalse(shared.holds(own));
        assertSame(first, shared.other(own, 10), "a layer's own buffer is no slot");
      }
      assertThrows(IllegalStateException.class, () -> shared.other(null, 11));
      assertThrows(IllegalStateException.class, () -> shared.reserve(20));
    }
  }

  @Test
  void int8ScratchIsOneRegionCutAtTheCallersOffsets() {
    try (OffHeapAllocator alloc = new OffHeapAllocator("shared-test");
        SharedActivations shared = new SharedActivations(alloc)) {
      shared.reserveInt8(12);
      shared.reserveInt8(8);
      shared.int8Scratch(0, 4).bytes().put(3, (byte) 5);
      assertEquals(5, shared.int8Scratch(2, 10).bytes().get(1));
      assertThrows(IllegalStateException.class, () -> shared.int8Scratch(4, 9));
      assertThrows(IllegalStateException.class, () -> shared.reserveInt8(20));
      assertEquals(2 * 0 + 12, alloc.allocatedBytes(), "only the int8 region was allocated");
    }
  }

  @Test
  void anInt8CnnSmallHoldsAtMost512KibPerTrainingRowAndAllocatesNothingInAStep() {
    int maxBatch = 256;
    Shape image = Shape.chw(1, 28, 28);
    try (OffHeapAllocator alloc = new OffHeapAllocator("cnn-small-bytes")) {
      LayerContext ctx =
          new LayerContext(new JavaBackend(), alloc, EngineConfig.defaults(Precision.INT8));
      try (Network net = Network.build(NetworkSpec.parse("cnn-small", 10), image, maxBatch, ctx);
          Float32Buffer x = alloc.allocateFloat32(2L * image.size())) {
        net.trainStep(x, new int[] {1, 2}, 0, 2);
        long afterFirst = alloc.allocatedBytes();
        net.trainStep(x, new int[] {3, 4}, 0, 2);
        assertEquals(afterFirst, alloc.allocatedBytes(), "a step allocated off-heap memory");
        long perRow = (afterFirst - 4L * 2 * image.size() + net.heapScratchBytes()) / maxBatch;
        assertTrue(perRow <= 512 * 1024, "cnn-small int8 holds " + perRow + " bytes per row");
      }
    }
  }
}
