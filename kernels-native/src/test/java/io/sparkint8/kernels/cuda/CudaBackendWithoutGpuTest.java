package io.sparkint8.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.BadInputTest;
import io.sparkint8.kernels.Cases;
import io.sparkint8.kernels.Compare;
import io.sparkint8.kernels.cuda.FakeCudaDriver;
import io.sparkint8.kernels.cuda.TestPtx;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.StochasticRounding;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Trans;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend's Java side on a fake driver (no GPU): the SPI's argument checks, which kernels each
 * operation launches and with which arguments (checked against the PTX the build produced, or the kernel
 * table's stand-in), grid sizes, staging through scratch, and no device memory left behind. Kernels do
 * not run here, so results are not checked: CudaConformanceTest does that on a GPU.
 */
class CudaBackendWithoutGpuTest {
  FakeCudaDriver driver;
  CudaDevice device;
  CudaBackend be;
  OffHeapAllocator alloc;

  @BeforeEach
  void open() {
    driver = new FakeCudaDriver(FakeCudaDriver.h100(0));
    device = CudaDevice.open(driver, 0, TestPtx.INSTANCE, null);
    be = CudaBackend.on(device);
    alloc = new OffHeapAllocator("cuda-fake");
  }

  @AfterEach
  void close() {
    alloc.close();
    device.close();
    assertEquals(0, driver.liveAllocations(), "device memory left behind");
  }

  /** The kernels launched since the last call, by name. */
  private List<String> launched() {
    List<String> names = new ArrayList<>();
    for (FakeCudaDriver.Launch l : driver.launches()) {
      names.add(l.kernel());
    }
    driver.launches().clear();
    return names;
  }

  @Test
  void identifiesItself() {
    System.out.println("CUDA backend on the fake driver with " + TestPtx.INSTANCE.describe());
    assertEquals("cuda", be.name());
    assertEquals("sm_90-mma", be.isa());
    assertEquals("sm_90-mma", be.withThreads(4).isa());
    assertEquals(4, be.withThreads(4).threads());
    assertEquals("cuda/sm_90-mma (1 thread)", be.toString());
  }

  @Test
  void argumentChecksAreTheSharedOnes() {
    BadInputTest shared = new BadInputTest();
    shared.open();
    try {
      shared.tooSmallBuffersAreRejected(be);
      shared.closedBuffersAndForeignPackingAreRejected(be);
    } finally {
      shared.close();
    }
  }

  private void gemm(GemmDesc d) {
    try (Int8Buffer a = alloc.allocateInt8(d.spanA());
        Int8Buffer b = alloc.allocateInt8(d.spanB());
        Int32Buffer c = alloc.allocateInt32(d.spanC())) {
      be.gemmS8S8S32(d, a, b, c);
    }
  }

  @Test
  void gemmOperandsAreUsedInPlaceOnlyWhenKMajorAndAligned() {
    gemm(GemmDesc.of(Trans.N, Trans.T, 64, 64, 64));
    assertEquals(List.of("int8k_gemm_s8_mma"), launched());
    gemm(GemmDesc.of(Trans.N, Trans.N, 64, 64, 64));
    assertEquals(List.of("int8k_pack_kmajor", "int8k_gemm_s8_mma"), launched(), "B transposed");
    gemm(GemmDesc.of(Trans.T, Trans.T, 64, 64, 64));
    assertEquals(List.of("int8k_pack_kmajor", "int8k_gemm_s8_mma"), launched(), "A transposed");
    gemm(GemmDesc.of(Trans.N, Trans.T, 5, 7, 17));
    assertEquals(List.of("int8k_pack_kmajor", "int8k_pack_kmajor", "int8k_gemm_s8_mma"), launched(),
        "lda = ldb = 17 is not a multiple of 16");
  }

  @Test
  void gemmGridCoversEveryTileInOneDimension() {
    gemm(GemmDesc.of(Trans.N, Trans.T, 300, 129, 32));
    FakeCudaDriver.Launch l = driver.launches().get(0);
    assertEquals(3 * 2, l.dims().gridX());
    assertEquals(256, l.dims().threads());
    assertEquals(CudaGemm.MMA_SMEM, l.dims().sharedBytes());
    assertEquals(49152, CudaGemm.MMA_SMEM, "the kernel's 3 stages x (128 + 128) x 64 bytes");
  }

  @Test
  void longReductionsRunInExactChunksAndFinishInInt64() {
    int k = 2 * GemmDesc.KMAX + 5;
    GemmDesc d = GemmDesc.of(Trans.N, Trans.T, 1, 2, k);
    try (Int8Buffer a = alloc.allocateInt8(d.spanA());
        Int8Buffer b = alloc.allocateInt8(d.spanB());
        Float32Buffer c = alloc.allocateFloat32(d.spanC())) {
      be.gemmS8S8F32(d, a, b, Epilogue.scale(2f), c);
    }
    List<FakeCudaDriver.Launch> ls = new ArrayList<>(driver.launches());
    assertEquals(List.of("int8k_pack_kmajor", "int8k_pack_kmajor", "int8k_gemm_s8_mma",
        "int8k_gemm_finish_s64"), launched());
    // one block per K slice of at most KMAX: never an int32 overflow, all slices in one launch
    int slice = (Integer) ls.get(2).args().values().get(9);
    assertTrue(slice <= GemmDesc.KMAX && slice % 64 == 0, "slice " + slice);
    assertEquals((k + slice - 1) / slice, ls.get(2).dims().gridX());
    assertEquals(CudaGemm.OUT_S64_ADD, ls.get(2).args().values().get(10));
  }

  @Test
  void skinnyGradWeightShapesSplitKToFillTheGpu() {
    // resnet20 stage 1 grad_weight at batch 256: 16 x 144 outputs, 256*32*32 reduced
    GemmDesc d = new GemmDesc(Trans.N, Trans.N, 16, 144, 262144, 262144, 144, 144);
    try (Int8Buffer a = alloc.allocateInt8(d.spanA());
        Int8Buffer b = alloc.allocateInt8(d.spanB());
        Float32Buffer c = alloc.allocateFloat32(d.spanC())) {
      be.gemmS8S8F32(d, a, b, Epilogue.scale(1f), c);
    }
    FakeCudaDriver.Launch gemm = driver.launches().get(1);
    assertEquals("int8k_gemm_s8_mma", gemm.kernel());
    int slice = (Integer) gemm.args().values().get(9);
    assertEquals(2048, slice);
    assertEquals(2 * (262144 / 2048), gemm.dims().gridX(), "2 tiles x 128 slices");
    // a GEMM with tiles enough is left whole, and short K is never split
    assertEquals(4096, CudaGemm.sliceLength(4096, 1024, 132));
    assertEquals(1500, CudaGemm.sliceLength(1500, 1, 132));
    assertEquals(1024, CudaGemm.sliceLength(2048, 1, 132));
    assertTrue(CudaGemm.sliceLength(Integer.MAX_VALUE, 1_000_000, 132) <= GemmDesc.KMAX);
  }

  @Test
  void aTuringTargetRunsTheDp4aGemm() {
    FakeCudaDriver old = new FakeCudaDriver(FakeCudaDriver.h100(0));
    try (CudaDevice d = CudaDevice.open(old, 0, TestPtx.INSTANCE, "sm_75")) {
      CudaBackend dp4a = CudaBackend.on(d);
      assertEquals("sm_75-dp4a", dp4a.isa());
      try (Int8Buffer a = alloc.allocateInt8(64 * 64);
          Int8Buffer b = alloc.allocateInt8(64 * 64);
          Int32Buffer c = alloc.allocateInt32(64 * 64)) {
        dp4a.gemmS8S8S32(GemmDesc.of(Trans.N, Trans.T, 64, 64, 64), a, b, c);
      }
      assertEquals("int8k_gemm_s8_dp4a", old.launches().get(0).kernel());
      assertEquals(0, old.launches().get(0).dims().sharedBytes());
    }
  }

  @Test
  void theGapsOfAStridedOutputComeBackUnchanged() {
    GemmDesc d = new GemmDesc(Trans.N, Trans.T, 3, 4, 16, 16, 16, 7);
    try (Int8Buffer a = alloc.allocateInt8(d.spanA());
        Int8Buffer b = alloc.allocateInt8(d.spanB());
        Int32Buffer c = alloc.allocateInt32(d.spanC())) {
      int[] before = new int[(int) d.spanC()];
      for (int i = 0; i < before.length; i++) {
        before[i] = 1000 + i;
      }
      c.copyFrom(before);
      be.gemmS8S8S32(d, a, b, c);
      // the fake runs no kernel: every element comes back as uploaded, gaps included
      Compare.same(before, c.toArray(), "strided C");
    }
  }

  @Test
  void quantizationLaunchesItsThreeSteps() {
    try (Float32Buffer src = alloc.allocateFloat32(12);
        Int8Buffer q = alloc.allocateInt8(12);
        Float32Buffer s = alloc.allocateFloat32(12)) {
      be.quantize(QuantDesc.perTensor(3, 4), src, null, q, s);
      assertEquals(List.of("int8k_absmax_tensor", "int8k_quant_scales", "int8k_quantize"),
          launched());
      QuantDesc sr = QuantDesc.perRow(3, 4).withBits(4).withGroups(3, true).stochastic(7, 9);
      be.quantize(sr, src, null, q, s);
      List<FakeCudaDriver.Launch> ls = new ArrayList<>(driver.launches());
      assertEquals(List.of("int8k_absmax_runs", "int8k_quant_scales", "int8k_quantize"), launched());
      // the stochastic key is the reference's, computed once on the host
      Object key = ls.get(2).args().values().get(7);
      assertEquals(StochasticRounding.key(7, 9), key);
      be.dequantize(sr, q, s, src);
      assertEquals(List.of("int8k_dequantize"), launched());
    }
  }

  @Test
  void everyOtherOperationReachesItsKernels() {
    Cases c = new Cases(5);
    ConvDesc w = ConvDesc.of(2, 5, 6, 3, 3, 2, 1);
    int cells = w.colRows() * w.colCols();
    try (Float32Buffer x = alloc.allocateFloat32(Math.max(cells, 64 * 64));
        Float32Buffer y = alloc.allocateFloat32(Math.max(cells, 64 * 64));
        Float32Buffer z = alloc.allocateFloat32(Math.max(cells, 64 * 64));
        Int8Buffer q = alloc.allocateInt8(cells);
        Int8Buffer r = alloc.allocateInt8(cells);
        Int8Buffer m = alloc.allocateInt8(cells);
        Int32Buffer i32 = alloc.allocateInt32(cells);
        Int32Buffer j32 = alloc.allocateInt32(cells)) {
      be.absmax(4, 5, x, Axis.TENSOR, y);
      be.absmax(4, 5, x, Axis.ROW, y);
      be.absmax(4, 5, x, Axis.COLUMN, y);
      assertEquals(List.of("int8k_absmax_tensor", "int8k_absmax_runs", "int8k_absmax_cols"),
          launched());
      be.channelFractionAboveStd(4, 5, x, y);
      assertEquals(List.of("int8k_channel_fraction"), launched());
      x.copyFrom(c.float32(20));
      double[] dev = be.clipCosineDeviation(x, 20, 8, new float[] {1f, 0.5f, 0.25f, 2f, 3f});
      assertEquals(5, dev.length);
      // the fake's lanes are zero: 1 - 0/... is the "no signal" value 1.0 of the reference
      assertEquals(1.0, dev[0]);
      FakeCudaDriver.Launch cl = driver.launches().get(0);
      assertEquals(2, cl.dims().gridX(), "4 candidates per block, plus the |x|^2 lanes");
      launched();
      be.im2col(w, q, r);
      be.im2col(w, x, y);
      be.col2im(w, x, y);
      be.col2im(w, i32, j32);
      assertEquals(List.of("int8k_im2col_s8", "int8k_im2col_f32", "int8k_col2im_f32",
          "int8k_col2im_s32"), launched());
      ConvDesc p = ConvDesc.of(2, 5, 6, 3, 2, 2, 0);
      be.maxPool(p, q, r, i32);
      be.maxPoolBackward(p, x, i32, y);
      assertEquals(List.of("int8k_max_pool", "int8k_max_pool_backward_check",
          "int8k_max_pool_backward_gather"), launched());
      be.relu(cells, q, r, m);
      be.reluBackward(cells, x, m, y);
      assertEquals(List.of("int8k_relu", "int8k_relu_backward"), launched());
      be.gemmF32(GemmDesc.of(Trans.T, Trans.N, 64, 64, 64), 1f, x, y, 0.5f, z);
      assertEquals(List.of("int8k_gemm_f32"), launched());
      try (PackedB packed = be.packB(alloc, Trans.N, 12, 30, 30, q)) {
        assertEquals("cuda/sm_90-mma", packed.packedBy());
        assertEquals(List.of("int8k_pack_kmajor"), launched());
      }
    }
  }

  @Test
  void theDeviceApiChecksTypesAndDevices() {
    CudaOps ops = be.device();
    try (var dev = ops.allocator("t")) {
      var f = dev.allocate(io.sparkint8.kernels.cuda.DType.F32, 16);
      var s8 = dev.allocate(io.sparkint8.kernels.cuda.DType.S8, 16);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ops.relu(16, f, s8, s8));
      assertTrue(e.getMessage().contains("'src' holds F32"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> ops.relu(17, s8, s8, s8));
      assertTrue(e.getMessage().contains("holds 16 elements, the call needs 17"), e.getMessage());
      var packed = ops.packB(dev, Trans.N, 4, 4, 4, s8);
      assertEquals(4 * CudaOps.packedLd(4), packed.length());
      assertEquals(16, CudaOps.packedLd(4));
      packed.close();
      f.close();
      s8.close();
    }
  }
}
