package io.sparkint8.kernels.cuda;

import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Trans;

/**
 * How an s8 x s8 GEMM of any shape runs on the device: both operands brought into the K-major layout the
 * kernels read (used in place when they already are: A not transposed, B transposed, leading dimension
 * and address multiples of 16 bytes; otherwise copied by int8k_pack_kmajor into scratch, K padded to 16
 * with zeros), then the tensor-core kernel (sm_80+) or the DP4A kernel (sm_75).
 *
 * <p>Split-K: when k exceeds KMAX (an int32 pass could overflow) or the output has too few tiles to fill
 * the GPU while K is long (grad_weight of a conv: cout x (kh*kw*cin) outputs, N*H*W reduced), K is cut
 * into slices of at most KMAX, one block per (tile, slice); the slices' exact int32 sums meet in an int64
 * buffer through atomic adds (exact and order-independent, since integer addition is associative) and
 * int8k_gemm_finish_s64 applies the epilogue once.
 */
final class CudaGemm {
  /** Output modes of the GEMM kernels (gemm_epilogue.cuh). */
  static final int OUT_S32 = 0;
  static final int OUT_F32 = 1;
  static final int OUT_S64_ADD = 2;

  /** A K slice is never cut shorter than this (a block's fixed costs must stay small against it). */
  static final int MIN_SLICE = 1024;

  /** Block tiles and shared memory of the two int8 GEMM kernels (gemm_s8_mma.cuh, gemm_s8_dp4a.cuh). */
  static final int MMA_TILE = 128;
  static final int MMA_SMEM = 3 * (128 + 128) * 64;
  static final int DP4A_TILE = 64;
  static final int GEMM_THREADS = 256;

  private final CudaDevice device;

  CudaGemm(CudaDevice device) {
    this.device = device;
  }

  /** The leading dimension of a K-major operand packed by the device: k rounded up to 16. */
  static int packedLd(int k) {
    long ld = ((long) k + 15) / 16 * 16;
    if (ld > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("gemm: k=" + k + " is too large to pack");
    }
    return (int) ld;
  }

  /** An operand already in the kernels' layout, or a packed copy of it. */
  private record Operand(DeviceBuffer data, int ld) {}

  /**
   * The rows x k operand whose element (r, p) is {@code src[r*ld + p]} (kMajor) or {@code src[p*ld + r]},
   * as a K-major buffer: the buffer itself when it qualifies, else a packed copy in {@code slot}.
   */
  private Operand kMajor(DeviceBuffer src, int ld, boolean kMajor, int rows, int k, ScratchSlot slot) {
    if (kMajor && ld % 16 == 0 && src.address() % 16 == 0) {
      return new Operand(src, ld);
    }
    int ldd = packedLd(k);
    DeviceBuffer dst = device.scratch(slot, DType.S8, (long) rows * ldd);
    pack(src, ld, kMajor, rows, k, dst, ldd);
    return new Operand(dst, ldd);
  }

  /** dst[r][p] = element (r, p) for p < k, 0 up to ldd; see int8k_pack_kmajor. */
  void pack(DeviceBuffer src, int ld, boolean kMajor, int rows, int k, DeviceBuffer dst, int ldd) {
    long tiles = ((long) rows + 31) / 32 * (((long) ldd + 31) / 32);
    device.launch(CudaKernel.PACK_KMAJOR, new LaunchDims(checkedGrid(tiles), 32, 8, 1, 0),
        new KernelArgs().ptr(src).i32(ld).i32(kMajor ? 0 : 1).i32(rows).i32(k).ptr(dst).i32(ldd));
  }

