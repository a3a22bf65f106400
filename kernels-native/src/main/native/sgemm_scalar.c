/*
 * sgemm_scalar.c - the portable fp32 GEMM core (sgemm.h): the blocking and packing of the vector paths
 * with a plain C tile of 4 x 4 outputs, each step a correctly rounded fmaf (the hardware instruction
 * where the compiler may use one, glibc's exact software fma otherwise).
 */
#include <math.h>
#include <stdint.h>

#define SG_MR 4
#define SG_NR 4
#ifndef SG_KC
#define SG_KC 256
#endif
#ifndef SG_NC
#define SG_NC 256
#endif
#define SG_ENTRY int8k_sgemm_scalar

static void sg_tile(int mr, int64_t kc, const float *a, int64_t ars, int64_t aks, const float *b, float *c,
                    int64_t ldc, int64_t nr, int resume) {
  float acc[SG_MR][SG_NR];
  for (int r = 0; r < mr; r++)
    for (int64_t j = 0; j < nr; j++) acc[r][j] = resume ? c[r * ldc + j] : 0.0f;
  for (int64_t p = 0; p < kc; p++) {
    for (int r = 0; r < mr; r++) {
      const float av = a[r * ars + p * aks];
      for (int64_t j = 0; j < nr; j++) acc[r][j] = fmaf(av, b[p * SG_NR + j], acc[r][j]);
    }
  }
  for (int r = 0; r < mr; r++)
    for (int64_t j = 0; j < nr; j++) c[r * ldc + j] = acc[r][j];
}

/* The prefetch list (pf, npf) is left alone: at the pace of this tile memory is never what it waits for. */
static inline void sg_kernel_packed(int mr, int64_t kc, const float *ap, const float *bp, float *c, int64_t ldc,
                                    int64_t nr, int resume, const char *const *pf, int64_t npf) {
  sg_tile(mr, kc, ap, 1, SG_MR, bp, c, ldc, nr, resume);
}

static inline void sg_kernel_rows(int mr, int64_t kc, const float *a, int64_t lda, const float *bp, float *c,
                                  int64_t ldc, int64_t nr, int resume, const char *const *pf, int64_t npf) {
  sg_tile(mr, kc, a, lda, 1, bp, c, ldc, nr, resume);
}

#include "sgemm_blocked.h"
