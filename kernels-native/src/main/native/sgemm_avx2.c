/*
 * sgemm_avx2.c - the fp32 GEMM core (sgemm.h) with AVX2 FMAs (Haswell, Zen 1-3).
 *
 * Register tile: SG_MR = 6 rows x SG_NR = 16 columns, 12 ymm accumulators + 2 B vectors + 1 broadcast of
 * the 16 registers. Each accumulator lane is one output C[i][j] and receives its fma steps in p order, so
 * the result is the chain of sgemm.h whatever the tile. Row tails get their own kernels (one per mr);
 * column tails use masked loads and stores (the packed B is zero there).
 */
#include <immintrin.h>
#include <stdint.h>

#define SG_MR 6
#define SG_NR 16
#ifndef SG_KC
#define SG_KC 256
#endif
#ifndef SG_NC
#define SG_NC 512
#endif
#define SG_ENTRY int8k_sgemm_avx2

/* lanes [0, n) of 8 set (n may be <= 0 or >= 8) */
static inline __m256i sg_mask8(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 0 ? 0 : n > 8 ? 8 : n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The mr x 16 tile over kc steps; A[r][p] at a[r * ars + p * aks] (constants in each instantiation);
 * step p < npf prefetches pf[p] (see sgemm_blocked.h). */
static inline __attribute__((always_inline)) void sg_tile(const int mr, int64_t kc, const float *a, int64_t ars,
                                                          int64_t aks, const float *b, float *c, int64_t ldc,
                                                          int64_t nr, int resume, const char *const *pf,
                                                          int64_t npf) {
  __m256 c0[SG_MR], c1[SG_MR];
  if (resume) {
    if (nr == SG_NR) {
#pragma GCC unroll 8
      for (int r = 0; r < mr; r++) {
        c0[r] = _mm256_loadu_ps(c + r * ldc);
        c1[r] = _mm256_loadu_ps(c + r * ldc + 8);
      }
    } else {
      const __m256i m0 = sg_mask8(nr), m1 = sg_mask8(nr - 8);
#pragma GCC unroll 8
      for (int r = 0; r < mr; r++) {
        c0[r] = _mm256_maskload_ps(c + r * ldc, m0);
        c1[r] = _mm256_maskload_ps(c + r * ldc + 8, m1);
      }
    }
  } else {
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
      c0[r] = _mm256_setzero_ps();
      c1[r] = _mm256_setzero_ps();
    }
  }
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(b + p * SG_NR), b1 = _mm256_loadu_ps(b + p * SG_NR + 8);
    if (p < npf) _mm_prefetch(pf[p], _MM_HINT_T1);
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
      const __m256 av = _mm256_broadcast_ss(a + r * ars + p * aks);
      c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
      c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
    }
  }
  if (nr == SG_NR) {
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
      _mm256_storeu_ps(c + r * ldc, c0[r]);
      _mm256_storeu_ps(c + r * ldc + 8, c1[r]);
    }
  } else {
    const __m256i m0 = sg_mask8(nr), m1 = sg_mask8(nr - 8);
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
      _mm256_maskstore_ps(c + r * ldc, m0, c0[r]);
      _mm256_maskstore_ps(c + r * ldc + 8, m1, c1[r]);
    }
  }
}

#define SG_INSTANCE(MRV)                                                                                     \
  static void sg_packed_##MRV(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int64_t nr,   \
                              int resume, const char *const *pf, int64_t npf) {                              \
    sg_tile(MRV, kc, a, 1, SG_MR, b, c, ldc, nr, resume, pf, npf);                                           \
  }                                                                                                          \
  static void sg_rows_##MRV(int64_t kc, const float *a, int64_t lda, const float *b, float *c, int64_t ldc,   \
                            int64_t nr, int resume, const char *const *pf, int64_t npf) {                    \
    sg_tile(MRV, kc, a, lda, 1, b, c, ldc, nr, resume, pf, npf);                                             \
  }
SG_INSTANCE(1)
SG_INSTANCE(2)
SG_INSTANCE(3)
SG_INSTANCE(4)
SG_INSTANCE(5)
SG_INSTANCE(6)
#undef SG_INSTANCE

typedef void (*sg_packed_fn)(int64_t, const float *, const float *, float *, int64_t, int64_t, int,
                             const char *const *, int64_t);
typedef void (*sg_rows_fn)(int64_t, const float *, int64_t, const float *, float *, int64_t, int64_t, int,
                           const char *const *, int64_t);
static const sg_packed_fn sg_packed_fns[SG_MR + 1] = {NULL,        sg_packed_1, sg_packed_2, sg_packed_3,
                                                      sg_packed_4, sg_packed_5, sg_packed_6};
static const sg_rows_fn sg_rows_fns[SG_MR + 1] = {NULL,      sg_rows_1, sg_rows_2, sg_rows_3,
                                                  sg_rows_4, sg_rows_5, sg_rows_6};

static inline void sg_kernel_packed(int mr, int64_t kc, const float *ap, const float *bp, float *c, int64_t ldc,
                                    int64_t nr, int resume, const char *const *pf, int64_t npf) {
  sg_packed_fns[mr](kc, ap, bp, c, ldc, nr, resume, pf, npf);
}

static inline void sg_kernel_rows(int mr, int64_t kc, const float *a, int64_t lda, const float *bp, float *c,
                                  int64_t ldc, int64_t nr, int resume, const char *const *pf, int64_t npf) {
  sg_rows_fns[mr](kc, a, lda, bp, c, ldc, nr, resume, pf, npf);
}

#include "sgemm_blocked.h"
