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
    assertEquals(NativeKernels.ERR_ARG, NativeKernels.gemmS8(0, 0, 4, 4, 4, 4, 4, 4, 1, a,
        ByteBuffer.allocateDirect(15), null, c, false, 1f, null, null, null, 0f));
    assertTrue(NativeKernels.lastError().contains("'b' holds 15"), NativeKernels.lastError());
    assertEquals(NativeKernels.ERR_ARG, NativeKernels.gemmS8(0, 0, 4, 4, 4, 4, 2, 4, 1, a,
        ByteBuffer.allocateDirect(64), null, c, false, 1f, null, null, null, 0f));
    assertTrue(NativeKernels.lastError().contains("ldb=2"), NativeKernels.lastError());
    assertEquals(NativeKernels.ERR_ARG, NativeKernels.gemmS8(0, 0, -4, 4, 4, 4, 4, 4, 1, a, a,
        null, c, false, 1f, null, null, null, 0f));
    assertEquals(NativeKernels.ERR_ARG, NativeKernels.relu(-5, a, a, a));
    assertEquals(NativeKernels.ERR_ARG, NativeKernels.relu(17, a, a, a));
    assertEquals(NativeKernels.ERR_ARG, NativeKernels.window(4, 1, 4, 4, 1, 2, 2, 0, 1, 0, 0, a,
        a, c));
    assertEquals(NativeKernels.ERR_ARG, NativeKernels.quantize(2, 2, 8, 0, 0, 0, false, 0, 0,
        ByteBuffer.allocateDirect(8), null, a, c));
    assertEquals(NativeKernels.ERR_ARG, NativeKernels.gemmS8(0, 0, 1 << 20, 1 << 20, 1 << 20,
        1 << 20, 1 << 20, 1 << 20, 1, a, a, null, c, false, 1f, null, null, null, 0f));
    // a heap buffer has no address: rejected, not dereferenced
    assertEquals(NativeKernels.ERR_ARG, NativeKernels.relu(4, ByteBuffer.allocate(4), a, a));
  }
}
