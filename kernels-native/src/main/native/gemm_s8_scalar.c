/*
 * gemm_s8_scalar.c - portable s8 x s8 GEMM (the reference-speed path and the fallback on CPUs without AVX2).
 *
 * Packed-B layout (private to this ISA): B transposed, n rows of k int8 each, i.e. body[j*k + p] = B[p][j].
 * Every dot product then runs over two contiguous int8 vectors, which the compiler vectorizes with whatever
 * baseline SIMD the target has.
 *
 * Exactness: |a*b| <= 2^14 and k <= INT8K_KMAX, so every partial sum fits in int32 (see int8k.h).
 */
#include <stdlib.h>
#include <string.h>

#include "int8k_isa.h"
#include "sgemm.h"

/* Columns of B transposed per block when B is not pre-packed: bounds the scratch to NB_SCALAR * k bytes. */
#define NB_SCALAR 64

static int64_t packed_b_body_size_scalar(int64_t k, int64_t n) { return k * n; }

/* Writes columns [j0, j0 + nb) of op(B) as rows of k contiguous int8. */
static void transpose_b_cols(int trans_b, int64_t k, int64_t j0, int64_t nb, const int8_t *b, int64_t ldb,
                             int8_t *dst) {
  if (trans_b) {
    for (int64_t j = 0; j < nb; j++) memcpy(dst + j * k, b + (j0 + j) * ldb, (size_t)k);
    return;
  }
  /* Row-by-row over B keeps the source reads sequential; the scattered writes stay within nb lines. */
  for (int64_t p = 0; p < k; p++) {
    const int8_t *src = b + p * ldb + j0;
    for (int64_t j = 0; j < nb; j++) dst[j * k + p] = src[j];
  }
}

static void pack_b_scalar(int trans_b, int64_t k, int64_t n, const int8_t *b, int64_t ldb, uint8_t *body) {
  transpose_b_cols(trans_b, k, 0, n, b, ldb, (int8_t *)body);
}

static inline int32_t dot_s8(const int8_t *x, const int8_t *y, int64_t k) {
  int32_t s = 0;
  for (int64_t p = 0; p < k; p++) s += (int32_t)x[p] * (int32_t)y[p];
  return s;
}

static int gemm_s8s8_scalar(const int8k_gemm_call *call) {
  const int64_t m = call->m, n = call->n, k = call->k;
  int8_t *bt_buf = NULL, *arow = NULL;
  if (!call->packed_b && !call->trans_b) {
    bt_buf = (int8_t *)int8k_scratch_alloc((size_t)(k * (n < NB_SCALAR ? n : NB_SCALAR)));
    if (!bt_buf) return INT8K_ERR_NOMEM;
  }
  if (call->trans_a) {
    arow = (int8_t *)int8k_scratch_alloc((size_t)k);
    if (!arow) {
      int8k_scratch_free(bt_buf);
      return INT8K_ERR_NOMEM;
    }
  }
  for (int64_t j0 = 0; j0 < n; j0 += NB_SCALAR) {
    const int64_t nb = n - j0 < NB_SCALAR ? n - j0 : NB_SCALAR;
    const int8_t *bt; /* column j of the block at bt + j * ldbt */
    int64_t ldbt;
    if (call->packed_b) {
      bt = (const int8_t *)call->packed_b + j0 * k;
      ldbt = k;
    } else if (call->trans_b) {
      bt = call->b + j0 * call->ldb;
      ldbt = call->ldb;
    } else {
      transpose_b_cols(0, k, j0, nb, call->b, call->ldb, bt_buf);
      bt = bt_buf;
      ldbt = k;
    }
    for (int64_t i = 0; i < m; i++) {
      const int8_t *ar;
      if (call->trans_a) {
        for (int64_t p = 0; p < k; p++) arow[p] = call->a[p * call->lda + i];
        ar = arow;
      } else {
        ar = call->a + i * call->lda;
      }
      if (call->ep) {
        float *crow = call->c_f32 + i * call->ldc;
        for (int64_t j = 0; j < nb; j++)
          crow[j0 + j] = int8k_epilogue_apply(call->ep, dot_s8(ar, bt + j * ldbt, k), i, j0 + j, crow + j0 + j);
      } else {
        int32_t *crow = call->c_s32 + i * call->ldc;
        for (int64_t j = 0; j < nb; j++) crow[j0 + j] = dot_s8(ar, bt + j * ldbt, k);
      }
    }
  }
  int8k_scratch_free(bt_buf);
  int8k_scratch_free(arow);
  return INT8K_OK;
}

const int8k_gemm_ops int8k_gemm_ops_scalar = {INT8K_ISA_SCALAR, packed_b_body_size_scalar, pack_b_scalar,
                                              gemm_s8s8_scalar, int8k_sgemm_scalar};
