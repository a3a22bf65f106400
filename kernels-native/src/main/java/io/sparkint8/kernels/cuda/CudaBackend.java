package io.sparkint8.kernels.cuda;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.memory.OffHeapBuffer;
import io.sparkint8.kernels.ref.ReferenceBackend;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.Checks;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Trans;
import java.util.function.BiConsumer;

/**
 * The GPU backend: the kernel SPI on CUDA through JCuda's driver API (PTX built by nvcc into the jar,
 * loaded with cuModuleLoadData; only the driver's libcuda is needed at run time). Integer results and
 * every fp32 result but the fp32 GEMM's equal the reference's bit for bit. The operations without a
 * device kernel yet (fp32 max-pool, batch norm, fp32 ReLU, the matrix glue) run the reference on the
 * host: this backend extends {@link ReferenceBackend} and overrides the operations it has kernels for.
 *
 * <p>The SPI's buffers are host memory, so each call uploads its inputs into the device's scratch
 * buffers, runs the operation and downloads its outputs, and returns when they are back. To keep
 * tensors on the GPU across calls use {@link #device()}: the same operations on {@link DeviceBuffer}s.
 * The thread count is accepted for the SPI's sake and ignored (the GPU is the parallelism).
 */
public final class CudaBackend extends ReferenceBackend {
  /** System property: the GPU ordinal {@code int8.backend=cuda} uses (default 0). */
  public static final String DEVICE_PROPERTY = "int8.cuda.device";

  private final CudaOps ops;
  private final CudaDevice device;

  private CudaBackend(int threads, CudaOps ops) {
    super(threads);
    this.ops = ops;
    this.device = ops.device();
  }

  /** The backend on a device (any driver: tests use a fake one). */
  static CudaBackend on(CudaDevice device) {
    return new CudaBackend(1, new CudaOps(device));
  }

  /** The GPU ordinal from {@value #DEVICE_PROPERTY}, 0 when unset. */
  public static int defaultDevice() {
    return Integer.getInteger(DEVICE_PROPERTY, 0);
  }

  /** Null when GPU {@code ordinal} can run this backend, else why not. */
  public static String unavailableReason(int ordinal) {
    return CudaDevice.unavailableReason(ordinal);
  }

  /** The backend on GPU {@code ordinal}; IllegalStateException with the reason when it cannot run. */
  public static CudaBackend create(int ordinal) {
    try {
      return on(CudaDevice.shared(ordinal));
    } catch (CudaUnavailableException e) {
      throw new IllegalStateException("int8.backend=cuda is unavailable: " + e.getMessage(), e);
    }
  }

  @Override
  public String name() {
    return "cuda";
  }

  /** e.g. "sm_90-mma" (tensor cores) or "sm_75-dp4a". */
  @Override
  public String isa() {
    return device.target().isa();
  }

  @Override
  public Int8Backend withThreads(int threads) {
    return new CudaBackend(threads, ops);
  }

  /** The device-resident operations of this backend's GPU. */
  public CudaOps device() {
    return ops;
  }

  // ---- staging -------------------------------------------------------------------------------------

  private DeviceBuffer in(ScratchSlot slot, OffHeapBuffer host, DType type, long elements) {
    DeviceBuffer d = device.scratch(slot, type, elements);
    device.upload(d, host.bytes(), elements * type.size());
    return d;
  }

  private DeviceBuffer out(ScratchSlot slot, DType type, long elements) {
    return device.scratch(slot, type, elements);
  }

  private DeviceBuffer inOptional(ScratchSlot slot, OffHeapBuffer host, long elements) {
    return host == null ? null : in(slot, host, DType.F32, elements);
  }

  private void fetch(DeviceBuffer d, OffHeapBuffer host, long elements) {
    device.download(host.bytes(), d, elements * d.type().size());
  }

  /**
   * The device op {@code op(input, output)} on host buffers: {@code src} staged in, {@code dst} fetched
   * back, both of element type {@code t}.
   */
  private void staged(OffHeapBuffer src, long srcElements, OffHeapBuffer dst, long dstElements, DType t,
      BiConsumer<DeviceBuffer, DeviceBuffer> op) {
    device.run(() -> {
      DeviceBuffer s = in(ScratchSlot.STAGE0, src, t, srcElements);
      DeviceBuffer o = out(ScratchSlot.STAGE1, t, dstElements);
      op.accept(s, o);
      fetch(o, dst, dstElements);
      device.synchronize();
    });
  }

  // ---- GEMM ---------------------------------------------------------------------------------------

  @Override
  protected void gemmS8S8S32Unchecked(GemmDesc d, Int8Buffer a, Int8Buffer b, Int32Buffer c) {
    gemmS8(d, a, b, null, null, c, null);
  }

  @Override
  protected void gemmS8S8S32Unchecked(GemmDesc d, Int8Buffer a, PackedB b, Int32Buffer c) {
    gemmS8(d, a, null, b, null, c, null);
  }

