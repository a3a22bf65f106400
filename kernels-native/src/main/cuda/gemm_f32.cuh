/*
 * gemm_f32.cuh - fp32 GEMM for the fp32 precision mode: C = alpha * op(A) * op(B) + beta * C (C not read
 * when beta == 0), row-major operands with transposes and leading dimensions as GemmDesc defines them.
 *
 * Like the CPU backends' BLAS route, its results agree with the reference within rounding, not bit for
 * bit: it accumulates with fmaf (explicit, so -fmad=false does not slow it down). A plain shared-memory
 * tiled kernel (64 x 64 per block, 4 x 4 per thread, K steps of 16); the fp32 mode is the baseline the
 * int8 path is measured against, and a vendor SGEMM would be the fair peer there (see README).
 */
#ifndef INT8K_GEMM_F32_CUH
#define INT8K_GEMM_F32_CUH

#include "int8k_cuda.cuh"

#define SG_TILE 64
#define SG_BK 16
#define SG_THREADS 256

extern "C" __global__ void __launch_bounds__(SG_THREADS)
    int8k_gemm_f32(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *__restrict__ a,
                   int lda, const float *__restrict__ b, int ldb, float beta, float *__restrict__ c, int ldc) {
  __shared__ float s_a[SG_BK][SG_TILE + 4]; /* [p][i] */
  __shared__ float s_b[SG_BK][SG_TILE + 4]; /* [p][j] */
  const int64_t tiles_n = (n + SG_TILE - 1) / SG_TILE;
  const int64_t row0 = ((int64_t)blockIdx.x / tiles_n) * SG_TILE;
  const int64_t col0 = ((int64_t)blockIdx.x % tiles_n) * SG_TILE;
  const int tid = threadIdx.x;
  const int tx = tid & 15;
  const int ty = tid >> 4;

  float acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; i++)
#pragma unroll
    for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

  for (int64_t p0 = 0; p0 < k; p0 += SG_BK) {
    /* 64 x 16 elements of each operand, 4 per thread, read along the operand's contiguous dimension */
#pragma unroll
    for (int q = 0; q < 4; q++) {
      int e = tid + q * SG_THREADS;
      int i, p;
      if (trans_a == 0) { /* A[i][p] = a[i*lda + p]: contiguous in p */
        i = e / SG_BK;
        p = e % SG_BK;
      } else { /* A[i][p] = a[p*lda + i]: contiguous in i */
        p = e / SG_TILE;
        i = e % SG_TILE;
      }
      int64_t gi = row0 + i, gp = p0 + p;
      float v = 0.0f;
      if (gi < m && gp < k) v = trans_a == 0 ? a[gi * lda + gp] : a[gp * lda + gi];
      s_a[p][i] = v;

      int j;
      if (trans_b == 0) { /* B[p][j] = b[p*ldb + j]: contiguous in j */
        p = e / SG_TILE;
        j = e % SG_TILE;
      } else { /* B[p][j] = b[j*ldb + p]: contiguous in p */
        j = e / SG_BK;
        p = e % SG_BK;
      }
      int64_t gj = col0 + j;
      gp = p0 + p;
      float w = 0.0f;
      if (gj < n && gp < k) w = trans_b == 0 ? b[gp * ldb + gj] : b[gj * ldb + gp];
      s_b[p][j] = w;
    }
    __syncthreads();
#pragma unroll
    for (int p = 0; p < SG_BK; p++) {
      float av[4], bv[4];
#pragma unroll
      for (int i = 0; i < 4; i++) av[i] = s_a[p][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; j++) bv[j] = s_b[p][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 4; i++) {
#pragma unroll
    for (int j = 0; j < 4; j++) {
      int64_t gi = row0 + ty + 16 * i;
      int64_t gj = col0 + tx + 16 * j;
      if (gi < m && gj < n) {
        float *out = c + gi * ldc + gj;
        *out = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *out;
      }
    }
  }
}

#endif /* INT8K_GEMM_F32_CUH */
