package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Trans;
import org.junit.jupiter.api.Test;

/**
 * The native kernels' temporaries are counted: a GEMM that packs an unpacked B holds at least B's
 * packed bytes while it runs and gives them back when it returns, so the peak rises during a call
 * and a reset between calls starts it from nothing held.
 */
class NativeScratchTest {
  @Test
  void gemmScratchIsCountedAndReturned() {
    NativeBackend nat = NativeTestSupport.nativeBackend();
    int m = 64;
    int n = 320;
    int k = 1000;
    try (OffHeapAllocator alloc = new OffHeapAllocator("scratch");
        Int8Buffer a = alloc.allocateInt8((long) m * k);
        Int8Buffer b = alloc.allocateInt8((long) n * k);
        Float32Buffer c = alloc.allocateFloat32((long) m * n)) {
      nat.resetNativeScratchPeak();
      assertEquals(0, nat.nativeScratchPeakBytes(), "nothing is held between calls");
      nat.gemmS8S8F32(GemmDesc.of(Trans.N, Trans.T, m, n, k), a, b, Epilogue.scale(1f), c);
      long peak = nat.nativeScratchPeakBytes();
      assertTrue(peak >= (long) n * k, "packing B (" + (long) n * k + " bytes) is counted: " + peak);
      nat.resetNativeScratchPeak();
      assertEquals(0, nat.nativeScratchPeakBytes(), "the call gave its scratch back");
    }
  }
}
