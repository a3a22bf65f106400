/*
 * gemm_s8_mma.cuh - s8 x s8 -> s32 GEMM on tensor cores with mma.sync.aligned.m16n8k32 (sm_80 and newer;
 * compiled only into the sm_80 and sm_90 PTX).
 *
 * Operands (the host arranges them, see io.sparkint8.kernels.CudaGemm): A is m x k and B is n x k, both "K-major" (a row
 * holds consecutive k), with leading dimensions lda, ldb that are multiples of 16 bytes and 16-byte aligned
 * base addresses. Operands stored otherwise are first copied into that layout by int8k_pack_kmajor. Any m,
 * n, k >= 1 is handled (each block reduces one K slice of k_split <= INT8K_KMAX elements, see
 * k_block_work): rows beyond m / n and the K tail are zero-filled by cp.async's
 * src-size operand, so the main loop has no bounds checks; the epilogue stores only i < m, j < n.
 *
 * Tiling: a block computes 128 x 128 of C with 8 warps (2 along M x 4 along N, 64 x 32 each) and walks K
 * in steps of 64 through a 3-stage cp.async pipeline (3 x 16 KiB of shared memory). A warp's 64 x 32 tile
 * is 4 x 4 mma tiles of 16 x 8, i.e. 64 int32 accumulators per thread.
 *
 * Shared layout: each stage holds A as [128 rows][64 bytes] and B as [128 n-rows][64 bytes]. The four
 * 16-byte chunks of a row are XOR-swizzled with (row >> 1) & 3 so that the 8 row addresses of one
 * ldmatrix phase (8 rows, same chunk) fall into 8 distinct 16-byte bank groups of a 128-byte line
 * (without it rows r and r + 2 collide: 4-way conflicts).
 *
 * Fragments (PTX ISA, mma.m16n8k32 with .s8; g = lane >> 2, t = lane & 3):
 *   A (16 x 32, row): a0 = A[g][4t..4t+3], a1 = A[g+8][4t..], a2 = A[g][16+4t..], a3 = A[g+8][16+4t..]
 *   B (32 x 8, col):  b0 = B[4t..4t+3][g], b1 = B[16+4t..16+4t+3][g]
 *   C (16 x 8):       c0, c1 = C[g][2t], C[g][2t+1];  c2, c3 = C[g+8][2t], C[g+8][2t+1]
 * ldmatrix.x4 on the K-major smem tiles yields exactly these registers: an 8 x 8 matrix of b16 is 8 rows x
 * 16 bytes, and thread l receives bytes 4(l%4)..4(l%4)+3 of row l/4 of each matrix.
 */
#ifndef INT8K_GEMM_S8_MMA_CUH
#define INT8K_GEMM_S8_MMA_CUH

#include "gemm_epilogue.cuh"

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800

#define MMA_BM 128
#define MMA_BN 128
#define MMA_BK 64
#define MMA_STAGES 3
#define MMA_THREADS 256
/* dynamic shared memory of one block: 48 KiB, the most a kernel gets without an opt-in attribute */
#define MMA_SMEM_BYTES (MMA_STAGES * (MMA_BM + MMA_BN) * MMA_BK)

__device__ __forceinline__ uint32_t k_smem_u32(const void *p) {
  return (uint32_t)__cvta_generic_to_shared(p);
}

/* 16 bytes global -> shared, of which the first src_bytes (0..16) are read and the rest zero-filled. */
__device__ __forceinline__ void k_cp_async16(uint32_t dst, const void *src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void k_cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> __device__ __forceinline__ void k_cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__device__ __forceinline__ void k_ldmatrix_x4(uint32_t &r0, uint32_t &r1, uint32_t &r2, uint32_t &r3,
                                              uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
               : "r"(addr));
}