  /**
   * C = op(A) op(B) into c (int32 when ep is null, else fp32 through the epilogue). Buffers are checked
   * by the caller.
   */
  void run(GemmDesc d, DeviceBuffer a, DeviceBuffer b, DeviceEpilogue ep, DeviceBuffer c) {
    device.run(() -> {
      Operand oa = kMajor(a, d.lda(), d.transA() == Trans.N, d.m(), d.k(), ScratchSlot.PACK_A);
      Operand ob = kMajor(b, d.ldb(), d.transB() == Trans.T, d.n(), d.k(), ScratchSlot.PACK_B);
      DeviceEpilogue e = ep == null ? DeviceEpilogue.scale(1f) : ep;
      boolean mma = CudaKernel.GEMM_S8_MMA.availableOn(device.target());
      int tile = mma ? MMA_TILE : DP4A_TILE;
      long tiles = ((long) d.m() + tile - 1) / tile * (((long) d.n() + tile - 1) / tile);
      int slice = sliceLength(d.k(), tiles, device.info().multiprocessors());
      if (slice == d.k()) {
        launch(mma, tiles, oa, ob, c, d.ldc(), d, d.k(), ep == null ? OUT_S32 : OUT_F32, e);
        return;
      }
      DeviceBuffer acc = device.scratch(ScratchSlot.ACC64, DType.S64, (long) d.m() * d.n());
      device.memsetD8(acc, (byte) 0, (long) d.m() * d.n() * 8);
      long slices = ((long) d.k() + slice - 1) / slice;
      launch(mma, tiles * slices, oa, ob, acc, d.n(), d, slice, OUT_S64_ADD,
          DeviceEpilogue.scale(1f));
      device.launch(CudaKernel.GEMM_FINISH_S64,
          LaunchDims.elementwise((long) d.m() * d.n(), 256),
          new KernelArgs().ptr(acc).i32(d.m()).i32(d.n()).i32(ep == null ? OUT_S32 : OUT_F32)
              .ptr(c).i32(d.ldc()).f32(e.alpha()).ptr(e.rowScale()).ptr(e.colScale())
              .ptr(e.bias()).f32(e.beta()));
    });
  }

  /**
   * The K slice of one block: all of k when it fits an exact int32 pass and the tiles already give every
   * SM two blocks, else a multiple of 64 (keeps slices 16-byte aligned) no longer than KMAX and no shorter
   * than MIN_SLICE (unless k itself is), for about two blocks per SM.
   */
  static int sliceLength(int k, long tiles, int multiprocessors) {
    long target = 2L * Math.max(1, multiprocessors);
    long slices = (k + (long) GemmDesc.KMAX - 1) / GemmDesc.KMAX; // exactness
    if (tiles < target) {
      slices = Math.max(slices, Math.min((target + tiles - 1) / tiles, k / MIN_SLICE));
    }
    if (slices <= 1) {
      return k;
    }
    long len = ((k + slices - 1) / slices + 63) / 64 * 64;
    return (int) Math.min(len, GemmDesc.KMAX);
  }

  private void launch(boolean mma, long blocks, Operand a, Operand b, DeviceBuffer c, int ldc,
      GemmDesc d, int slice, int mode, DeviceEpilogue e) {
    LaunchDims dims = LaunchDims.of(checkedGrid(blocks), GEMM_THREADS, mma ? MMA_SMEM : 0);
    KernelArgs args = new KernelArgs().ptr(a.data()).i32(a.ld()).ptr(b.data()).i32(b.ld()).ptr(c)
        .i32(ldc).i32(d.m()).i32(d.n()).i32(d.k()).i32(slice).i32(mode).f32(e.alpha())
        .ptr(e.rowScale()).ptr(e.colScale()).ptr(e.bias()).f32(e.beta());
    device.launch(mma ? CudaKernel.GEMM_S8_MMA : CudaKernel.GEMM_S8_DP4A, dims, args);
  }

  /** fp32 GEMM: a 64 x 64 tile per block. */
  void sgemm(GemmDesc d, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c) {
    long tiles = ((long) d.m() + 63) / 64 * (((long) d.n() + 63) / 64);
    device.launch(CudaKernel.GEMM_F32, LaunchDims.of(checkedGrid(tiles), 256, 0),
        new KernelArgs().i32(d.transA().code()).i32(d.transB().code()).i32(d.m()).i32(d.n())
            .i32(d.k()).f32(alpha).ptr(a).i32(d.lda()).ptr(b).i32(d.ldb()).f32(beta).ptr(c)
            .i32(d.ldc()));
  }

  private static int checkedGrid(long tiles) {
    if (tiles > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("gemm: " + tiles + " tiles exceed a grid of 2^31-1 blocks");
    }
    return (int) tiles;
  }
}