  @Override
  protected void gemmS8S8F32Unchecked(
      GemmDesc d, Int8Buffer a, Int8Buffer b, Epilogue ep, Float32Buffer c) {
    gemmS8(d, a, b, null, ep, null, c);
  }

  @Override
  protected void gemmS8S8F32Unchecked(
      GemmDesc d, Int8Buffer a, PackedB b, Epilogue ep, Float32Buffer c) {
    gemmS8(d, a, null, b, ep, null, c);
  }

  /** Exactly one of b / packed and one of c32 / cf is non-null; ep != null iff cf != null. */
  private void gemmS8(
      GemmDesc d,
      Int8Buffer a,
      Int8Buffer b,
      PackedB packed,
      Epilogue ep,
      Int32Buffer c32,
      Float32Buffer cf) {
    device.run(() -> {
      DeviceBuffer da = in(ScratchSlot.STAGE0, a, DType.S8, d.spanA());
      GemmDesc shape = d;
      DeviceBuffer db;
      if (packed != null) {
        // packed by this backend: n x packedLd(k), the layout the kernels read in place
        int ld = CudaGemm.packedLd(d.k());
        db = in(ScratchSlot.STAGE1, packed.data(), DType.S8, (long) d.n() * ld);
        shape = new GemmDesc(d.transA(), Trans.T, d.m(), d.n(), d.k(), d.lda(), ld, d.ldc());
      } else {
        db = in(ScratchSlot.STAGE1, b, DType.S8, d.spanB());
      }
      boolean f32 = cf != null;
      OffHeapBuffer c = f32 ? cf : c32;
      DType ct = f32 ? DType.F32 : DType.S32;
      // C's gaps between rows (ldc > n) must come back unchanged, and beta reads the old values
      boolean readC = d.ldc() != d.n() || (f32 && ep.beta() != 0f);
      DeviceBuffer dc = readC ? in(ScratchSlot.STAGE2, c, ct, d.spanC())
          : out(ScratchSlot.STAGE2, ct, d.spanC());
      if (f32) {
        DeviceEpilogue dep = new DeviceEpilogue(ep.alpha(),
            inOptional(ScratchSlot.STAGE3, ep.rowScale(), d.m()),
            inOptional(ScratchSlot.STAGE4, ep.colScale(), d.n()),
            inOptional(ScratchSlot.STAGE5, ep.bias(), d.n()), ep.beta());
        ops.gemmS8S8F32(shape, da, db, dep, dc);
      } else {
        ops.gemmS8S8S32(shape, da, db, dc);
      }
      fetch(dc, c, d.spanC());
      device.synchronize();
    });
  }

  @Override
  protected PackedB packBUnchecked(
      OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b) {
    int ld = CudaGemm.packedLd(k);
    Int8Buffer data = allocator.allocateInt8((long) n * ld);
    try {
      device.run(() -> {
        DeviceBuffer src =
            in(ScratchSlot.STAGE0, b, DType.S8, Checks.packBSpan(transB, k, n, ldb));
        DeviceBuffer dst = out(ScratchSlot.STAGE1, DType.S8, (long) n * ld);
        ops.gemm().pack(src, ldb, transB == Trans.T, n, k, dst, ld);
        fetch(dst, data, (long) n * ld);
        device.synchronize();
      });
    } catch (RuntimeException e) {
      data.close();
      throw e;
    }
    return new PackedB(data, k, n, packer());
  }

  @Override
  protected void gemmF32Unchecked(
      GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta, Float32Buffer c) {
    device.run(() -> {
      DeviceBuffer da = in(ScratchSlot.STAGE0, a, DType.F32, d.spanA());
      DeviceBuffer db = in(ScratchSlot.STAGE1, b, DType.F32, d.spanB());
      boolean readC = d.ldc() != d.n() || beta != 0f;
      DeviceBuffer dc = readC ? in(ScratchSlot.STAGE2, c, DType.F32, d.spanC())
          : out(ScratchSlot.STAGE2, DType.F32, d.spanC());
      ops.gemmF32(d, alpha, da, db, beta, dc);
      fetch(dc, c, d.spanC());
      device.synchronize();
    });
  }

  @Override
  public String gemmF32Route() {
    return "cuda-tiled-sgemm";
  }

  // ---- quantization and statistics ------------------------------------------------------------

  @Override
  protected void quantizeUnchecked(
      QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    device.run(() -> {
      DeviceBuffer s = in(ScratchSlot.STAGE0, src, DType.F32, d.count());
      DeviceBuffer c = inOptional(ScratchSlot.STAGE1, clip, d.groups());
      DeviceBuffer q = out(ScratchSlot.STAGE2, DType.S8, d.count());
      DeviceBuffer sc = out(ScratchSlot.STAGE3, DType.F32, d.groups());
      ops.quantize(d, s, c, q, sc);
      fetch(q, codes, d.count());
      fetch(sc, scales, d.groups());
      device.synchronize();
    });
  }

