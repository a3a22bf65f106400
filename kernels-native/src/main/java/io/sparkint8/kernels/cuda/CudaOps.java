package io.sparkint8.kernels.cuda;

import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.memory.OffHeapBuffer;
import io.sparkint8.kernels.ref.StatisticsReference;
import io.sparkint8.kernels.ref.StochasticRounding;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.Checks;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Granularity;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Rounding;
import io.sparkint8.kernels.spi.Trans;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The device-resident API of the CUDA backend: every {@link Int8Backend} operation on {@link
 * DeviceBuffer}s, so that an engine can keep weights, activations and their codes on the GPU for a whole
 * training step and move only the batch, the weight gradient and statistics across PCIe. {@link
 * CudaBackend} implements the host SPI by staging its buffers through these same methods.
 *
 * <p>Semantics are the SPI's (the Java reference's), descriptors are the same records. Operations are
 * queued on the device's stream and return before the GPU finishes, except those that return host values
 * or must report bad input from the device: {@link #clipCosineSums}, {@link #quantize} (a
 * non-finite group or invalid clip value) and {@link #maxPoolBackward} (an argmax out of range), which
 * synchronize. Buffers must live on this device and have the element type each operation names.
 * Thread-safe: calls serialize on the device.
 */
public final class CudaOps {
  private final CudaDevice device;
  private final CudaGemm gemm;

  CudaOps(CudaDevice device) {
    this.device = device;
    this.gemm = new CudaGemm(device);
  }

  public CudaDevice device() {
    return device;
  }

  CudaGemm gemm() {
    return gemm;
  }

  /** A new owner of device buffers (close it when done: leaks are reported, like OffHeapAllocator). */
  public DeviceAllocator allocator(String name) {
    return device.newAllocator(name);
  }

  /** Copies a host buffer (all of it) into the start of a device buffer of the same element size. */
  public void upload(OffHeapBuffer src, DeviceBuffer dst) {
    if (src == null || dst == null) {
      throw new IllegalArgumentException("upload: null buffer");
    }
    device.upload(dst, src.bytes(), src.byteSize());
  }

  /** Copies the start of a device buffer into a host buffer (all of it). */
  public void download(DeviceBuffer src, OffHeapBuffer dst) {
    if (src == null || dst == null) {
      throw new IllegalArgumentException("download: null buffer");
    }
    device.download(dst.bytes(), src, dst.byteSize());
    device.synchronize();
  }

  /** Waits for every queued operation. */
  public void synchronize() {
    device.synchronize();
  }

  private void require(DeviceBuffer b, DType type, long elements, String what) {
    if (b == null) {
      throw new IllegalArgumentException("device buffer '" + what + "' is null");
    }
    b.checkOpen();
    if (b.device() != device) {
      throw new IllegalArgumentException("device buffer '" + what + "' lives on " + b.device()
          + ", the call runs on " + device);
    }
    if (b.type() != type) {
      throw new IllegalArgumentException(
          "device buffer '" + what + "' holds " + b.type() + ", the call needs " + type);
    }
    if (b.length() < elements) {
      throw new IllegalArgumentException("device buffer '" + what + "' holds " + b.length()
          + " elements, the call needs " + elements);
    }
  }

  private void requireOptional(DeviceBuffer b, DType type, long elements, String what) {
    if (b != null) {
      require(b, type, elements, what);
    }
  }

  private static LaunchDims ew(long count) {
    return LaunchDims.elementwise(count, 256);
  }

  // ---- GEMM ---------------------------------------------------------------------------------------

  private void checkGemm(GemmDesc d, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, DType cType) {
    Checks.descriptor(d, "gemm descriptor");
    require(a, DType.S8, d.spanA(), "a");
    require(b, DType.S8, d.spanB(), "b");
    require(c, cType, d.spanC(), "c");
  }

  /** C = op(A) * op(B) exactly, int32 (k beyond 131008 reduced modulo 2^32 like the reference). */
  public void gemmS8S8S32(GemmDesc d, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c) {
    checkGemm(d, a, b, c, DType.S32);
    gemm.run(d, a, b, null, c);
  }

  /** C = epilogue(op(A) * op(B)) in fp32. */
  public void gemmS8S8F32(GemmDesc d, DeviceBuffer a, DeviceBuffer b, DeviceEpilogue ep,
      DeviceBuffer c) {
    checkGemm(d, a, b, c, DType.F32);
    if (ep == null) {
      throw new IllegalArgumentException("epilogue must not be null (use DeviceEpilogue.scale(1))");
    }
    requireOptional(ep.rowScale(), DType.F32, d.m(), "rowScale");
    requireOptional(ep.colScale(), DType.F32, d.n(), "colScale");
    requireOptional(ep.bias(), DType.F32, d.n(), "bias");
    gemm.run(d, a, b, ep, c);
  }

  /** The leading dimension of a B packed by {@link #packB}: k rounded up to 16. */
  public static int packedLd(int k) {
    return CudaGemm.packedLd(k);
  }

  /**
   * Packs B (k x n, stored as transB and ldb say) into a new n x packedLd(k) buffer of {@code alloc}:
   * the layout the GEMM reads without a copy. Use it as B of a GemmDesc with transB = T and ldb =
   * packedLd(k) (weights packed once per step serve the forward and grad_input GEMMs).
   */
  public DeviceBuffer packB(DeviceAllocator alloc, Trans transB, int k, int n, int ldb,
      DeviceBuffer b) {
    Checks.packBShape(alloc, transB, k, n, ldb);
    require(b, DType.S8, Checks.packBSpan(transB, k, n, ldb), "b");
    int ld = packedLd(k);
    DeviceBuffer out = alloc.allocate(DType.S8, (long) n * ld);
    try {
      gemm.pack(b, ldb, transB == Trans.T, n, k, out, ld);
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
    return out;
  }

  /** C = alpha * op(A) * op(B) + beta * C in fp32 (within rounding of the reference). */
  public void gemmF32(GemmDesc d, float alpha, DeviceBuffer a, DeviceBuffer b, float beta,
      DeviceBuffer c) {
    Checks.descriptor(d, "gemm descriptor");
    require(a, DType.F32, d.spanA(), "a");
    require(b, DType.F32, d.spanB(), "b");
    require(c, DType.F32, d.spanC(), "c");
    gemm.sgemm(d, alpha, a, b, beta, c);
  }

  // ---- quantization -------------------------------------------------------------------------------

  /**
   * Quantizes src into codes with one scale per group, as {@link Int8Backend#quantize}; a group holding
   * NaN or infinity, or an invalid clip value, throws IllegalArgumentException (after a synchronize).
   */
  public void quantize(QuantDesc d, DeviceBuffer src, DeviceBuffer clip, DeviceBuffer codes,
      DeviceBuffer scales) {
    Checks.descriptor(d, "quant descriptor");
    require(src, DType.F32, d.count(), "src");
    requireOptional(clip, DType.F32, d.groups(), "clip");
    require(codes, DType.S8, d.count(), "codes");
    require(scales, DType.F32, d.groups(), "scales");
    int groups = d.groups();
    device.run(() -> {
      DeviceBuffer amax = device.scratch(ScratchSlot.GROUP_AMAX, DType.S32, groups);
      if (d.granularity() == Granularity.PER_TENSOR) {
        device.memsetD32(amax, 0, 1);
        device.launch(CudaKernel.ABSMAX_TENSOR, ew(d.count()),
            new KernelArgs().ptr(src).i64(d.count()).ptr(amax));
      } else {
        int run = d.granularity() == Granularity.PER_ROW ? d.cols() : d.group();
        absmaxRuns(src, d.rows(), d.cols(), run, amax, groups);
      }
      DeviceBuffer st = device.scratch(ScratchSlot.STATUS, DType.S32, 2);
      device.memsetD32(st, Integer.MAX_VALUE, 1);
      DeviceBuffer s = device.scratch(ScratchSlot.GROUP_S, DType.F32, groups);
      DeviceBuffer inv = device.scratch(ScratchSlot.GROUP_INV, DType.F32, groups);
      device.launch(CudaKernel.QUANT_SCALES, ew(groups),
          new KernelArgs().ptr(amax).ptr(clip).i32(groups).i32(d.bits()).i32(d.pow2() ? 1 : 0)
              .ptr(scales).ptr(s).ptr(inv).ptr(st));
      boolean sr = d.rounding() == Rounding.STOCHASTIC;
      long key = sr ? StochasticRounding.key(d.seed(), d.stream()) : 0L;
      device.launch(CudaKernel.QUANTIZE, ew(d.count()),
          new KernelArgs().ptr(src).i32(d.rows()).i32(d.cols()).i32(d.granularity().code())
              .i32(d.group()).i32(d.bits()).i32(sr ? 1 : 0).i64(key).ptr(s).ptr(inv).ptr(codes));
      int g = readInt(st, 0);
      if (g != Integer.MAX_VALUE) {
        Checks.finiteGroup(g, Float.intBitsToFloat(readInt(amax, g)));
        Checks.clipValue(g, Float.intBitsToFloat(readInt(clip.view(DType.S32, 0, clip.length()), g)));
        throw new IllegalStateException("quantize: the device flagged group " + g + ", which is valid");
      }
    });
  }

  /** max |x| of contiguous runs (rows or groups of a row), one warp each. */
  private void absmaxRuns(DeviceBuffer src, int rows, int cols, int run, DeviceBuffer out, long runs) {
    device.launch(CudaKernel.ABSMAX_RUNS, LaunchDims.elementwise(runs * 32, 256),
        new KernelArgs().ptr(src).i32(rows).i32(cols).i32(run).ptr(out));
  }

  /** Element {@code index} of an int32 device buffer (synchronizes). */
  private int readInt(DeviceBuffer b, long index) {
    ByteBuffer host = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
    device.download(host, b.view(DType.S32, index * 4, 1), 4);
    device.synchronize();
    return host.getInt(0);
  }

  /** dst = code * scale of its group. */
  public void dequantize(QuantDesc d, DeviceBuffer codes, DeviceBuffer scales, DeviceBuffer dst) {
    Checks.descriptor(d, "quant descriptor");
    require(codes, DType.S8, d.count(), "codes");
    require(scales, DType.F32, d.groups(), "scales");
    require(dst, DType.F32, d.count(), "dst");
    device.launch(CudaKernel.DEQUANTIZE, ew(d.count()),
        new KernelArgs().ptr(codes).i32(d.rows()).i32(d.cols()).i32(d.granularity().code())
            .i32(d.group()).ptr(scales).ptr(dst));
  }

  // ---- statistics -----------------------------------------------------------------------------------

  /** max |x| per tensor, row or column; NaN when the reduction holds a NaN. */
  public void absmax(int rows, int cols, DeviceBuffer src, Axis axis, DeviceBuffer out) {
    Checks.matrix(rows, cols, "absmax");
    Checks.descriptor(axis, "axis");
    require(src, DType.F32, (long) rows * cols, "src");
    require(out, DType.F32, axis.outputs(rows, cols), "out");
    // the kernels reduce ordered bit patterns; out is written through an int32 view of itself
    DeviceBuffer bits = out.view(DType.S32, 0, out.length());
    device.run(() -> {
      switch (axis) {
        case TENSOR:
          device.memsetD32(bits, 0, 1);
          device.launch(CudaKernel.ABSMAX_TENSOR, ew((long) rows * cols),
              new KernelArgs().ptr(src).i64((long) rows * cols).ptr(bits));
          break;
        case ROW:
          absmaxRuns(src, rows, cols, cols, bits, rows);
          break;
        default:
          int rowsPerBlock = 256;
          long blocks = ((long) cols + 255) / 256 * (((long) rows + rowsPerBlock - 1) / rowsPerBlock);
          device.memsetD32(bits, 0, cols);
          device.launch(CudaKernel.ABSMAX_COLS, LaunchDims.of(blocks, 256, 0),
              new KernelArgs().ptr(src).i32(rows).i32(cols).i32(rowsPerBlock).ptr(bits));
      }
    });
  }

  /** Per column: the fraction of |x| above the column's standard deviation (GVQ). */
  public void channelFractionAboveStd(int rows, int cols, DeviceBuffer src, DeviceBuffer out) {
    Checks.matrix(rows, cols, "channelFractionAboveStd");
    require(src, DType.F32, (long) rows * cols, "src");
    require(out, DType.F32, cols, "out");
    device.launch(CudaKernel.CHANNEL_FRACTION, LaunchDims.elementwise(cols, 128),
        new KernelArgs().ptr(src).i32(rows).i32(cols).ptr(out));
  }

  /**
   * The sums of DSGC's deviation 1 - cos(x, dequant(quant(clamp(x, c)))) per candidate c, as {@link
   * io.sparkint8.kernels.spi.Int8Backend#clipCosineSums} orders them (synchronizes).
   */
  public double[] clipCosineSums(DeviceBuffer src, int count, int bits, float[] candidates) {
    Checks.count(count, "clipCosineSums");
    require(src, DType.F32, count, "src");
    Checks.clipCandidates(bits, candidates);
    int nc = candidates.length;
    int lanes = (2 * nc + 1) * 16;
    ByteBuffer host = ByteBuffer.allocateDirect(Math.max(nc * 4, lanes * 8))
        .order(ByteOrder.nativeOrder());
    return device.call(() -> {
      DeviceBuffer cand = device.scratch(ScratchSlot.CANDIDATES, DType.F32, nc);
      host.asFloatBuffer().put(candidates);
      device.upload(cand, host, nc * 4L);
      DeviceBuffer sums = device.scratch(ScratchSlot.LANES, DType.F64, lanes);
      device.launch(CudaKernel.CLIP_DEVIATION, LaunchDims.of((nc + 1 + 3) / 4, 64, 0),
          new KernelArgs().ptr(src).i64(count).i32(bits).i32(nc).ptr(cand).ptr(sums));
      device.download(host, sums, lanes * 8L);
      device.synchronize();
      double[] all = new double[lanes];
      host.asDoubleBuffer().get(all);
      int l = StatisticsReference.LANES;
      double[] out = new double[2 * nc + 1];
      for (int i = 0; i < nc; i++) {
        out[i] = StatisticsReference.fold(all, 2 * i * l);
        out[nc + i] = StatisticsReference.fold(all, (2 * i + 1) * l);
      }
      out[2 * nc] = StatisticsReference.fold(all, 2 * nc * l);
      return out;
    });
  }

  // ---- windows (NHWC) ---------------------------------------------------------------------------

  private static KernelArgs window(KernelArgs a, ConvDesc d) {
    return a.i32(d.n()).i32(d.h()).i32(d.w()).i32(d.c()).i32(d.kh()).i32(d.kw()).i32(d.strideH())
        .i32(d.strideW()).i32(d.padH()).i32(d.padW());
  }

  /** im2col of int8 (S8 buffers) or fp32 (F32 buffers). */
  public void im2col(ConvDesc d, DeviceBuffer src, DeviceBuffer cols) {
    Checks.descriptor(d, "window descriptor");
    DType t = src == null ? DType.S8 : src.type();
    if (t != DType.S8 && t != DType.F32) {
      throw new IllegalArgumentException("im2col: src holds " + t + ", expected S8 or F32");
    }
    require(src, t, d.inputSize(), "src");
    long cells = (long) d.colRows() * d.colCols();
    require(cols, t, cells, "cols");
    device.launch(t == DType.S8 ? CudaKernel.IM2COL_S8 : CudaKernel.IM2COL_F32, ew(cells),
        window(new KernelArgs().ptr(src), d).ptr(cols));
  }

  /** The adjoint of im2col for F32 or S32 buffers; dst is overwritten (deterministic gather). */
  public void col2im(ConvDesc d, DeviceBuffer cols, DeviceBuffer dst) {
    Checks.descriptor(d, "window descriptor");
    DType t = cols == null ? DType.F32 : cols.type();
    if (t != DType.F32 && t != DType.S32) {
      throw new IllegalArgumentException("col2im: cols holds " + t + ", expected F32 or S32");
    }
    require(cols, t, (long) d.colRows() * d.colCols(), "cols");
    require(dst, t, d.inputSize(), "dst");
    device.launch(t == DType.F32 ? CudaKernel.COL2IM_F32 : CudaKernel.COL2IM_S32,
        ew(d.inputSize()), window(new KernelArgs().ptr(cols), d).ptr(dst));
  }

  /** Max-pool of codes; argmax receives the flat NHWC index of each winner (first maximum). */
  public void maxPool(ConvDesc d, DeviceBuffer src, DeviceBuffer dst, DeviceBuffer argmax) {
    Checks.pooling(d);
    require(src, DType.S8, d.inputSize(), "src");
    require(dst, DType.S8, d.pooledSize(), "dst");
    require(argmax, DType.S32, d.pooledSize(), "argmax");
    device.launch(CudaKernel.MAX_POOL, ew(d.pooledSize()),
        window(new KernelArgs().ptr(src), d).ptr(dst).ptr(argmax));
  }

  /** gradIn = 0, then gradIn[argmax[o]] += gradOut[o] in order of o (synchronizes to check argmax). */
  public void maxPoolBackward(ConvDesc d, DeviceBuffer gradOut, DeviceBuffer argmax,
      DeviceBuffer gradIn) {
    Checks.pooling(d);
    require(gradOut, DType.F32, d.pooledSize(), "gradOut");
    require(argmax, DType.S32, d.pooledSize(), "argmax");
    require(gradIn, DType.F32, d.inputSize(), "gradIn");
    device.run(() -> {
      DeviceBuffer st = device.scratch(ScratchSlot.STATUS, DType.S32, 2);
      device.memsetD32(st, Integer.MAX_VALUE, 1);
      device.memsetD32(st.view(DType.S32, 4, 1), 0, 1);
      device.launch(CudaKernel.MAX_POOL_BACKWARD_CHECK, ew(d.pooledSize()),
          window(new KernelArgs().ptr(argmax), d).ptr(st));
      int bad = readInt(st, 0);
      if (bad != Integer.MAX_VALUE) {
        Checks.argmax(bad, readInt(argmax, bad), d.inputSize());
        throw new IllegalStateException("maxPoolBackward: the device flagged argmax[" + bad
            + "], which is valid");
      }
      if (readInt(st, 1) == 0) {
        device.launch(CudaKernel.MAX_POOL_BACKWARD_GATHER, ew(d.inputSize()),
            window(new KernelArgs().ptr(gradOut).ptr(argmax), d).ptr(gradIn));
      } else {
        // an argmax outside its own window (never made by maxPool): the reference loop, one thread
        device.memsetD8(gradIn, (byte) 0, (long) d.inputSize() * 4);
        device.launch(CudaKernel.MAX_POOL_BACKWARD_SERIAL, LaunchDims.of(1, 1, 0),
            new KernelArgs().ptr(gradOut).ptr(argmax).i64(d.pooledSize()).ptr(gradIn));
      }
    });
  }

  /** dst = max(src, 0) on codes; mask = 1 where src > 0, else 0. */
  public void relu(int count, DeviceBuffer src, DeviceBuffer dst, DeviceBuffer mask) {
    Checks.count(count, "relu");
    require(src, DType.S8, count, "src");
    require(dst, DType.S8, count, "dst");
    require(mask, DType.S8, count, "mask");
    device.launch(CudaKernel.RELU, ew(count),
        new KernelArgs().i64(count).ptr(src).ptr(dst).ptr(mask));
  }

  /** dst = grad where mask != 0, else 0. */
  public void reluBackward(int count, DeviceBuffer grad, DeviceBuffer mask, DeviceBuffer dst) {
    Checks.count(count, "reluBackward");
    require(grad, DType.F32, count, "grad");
    require(mask, DType.S8, count, "mask");
    require(dst, DType.F32, count, "dst");
    device.launch(CudaKernel.RELU_BACKWARD, ew(count),
        new KernelArgs().i64(count).ptr(grad).ptr(mask).ptr(dst));
  }
}
