package io.sparkint8.kernels.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.NativeTestSupport;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The JNI glue checks every size it is given, below the Java checks: bad calls return ERR_ARG. */
class NativeGlueTest {
  @Test
  void nativeGlueChecksSizesItself() {
    NativeTestSupport.nativeBackend();
    ByteBuffer a = ByteBuffer.allocateDirect(16);
    ByteBuffer c = ByteBuffer.allocateDirect(64);
    // b is too small for 4 x 4 x 4, and ldb < n: both must come back as ERR_ARG, not a crash
    assertEquals(NativeBackend.ERR_ARG, NativeBackend.gemmS8S8S32(0, 0, 4, 4, 4, 4, 4, 4, 1, a,
        ByteBuffer.allocateDirect(15), null, c));
    assertTrue(NativeBackend.lastError().contains("'b' holds 15"), NativeBackend.lastError());
    assertEquals(NativeBackend.ERR_ARG, NativeBackend.gemmS8S8S32(0, 0, 4, 4, 4, 4, 2, 4, 1, a,
        ByteBuffer.allocateDirect(64), null, c));
    assertTrue(NativeBackend.lastError().contains("ldb=2"), NativeBackend.lastError());
    assertEquals(NativeBackend.ERR_ARG, NativeBackend.gemmS8S8F32(0, 0, -4, 4, 4, 4, 4, 4, 1, a, a,
        null, c, 1f, null, null, null, 0f));
    assertEquals(NativeBackend.ERR_ARG, NativeBackend.relu(-5, a, a, a));
    assertTrue(NativeBackend.lastError().contains("relu: count=-5"), NativeBackend.lastError());
    assertEquals(NativeBackend.ERR_ARG, NativeBackend.relu(17, a, a, a));
    assertTrue(NativeBackend.lastError().contains("'src' holds 16 bytes, the call needs 17"),
        NativeBackend.lastError());
    // a stride of 0, and a descriptor too short to be one
    assertEquals(NativeBackend.ERR_ARG,
        NativeBackend.maxPool(new int[] {1, 4, 4, 1, 2, 2, 0, 1, 0, 0}, a, a, c));
    assertTrue(NativeBackend.lastError().contains("max_pool: kernel 2x2 stride 0x1"),
        NativeBackend.lastError());
    assertEquals(NativeBackend.ERR_ARG, NativeBackend.im2colS8(new int[] {1, 4, 4}, a, a));
    assertEquals(NativeBackend.ERR_ARG, NativeBackend.quantize(2, 2, 8, 0, 0, 0, false, 0, 0,
        ByteBuffer.allocateDirect(8), null, a, c));
    assertEquals(NativeBackend.ERR_ARG, NativeBackend.gemmS8S8S32(0, 0, 1 << 20, 1 << 20, 1 << 20,
        1 << 20, 1 << 20, 1 << 20, 1, a, a, null, c));
    // a per-channel array shorter than the channels, and one missing
    assertEquals(NativeBackend.ERR_ARG,
        NativeBackend.bnStatistics(2, 4, c, new double[4], new double[3], new double[4]));
    assertTrue(NativeBackend.lastError().contains("array 'm2' is null or shorter than 4"),
        NativeBackend.lastError());
    assertEquals(NativeBackend.ERR_ARG, NativeBackend.columnSumsF32(4, 4, c, null));
    // a heap buffer has no address: rejected, not dereferenced
    assertEquals(NativeBackend.ERR_ARG, NativeBackend.relu(4, ByteBuffer.allocate(4), a, a));
    // overlapping transpose operands are caught by the op's own check
    assertEquals(NativeBackend.ERR_ARG, NativeBackend.transposeF32(2, 2, c, c));
    assertTrue(NativeBackend.lastError().contains("transpose_f32: src and dst overlap"),
        NativeBackend.lastError());
  }
}