  @Override
  protected void dequantizeUnchecked(QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst) {
    device.run(() -> {
      DeviceBuffer q = in(ScratchSlot.STAGE0, codes, DType.S8, d.count());
      DeviceBuffer s = in(ScratchSlot.STAGE1, scales, DType.F32, d.groups());
      DeviceBuffer x = out(ScratchSlot.STAGE2, DType.F32, d.count());
      ops.dequantize(d, q, s, x);
      fetch(x, dst, d.count());
      device.synchronize();
    });
  }

  @Override
  protected void absmaxUnchecked(int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out) {
    staged(src, (long) rows * cols, out, axis.outputs(rows, cols), DType.F32,
        (s, o) -> ops.absmax(rows, cols, s, axis, o));
  }

  @Override
  protected void channelFractionAboveStdUnchecked(int rows, int cols, Float32Buffer src, Float32Buffer out) {
    staged(src, (long) rows * cols, out, cols, DType.F32,
        (s, o) -> ops.channelFractionAboveStd(rows, cols, s, o));
  }

  @Override
  protected double[] clipCosineSumsUnchecked(Float32Buffer src, int count, int bits, float[] candidates) {
    return device.call(() -> ops.clipCosineSums(
        in(ScratchSlot.STAGE0, src, DType.F32, count), count, bits, candidates));
  }

  // ---- windows and ReLU ----------------------------------------------------------------------------

  @Override
  protected void im2colUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer cols) {
    im2col(d, src, cols, DType.S8);
  }

  @Override
  protected void im2colUnchecked(ConvDesc d, Float32Buffer src, Float32Buffer cols) {
    im2col(d, src, cols, DType.F32);
  }

  private void im2col(ConvDesc d, OffHeapBuffer src, OffHeapBuffer cols, DType t) {
    staged(src, d.inputSize(), cols, (long) d.colRows() * d.colCols(), t, (s, o) -> ops.im2col(d, s, o));
  }

  @Override
  protected void col2imUnchecked(ConvDesc d, Float32Buffer cols, Float32Buffer dst) {
    col2im(d, cols, dst, DType.F32);
  }

  @Override
  protected void col2imUnchecked(ConvDesc d, Int32Buffer cols, Int32Buffer dst) {
    col2im(d, cols, dst, DType.S32);
  }

  private void col2im(ConvDesc d, OffHeapBuffer cols, OffHeapBuffer dst, DType t) {
    staged(cols, (long) d.colRows() * d.colCols(), dst, d.inputSize(), t, (s, o) -> ops.col2im(d, s, o));
  }

  @Override
  protected void maxPoolUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer dst, Int32Buffer argmax) {
    device.run(() -> {
      DeviceBuffer s = in(ScratchSlot.STAGE0, src, DType.S8, d.inputSize());
      DeviceBuffer o = out(ScratchSlot.STAGE1, DType.S8, d.pooledSize());
      DeviceBuffer am = out(ScratchSlot.STAGE2, DType.S32, d.pooledSize());
      ops.maxPool(d, s, o, am);
      fetch(o, dst, d.pooledSize());
      fetch(am, argmax, d.pooledSize());
      device.synchronize();
    });
  }

  @Override
  protected void maxPoolBackwardUnchecked(
      ConvDesc d, Float32Buffer gradOut, Int32Buffer argmax, Float32Buffer gradIn) {
    device.run(() -> {
      DeviceBuffer g = in(ScratchSlot.STAGE0, gradOut, DType.F32, d.pooledSize());
      DeviceBuffer am = in(ScratchSlot.STAGE1, argmax, DType.S32, d.pooledSize());
      DeviceBuffer o = out(ScratchSlot.STAGE2, DType.F32, d.inputSize());
      ops.maxPoolBackward(d, g, am, o);
      fetch(o, gradIn, d.inputSize());
      device.synchronize();
    });
  }

  @Override
  protected void reluUnchecked(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask) {
    device.run(() -> {
      DeviceBuffer s = in(ScratchSlot.STAGE0, src, DType.S8, count);
      DeviceBuffer o = out(ScratchSlot.STAGE1, DType.S8, count);
      DeviceBuffer m = out(ScratchSlot.STAGE2, DType.S8, count);
      ops.relu(count, s, o, m);
      fetch(o, dst, count);
      fetch(m, mask, count);
      device.synchronize();
    });
  }

  @Override
  protected void reluBackwardUnchecked(int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst) {
    device.run(() -> {
      DeviceBuffer g = in(ScratchSlot.STAGE0, grad, DType.F32, count);
      DeviceBuffer m = in(ScratchSlot.STAGE1, mask, DType.S8, count);
      DeviceBuffer o = out(ScratchSlot.STAGE2, DType.F32, count);
      ops.reluBackward(count, g, m, o);
      fetch(o, dst, count);
      device.synchronize();
    });
  }
}
