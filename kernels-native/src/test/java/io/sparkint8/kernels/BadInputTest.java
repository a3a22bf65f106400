package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Trans;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad sizes, dimensions and buffers throw IllegalArgumentException with a message naming the argument;
 * none reaches native code unchecked, and the native glue rejects them too when called directly.
 */
public class BadInputTest {
  OffHeapAllocator alloc;

  static List<Int8Backend> backends() {
    return Backend.all();
  }

  @BeforeEach
  public void open() {
    alloc = new OffHeapAllocator("bad-input");
  }

  @AfterEach
  public void close() {
    alloc.close();
  }

  private static void rejects(String fragment, Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '"
        + fragment + "'");
  }

  @Test
  void descriptorsRejectBadDimensions() {
    rejects("m=0", () -> GemmDesc.of(0, 3, 3));
    rejects("k=-1", () -> GemmDesc.of(2, 3, -1));
    rejects("lda=2", () -> new GemmDesc(Trans.N, Trans.N, 4, 4, 4, 2, 4, 4));
    rejects("ldc=3", () -> new GemmDesc(Trans.N, Trans.T, 4, 4, 4, 4, 4, 3));
    rejects("bits=9", () -> QuantDesc.perTensor(2, 2).withBits(9));
    rejects("group=0", () -> QuantDesc.perTensor(2, 2).withGroups(0, false));
    rejects("at most 2^31-1 elements", () -> QuantDesc.perTensor(65536, 65536));
    rejects("stride", () -> ConvDesc.of(1, 4, 4, 1, 3, 0, 0));
    rejects("larger than the padded image", () -> ConvDesc.of(1, 2, 2, 1, 5, 1, 1));
    rejects("exceeds 2^31-1", () -> ConvDesc.of(1 << 10, 1 << 10, 1 << 10, 8, 1, 1, 0));
  }

  @ParameterizedTest
  @MethodSource("backends")
  public void tooSmallBuffersAreRejected(Int8Backend be) {
    GemmDesc d = GemmDesc.of(4, 5, 6);
    try (Int8Buffer a = alloc.allocateInt8(24);
        Int8Buffer small = alloc.allocateInt8(29);
        Int8Buffer b = alloc.allocateInt8(30);
        Int32Buffer c = alloc.allocateInt32(20);
        Int32Buffer cSmall = alloc.allocateInt32(19);
        Float32Buffer cf = alloc.allocateFloat32(20);
        Float32Buffer scales = alloc.allocateFloat32(3);
        Float32Buffer f = alloc.allocateFloat32(10);
        Int8Buffer q = alloc.allocateInt8(9);
        Int8Buffer q10 = alloc.allocateInt8(10)) {
      rejects("'b' holds 29", () -> be.gemmS8S8S32(d, a, small, c));
      rejects("'c' holds 19", () -> be.gemmS8S8S32(d, a, b, cSmall));
      rejects("'rowScale' holds 3",
          () -> be.gemmS8S8F32(d, a, b, Epilogue.rowsAndColumns(scales, null), cf));
      rejects("'codes' holds 9", () -> be.quantize(QuantDesc.perTensor(2, 5), f, null, q, scales));
      rejects("'scales' holds 3", () -> be.quantize(QuantDesc.perRow(5, 2), f, null, q10, scales));
      rejects("'out' holds 3", () -> be.absmax(2, 5, f, Axis.COLUMN, scales));
      rejects("'cols' holds 9", () -> be.im2col(ConvDesc.of(1, 3, 3, 1, 3, 1, 1), q, q));
      rejects("candidate[0]", () -> be.clipCosineDeviation(f, 10, 8, new float[] {0f}));
      rejects("count=0", () -> be.relu(0, q, q, q));
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  public void outOfRangeArgmaxIsRejected(Int8Backend be) {
    ConvDesc d = ConvDesc.of(1, 4, 4, 2, 2, 2, 0);
    try (Float32Buffer g = alloc.allocateFloat32(d.pooledSize());
        Int32Buffer arg = alloc.allocateInt32(d.pooledSize());
        Float32Buffer gin = alloc.allocateFloat32(d.inputSize())) {
      arg.set(3, d.inputSize());
      rejects("argmax[3]", () -> be.maxPoolBackward(d, g, arg, gin));
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  public void closedBuffersAndForeignPackingAreRejected(Int8Backend be) {
    GemmDesc d = GemmDesc.of(2, 2, 2);
    Int8Buffer a = alloc.allocateInt8(4);
    try (Int8Buffer b = alloc.allocateInt8(4);
        Int32Buffer c = alloc.allocateInt32(4);
        PackedB other = new JavaBackend().packB(alloc, Trans.N, 2, 2, 2, b);
        PackedB wrongShape = be.packB(alloc, Trans.N, 1, 4, 4, b)) {
      a.close();
      assertThrows(IllegalStateException.class, () -> be.gemmS8S8S32(d, a, b, c));
      try (Int8Buffer a2 = alloc.allocateInt8(4)) {
        if (!be.name().equals("java")) {
          rejects("made by java/java", () -> be.gemmS8S8S32(d, a2, other, c));
        }
        rejects("packed b is 1 x 4", () -> be.gemmS8S8S32(d, a2, wrongShape, c));
      }
    }
  }
}
