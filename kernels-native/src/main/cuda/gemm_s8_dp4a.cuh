/*
 * gemm_s8_dp4a.cuh - s8 x s8 -> s32 GEMM with __dp4a (four int8 products summed into int32 per
 * instruction), the path of sm_75 parts (Turing), compiled into every PTX. Same operand contract as the
 * tensor-core kernel (A m x k and B n x k, K-major, lda / ldb multiples of 16, 16-byte aligned bases), same
 * arguments and output modes, so the host launches either with one argument list.
 *
 * Tiling: a block of 256 threads computes 64 x 64 of C, each thread a 4 x 4 grid of outputs strided by 16
 * (rows ty + 16i, columns tx + 16j) so that a warp reads broadcast A words and 16 consecutive B words from
 * shared memory. K advances 64 bytes (16 packed words) per step; A and B tiles are stored word-major,
 * [k word][row], so the inner loop reads both operands with unit stride across threads.
 */
#ifndef INT8K_GEMM_S8_DP4A_CUH
#define INT8K_GEMM_S8_DP4A_CUH

#include "gemm_epilogue.cuh"

#define DP4A_BM 64
#define DP4A_BN 64
#define DP4A_BK 64 /* bytes of K per step: 16 words */
#define DP4A_THREADS 256

/* Row `row` bytes [k0, k0 + 16) of a K-major operand as four words, zero beyond k or past the last row. */
__device__ __forceinline__ int4 k_load16_kmajor(const int8_t *p, int ld, int rows, int k, int64_t row,
                                                int64_t k0) {
  int4 v = make_int4(0, 0, 0, 0);
  if (row >= rows || k0 >= k) return v;
  const int8_t *src = p + row * ld + k0;
  if (k0 + 16 <= k) return *reinterpret_cast<const int4 *>(src); /* 16-byte aligned by contract */
  int w[4] = {0, 0, 0, 0};
  for (int q = 0; q < 16 && k0 + q < k; q++) {
    w[q >> 2] |= (int)(uint8_t)src[q] << (8 * (q & 3));
  }
  return make_int4(w[0], w[1], w[2], w[3]);
}

extern "C" __global__ void __launch_bounds__(DP4A_THREADS)
    int8k_gemm_s8_dp4a(const int8_t *__restrict__ a, int lda, const int8_t *__restrict__ b, int ldb, void *c,
                       int ldc, int m, int n, int k, int k_split, int mode, float alpha,
                       const float *row_scale, const float *col_scale, const float *bias, float beta) {
  __shared__ int s_a[DP4A_BK / 4][DP4A_BM + 4];
  __shared__ int s_b[DP4A_BK / 4][DP4A_BN + 4];

  int tm, tn, kn;
  int64_t kb;
  k_block_work(m, n, k, k_split, DP4A_BM, DP4A_BN, &tm, &tn, &kb, &kn);
  const int64_t row0 = (int64_t)tm * DP4A_BM;
  const int64_t col0 = (int64_t)tn * DP4A_BN;
  a += kb; /* this block's K slice (k_split is a multiple of 64: alignment kept) */
  b += kb;
  k = kn;
  const int tx = threadIdx.x & 15;
  const int ty = threadIdx.x >> 4;
  /* loader: 64 rows x 4 chunks of 16 bytes = 256 chunks, one per thread, for each operand */
  const int lr = threadIdx.x >> 2;
  const int lc = threadIdx.x & 3;

  int acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; i++)
#pragma unroll
    for (int j = 0; j < 4; j++) acc[i][j] = 0;

  for (int64_t k0 = 0; k0 < k; k0 += DP4A_BK) {
    int4 va = k_load16_kmajor(a, lda, m, k, row0 + lr, k0 + lc * 16);
    int4 vb = k_load16_kmajor(b, ldb, n, k, col0 + lr, k0 + lc * 16);
    s_a[lc * 4 + 0][lr] = va.x;
    s_a[lc * 4 + 1][lr] = va.y;
    s_a[lc * 4 + 2][lr] = va.z;
    s_a[lc * 4 + 3][lr] = va.w;
    s_b[lc * 4 + 0][lr] = vb.x;
    s_b[lc * 4 + 1][lr] = vb.y;
    s_b[lc * 4 + 2][lr] = vb.z;
    s_b[lc * 4 + 3][lr] = vb.w;
    __syncthreads();
#pragma unroll
    for (int w = 0; w < DP4A_BK / 4; w++) {
      int av[4], bv[4];
#pragma unroll
      for (int i = 0; i < 4; i++) av[i] = s_a[w][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; j++) bv[j] = s_b[w][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = __dp4a(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }

  k_epilogue ep = {alpha, row_scale, col_scale, bias, beta};
#pragma unroll
  for (int i = 0; i < 4; i++) {
#pragma unroll
    for (int j = 0; j < 4; j++) {
      int64_t gi = row0 + ty + 16 * i;
      int64_t gj = col0 + tx + 16 * j;
      if (gi < m && gj < n) k_store_sum(mode, c, ldc, gi, gj, acc[i][j], ep);
    }
  }
}

/*
 * Copies a GEMM operand into the K-major layout the kernels read: dst[r][p] (row stride ldd, a multiple of
 * 16, ldd >= k) = the operand's element (r, p) for p < k and 0 for k <= p < ldd. With trans = 0 element
 * (r, p) is src[r*ld + p]; with trans = 1 it is src[p*ld + r] (then it is a transpose, done through a
 * 32 x 32 shared tile so both the reads and the writes are coalesced).
 * A of op(A) = A (transA = N) packs with trans = 0, rows = m; B packs as its transpose, rows = n,
 * trans = (transB == N). Block 32 x 8 threads, a 1-D grid of ceil(rows/32) * ceil(ldd/32) tiles.
 */
extern "C" __global__ void int8k_pack_kmajor(const int8_t *__restrict__ src, int ld, int trans, int rows, int k,
                                             int8_t *__restrict__ dst, int ldd) {
  __shared__ int8_t tile[32][33];
  const int64_t tiles_p = (ldd + 31) / 32;
  const int64_t r0 = ((int64_t)blockIdx.x / tiles_p) * 32;
  const int64_t p0 = ((int64_t)blockIdx.x % tiles_p) * 32;
  const int tx = threadIdx.x;
  const int ty = threadIdx.y;
  if (trans) {
#pragma unroll
    for (int q = 0; q < 4; q++) {
      int64_t p = p0 + ty + 8 * q;
      int64_t r = r0 + tx;
      tile[ty + 8 * q][tx] = (p < k && r < rows) ? src[p * ld + r] : (int8_t)0;
    }
    __syncthreads();
#pragma unroll
    for (int q = 0; q < 4; q++) {
      int64_t r = r0 + ty + 8 * q;
      int64_t p = p0 + tx;
      if (r < rows && p < ldd) dst[r * ldd + p] = tile[tx][ty + 8 * q];
    }
  } else {
#pragma unroll
    for (int q = 0; q < 4; q++) {
      int64_t r = r0 + ty + 8 * q;
      int64_t p = p0 + tx;
      if (r < rows && p < ldd) dst[r * ldd + p] = p < k ? src[r * ld + p] : (int8_t)0;
    }
  }
}

#endif /* INT8K_GEMM_S8_DP4A_CUH */
