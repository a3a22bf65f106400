package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/** Bulk views of host buffers for the references that work on heap copies of their operands. */
final class HostArrays {
  private HostArrays() {}

  static FloatBuffer floats(Float32Buffer b) {
    return b.bytes().duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /** The bit patterns of the floats, for operations defined on them (ReLU's sign tests). */
  static IntBuffer bits(Float32Buffer b) {
    return b.bytes().duplicate().order(ByteOrder.nativeOrder()).asIntBuffer();
  }

  /** The first {@code count} elements. */
  static float[] read(Float32Buffer b, int count) {
    float[] a = new float[count];
    floats(b).get(0, a, 0, count);
    return a;
  }
}
