/*
 * gemm_epilogue.cuh - where an s8 x s8 GEMM's exact integer sum S goes, shared by the tensor-core
 * kernel, the DP4A kernel and the int64 finishing pass of long reductions.
 *
 * Output modes (the `mode` kernel argument; io.sparkint8.kernels.CudaGemm spells the same numbers):
 *   K_OUT_S32    C is int32: C[i][j] = S (exact for k <= INT8K_KMAX, which the host guarantees)
 *   K_OUT_F32    C is fp32: the Epilogue of io.sparkint8.kernels.Epilogue, in exactly its order:
 *                  v = float(S); v = v * alpha; v = v * rowScale[i]; v = v * colScale[j];
 *                  v = v + bias[j]; v = v + beta * C_old[i][j]   (each step only when its operand is given,
 *                  C_old read only when beta != 0), every operation rounded on its own (_rn intrinsics)
 *   K_OUT_S64_ADD C is int64 (dense, ldc = n, zeroed by the host): C[i][j] += S with a 64-bit atomic add.
 *                  Split-K: each block sums one K slice exactly in int32 and the slices meet here. Integer
 *                  addition is associative, so the total is exact and independent of the order the blocks
 *                  finish in; int8k_gemm_finish_s64 then writes the int32 or fp32 result.
 */
#ifndef INT8K_GEMM_EPILOGUE_CUH
#define INT8K_GEMM_EPILOGUE_CUH

#include "int8k_cuda.cuh"

#define K_OUT_S32 0
#define K_OUT_F32 1
#define K_OUT_S64_ADD 2

struct k_epilogue {
  float alpha;
  const float *row_scale; /* m entries or null */
  const float *col_scale; /* n entries or null */
  const float *bias;      /* n entries or null */
  float beta;
};

__device__ __forceinline__ float k_apply_epilogue(float v, const k_epilogue &ep, int64_t i, int64_t j,
                                                  const float *old) {
  v = __fmul_rn(v, ep.alpha);
  if (ep.row_scale) v = __fmul_rn(v, ep.row_scale[i]);
  if (ep.col_scale) v = __fmul_rn(v, ep.col_scale[j]);
  if (ep.bias) v = __fadd_rn(v, ep.bias[j]);
  if (ep.beta != 0.0f) v = __fadd_rn(v, __fmul_rn(ep.beta, *old));
  return v;
}

/* Stores the int32 sum of element (i, j); the caller has checked i < m and j < n. */
__device__ __forceinline__ void k_store_sum(int mode, void *c, int64_t ldc, int64_t i, int64_t j, int32_t s,
                                            const k_epilogue &ep) {
  int64_t at = i * ldc + j;
  if (mode == K_OUT_S32) {
    ((int32_t *)c)[at] = s;
  } else if (mode == K_OUT_F32) {
    float *cf = (float *)c;
    cf[at] = k_apply_epilogue(__int2float_rn(s), ep, i, j, cf + at);
  } else {
    /* two's complement: adding the sign-extended value modulo 2^64 is the signed sum */
    atomicAdd((unsigned long long *)c + at, (unsigned long long)(long long)s);
  }
}

/*
 * Which output tile and K slice a block computes. The grid is 1-D (x reaches 2^31 - 1; y and z stop at
 * 65535, which m / 128 could exceed): block b works on K slice b / tiles (split-K; one slice unless the
 * host splits) and tile b % tiles, the tiles walked in groups of 8 tile rows so that consecutive blocks
 * share B tiles in L2. The slice is [*k0, *k0 + *kn), k_split elements long except the last.
 */
__device__ __forceinline__ void k_block_work(int m, int n, int k, int k_split, int bm, int bn, int *tm,
                                             int *tn, int64_t *k0, int *kn) {
  const int tiles_m = (m + bm - 1) / bm;
  const int tiles_n = (n + bn - 1) / bn;
  const int tiles = tiles_m * tiles_n;
  const int slice = blockIdx.x / tiles;
  *k0 = (int64_t)slice * k_split;
  int64_t left = k - *k0;
  *kn = left < k_split ? (int)left : k_split;
  const int group = 8;
  int t = blockIdx.x % tiles;
  int per_group = group * tiles_n;
  int first = (t / per_group) * group;
  int gsize = tiles_m - first < group ? tiles_m - first : group;
  int in_group = t % per_group;
  *tm = first + in_group % gsize;
  *tn = in_group / gsize;
}

/*
 * The int64 sums of a split reduction (K_OUT_S64_ADD) written out: s32 mode keeps the low 32 bits (the reference's (int) of the long sum, i.e. modulo 2^32);
 * f32 mode converts the exact sum with one rounding (the reference's (float) of a long) and applies the
 * epilogue.
 */
extern "C" __global__ void int8k_gemm_finish_s64(const long long *__restrict__ acc, int m, int n, int mode,
                                                 void *c, int ldc, float alpha, const float *row_scale,
                                                 const float *col_scale, const float *bias, float beta) {
  k_epilogue ep = {alpha, row_scale, col_scale, bias, beta};
  int64_t count = (int64_t)m * n;
  for (int64_t e = k_first_index(); e < count; e += k_grid_stride()) {
    int64_t i = e / n, j = e % n;
    long long s = acc[e];
    int64_t at = i * ldc + j;
    if (mode == K_OUT_S32) {
      ((int32_t *)c)[at] = (int32_t)(uint32_t)(unsigned long long)s;
    } else {
      float *cf = (float *)c;
      cf[at] = k_apply_epilogue(__ll2float_rn(s), ep, i, j, cf + at);
    }
  }
}

#endif /* INT8K_GEMM_EPILOGUE_CUH */
