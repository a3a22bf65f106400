package io.sparkint8.kernels.cuda;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.memory.OffHeapBuffer;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.AbstractBackend;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Trans;

/**
 * The GPU backend: the kernel SPI on CUDA through JCuda's driver API (PTX built by nvcc into the jar,
 * loaded with cuModuleLoadData; only the driver's libcuda is needed at run time). Integer results and
 * every fp32 result but the fp32 GEMM's equal {@link JavaBackend}'s bit for bit.
 *
 * <p>The SPI's buffers are host memory, so each call uploads its inputs into the device's scratch
 * buffers, runs the operation and downloads its outputs, and returns when they are back. To keep
 * tensors on the GPU across calls use {@link #device()}: the same operations on {@link DeviceBuffer}s.
 * The thread count is accepted for the SPI's sake and ignored (the GPU is the parallelism).
 */
public final class CudaBackend extends AbstractBackend {
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

  // ---- GEMM ---------------------------------------------------------------------------------------

  @Override
  protected void gemmS8(
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
  protected PackedB pack(OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b) {
    int ld = CudaGemm.packedLd(k);
    Int8Buffer data = allocator.allocateInt8((long) n * ld);
    try {
      device.run(() -> {
        long span = transB == Trans.N ? GemmDesc.span(k, n, ldb) : GemmDesc.span(n, k, ldb);
        DeviceBuffer src = in(ScratchSlot.STAGE0, b, DType.S8, span);
        DeviceBuffer dst = out(ScratchSlot.STAGE1, DType.S8, (long) n * ld);
        ops.gemm().pack(src, ldb, transB == Trans.T, n, k, dst, ld);
        fetch(dst, data, (long) n * ld);
        device.synchronize();
      });
    } catch (RuntimeException e) {
      data.close();
      throw e;
    }
    return new PackedB(data, k, n, name() + "/" + isa());
  }

  @Override
  protected void sgemm(GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta,
      Float32Buffer c) {
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
  protected void quantizeChecked(
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
  protected void dequantizeChecked(QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst) {
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
  protected void absmaxChecked(int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out) {
    device.run(() -> {
      DeviceBuffer s = in(ScratchSlot.STAGE0, src, DType.F32, (long) rows * cols);
      long outs = axis.outputs(rows, cols);
      DeviceBuffer o = out(ScratchSlot.STAGE1, DType.F32, outs);
      ops.absmax(rows, cols, s, axis, o);
      fetch(o, out, outs);
      device.synchronize();
    });
  }

  @Override
  protected void channelFractionChecked(int rows, int cols, Float32Buffer src, Float32Buffer out) {
    device.run(() -> {
      DeviceBuffer s = in(ScratchSlot.STAGE0, src, DType.F32, (long) rows * cols);
      DeviceBuffer o = out(ScratchSlot.STAGE1, DType.F32, cols);
      ops.channelFractionAboveStd(rows, cols, s, o);
      fetch(o, out, cols);
      device.synchronize();
    });
  }

  @Override
  protected double[] clipDeviationChecked(Float32Buffer src, int count, int bits, float[] cand) {
    return device.call(() ->
        ops.clipCosineDeviation(in(ScratchSlot.STAGE0, src, DType.F32, count), count, bits, cand));
  }

  // ---- windows and ReLU ----------------------------------------------------------------------------

  @Override
  protected void window(WindowOp op, ConvDesc d, OffHeapBuffer src, OffHeapBuffer dst, Int32Buffer argmax) {
    if (op == WindowOp.MAXPOOL_F32) {
      // no device kernel yet for the fp32 max-pool: the host reference (see kernels-native/README.md)
      new JavaBackend().maxPoolF32(d, (Float32Buffer) src, (Float32Buffer) dst, argmax);
      return;
    }
    long cells = (long) d.colRows() * d.colCols();
    device.run(() -> {
      switch (op) {
        case IM2COL_S8:
        case IM2COL_F32: {
          DType t = op == WindowOp.IM2COL_S8 ? DType.S8 : DType.F32;
          DeviceBuffer s = in(ScratchSlot.STAGE0, src, t, d.inputSize());
          DeviceBuffer o = out(ScratchSlot.STAGE1, t, cells);
          ops.im2col(d, s, o);
          fetch(o, dst, cells);
          break;
        }
        case COL2IM_F32:
        case COL2IM_S32: {
          DType t = op == WindowOp.COL2IM_F32 ? DType.F32 : DType.S32;
          DeviceBuffer s = in(ScratchSlot.STAGE0, src, t, cells);
          DeviceBuffer o = out(ScratchSlot.STAGE1, t, d.inputSize());
          ops.col2im(d, s, o);
          fetch(o, dst, d.inputSize());
          break;
        }
        case MAXPOOL_S8: {
          DeviceBuffer s = in(ScratchSlot.STAGE0, src, DType.S8, d.inputSize());
          DeviceBuffer o = out(ScratchSlot.STAGE1, DType.S8, d.pooledSize());
          DeviceBuffer am = out(ScratchSlot.STAGE2, DType.S32, d.pooledSize());
          ops.maxPool(d, s, o, am);
          fetch(o, dst, d.pooledSize());
          fetch(am, argmax, d.pooledSize());
          break;
        }
        case MAXPOOL_BACKWARD_F32: {
          DeviceBuffer g = in(ScratchSlot.STAGE0, src, DType.F32, d.pooledSize());
          DeviceBuffer am = in(ScratchSlot.STAGE1, argmax, DType.S32, d.pooledSize());
          DeviceBuffer o = out(ScratchSlot.STAGE2, DType.F32, d.inputSize());
          ops.maxPoolBackward(d, g, am, o);
          fetch(o, dst, d.inputSize());
          break;
        }
        default:
          throw new IllegalStateException("unknown window op " + op);
      }
      device.synchronize();
    });
  }

  @Override
  protected void reluChecked(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask) {
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
  protected void reluBackwardChecked(int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst) {
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