/* d += A(16x32) * B(32x8); no .satfinite: the host keeps every pass within int32 (k <= INT8K_KMAX). */
__device__ __forceinline__ void k_mma_s8(int32_t (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/* Byte offset of 16-byte chunk `chunk` (0..3) of row `row` in a [rows][64 bytes] swizzled tile. */
__device__ __forceinline__ uint32_t k_swz(int row, int chunk) {
  return (uint32_t)(row * MMA_BK + ((chunk ^ ((row >> 1) & 3)) << 4));
}

/* Issues the cp.async copies of K tile kt (rows row0.. of A, n-rows col0.. of B) into stage smem. */
__device__ __forceinline__ void k_mma_load_tile(uint32_t s_a, uint32_t s_b, const int8_t *a, int lda,
                                                const int8_t *b, int ldb, int m, int n, int k, int64_t row0,
                                                int64_t col0, int kt) {
  int64_t k0 = (int64_t)kt * MMA_BK;
#pragma unroll
  for (int i = 0; i < (MMA_BM * MMA_BK / 16) / MMA_THREADS; i++) {
    int idx = threadIdx.x + i * MMA_THREADS;
    int r = idx >> 2;
    int chunk = idx & 3;
    int64_t kk = k0 + chunk * 16;
    int64_t left = k - kk;
    int span = left <= 0 ? 0 : (left >= 16 ? 16 : (int)left);

    int64_t ga = row0 + r;
    const int8_t *src_a = (ga < m && span > 0) ? a + ga * lda + kk : a;
    k_cp_async16(s_a + k_swz(r, chunk), src_a, (ga < m) ? span : 0);

    int64_t gb = col0 + r;
    const int8_t *src_b = (gb < n && span > 0) ? b + gb * ldb + kk : b;
    k_cp_async16(s_b + k_swz(r, chunk), src_b, (gb < n) ? span : 0);
  }
}

/* Stores a warp's 64 x 32 accumulators; (i0, j0) is this thread's first element (row g, column 2t). */
template <int MODE>
__device__ __forceinline__ void k_mma_store(const int32_t (&acc)[4][4][4], void *c, int ldc, int m, int n,
                                            int64_t i0, int64_t j0, const k_epilogue &ep) {
#pragma unroll
  for (int mi = 0; mi < 4; mi++) {
#pragma unroll
    for (int ni = 0; ni < 4; ni++) {
#pragma unroll
      for (int q = 0; q < 4; q++) {
        int64_t i = i0 + mi * 16 + (q >> 1) * 8;
        int64_t j = j0 + ni * 8 + (q & 1);
        if (i < m && j < n) k_store_sum(MODE, c, ldc, i, j, acc[mi][ni][q], ep);
      }
    }
  }
}

extern "C" __global__ void __launch_bounds__(MMA_THREADS)
    int8k_gemm_s8_mma(const int8_t *__restrict__ a, int lda, const int8_t *__restrict__ b, int ldb, void *c,
                      int ldc, int m, int n, int k, int k_split, int mode, float alpha,
                      const float *row_scale, const float *col_scale, const float *bias, float beta) {
  extern __shared__ __align__(128) uint8_t smem[];
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int wm = warp >> 2; /* 0..1: rows wm*64 .. +63 of the block tile */
  const int wn = warp & 3;  /* 0..3: cols wn*32 .. +31 */

  int tm, tn, kn;
  int64_t k0;
  k_block_work(m, n, k, k_split, MMA_BM, MMA_BN, &tm, &tn, &k0, &kn);
  const int64_t row0 = (int64_t)tm * MMA_BM;
  const int64_t col0 = (int64_t)tn * MMA_BN;
  /* this block's K slice: k_split is a multiple of 64, so the slice start keeps 16-byte alignment */
  a += k0;
  b += k0;
  k = kn;

  const uint32_t s_a0 = k_smem_u32(smem);
  const uint32_t s_b0 = s_a0 + MMA_STAGES * MMA_BM * MMA_BK;
  const uint32_t stage_a = MMA_BM * MMA_BK;
  const uint32_t stage_b = MMA_BN * MMA_BK;

  int32_t acc[4][4][4];
#pragma unroll
  for (int mi = 0; mi < 4; mi++)
#pragma unroll
    for (int ni = 0; ni < 4; ni++)
#pragma unroll
      for (int q = 0; q < 4; q++) acc[mi][ni][q] = 0;

  const int ktiles = (k + MMA_BK - 1) / MMA_BK;

  /* prologue: the first STAGES-1 tiles in flight, one commit group each (empty groups keep the count) */
#pragma unroll
  for (int s = 0; s < MMA_STAGES - 1; s++) {
    if (s < ktiles)
      k_mma_load_tile(s_a0 + s * stage_a, s_b0 + s * stage_b, a, lda, b, ldb, m, n, k, row0, col0, s);
    k_cp_async_commit();
  }

  for (int kt = 0; kt < ktiles; kt++) {
    /* groups committed so far: (STAGES-1) + kt; waiting until at most STAGES-2 are pending means tile kt
     * has landed. The barrier also tells every warp that stage (kt-1) % STAGES, read in the previous
     * iteration, is free for the prefetch below. */
    k_cp_async_wait<MMA_STAGES - 2>();
    __syncthreads();

    int next = kt + MMA_STAGES - 1;
    if (next < ktiles) {
      int ns = next % MMA_STAGES;
      k_mma_load_tile(s_a0 + ns * stage_a, s_b0 + ns * stage_b, a, lda, b, ldb, m, n, k, row0, col0, next);
    }
    k_cp_async_commit();

    const int cs = kt % MMA_STAGES;
    const uint32_t sa = s_a0 + cs * stage_a;
    const uint32_t sb = s_b0 + cs * stage_b;
#pragma unroll
    for (int k32 = 0; k32 < MMA_BK / 32; k32++) {
      uint32_t af[4][4];
      uint32_t bf[4][2];
#pragma unroll
      for (int mi = 0; mi < 4; mi++) {
        /* lanes 0-7: rows 0-7 / chunk c0 (a0); 8-15: rows 8-15 / c0 (a1); 16-23: rows 0-7 / c0+1 (a2);
         * 24-31: rows 8-15 / c0+1 (a3) */
        int r = wm * 64 + mi * 16 + (lane & 15);
        int chunk = k32 * 2 + (lane >> 4);
        k_ldmatrix_x4(af[mi][0], af[mi][1], af[mi][2], af[mi][3], sa + k_swz(r, chunk));
      }
#pragma unroll
      for (int nj = 0; nj < 2; nj++) {
        /* matrices: (tile 2nj, c0) -> b0, (2nj, c0+1) -> b1, (2nj+1, c0) -> b0', (2nj+1, c0+1) -> b1' */
        int q = lane >> 3;
        int r = wn * 32 + (nj * 2 + (q >> 1)) * 8 + (lane & 7);
        int chunk = k32 * 2 + (q & 1);
        k_ldmatrix_x4(bf[2 * nj][0], bf[2 * nj][1], bf[2 * nj + 1][0], bf[2 * nj + 1][1], sb + k_swz(r, chunk));
      }
#pragma unroll
      for (int mi = 0; mi < 4; mi++)
#pragma unroll
        for (int ni = 0; ni < 4; ni++) k_mma_s8(acc[mi][ni], af[mi], bf[ni][0], bf[ni][1]);
    }
  }
  k_cp_async_wait<0>();

  k_epilogue ep = {alpha, row_scale, col_scale, bias, beta};
  const int64_t i0 = row0 + wm * 64 + (lane >> 2);
  const int64_t j0 = col0 + wn * 32 + 2 * (lane & 3);
  /* one fully unrolled store loop per mode: with the mode switch inside the loop the compiler kept the
   * loop rolled and moved the 64 accumulators to local memory */
  switch (mode) {
  case K_OUT_S32: k_mma_store<K_OUT_S32>(acc, c, ldc, m, n, i0, j0, ep); break;
  case K_OUT_F32: k_mma_store<K_OUT_F32>(acc, c, ldc, m, n, i0, j0, ep); break;
  default: k_mma_store<K_OUT_S64_ADD>(acc, c, ldc, m, n, i0, j0, ep); break;
  }
}

#endif /* __CUDA_ARCH__ >= 800 */
#endif /* INT8K_GEMM_S8_MMA_CUH */
