/*
 * sgemm_blocked.h - the blocking and packing of the fp32 GEMM cores (see sgemm.h), shared by every ISA:
 * each sgemm_<isa>.c defines its register tile and micro-kernels, then includes this file, which is
 * compiled with that ISA's flags.
 *
 * The including file defines
 *   SG_MR, SG_NR   the register tile: SG_MR rows (broadcast operand) x SG_NR columns (vectors)
 *   SG_KC, SG_NC   least k per block and columns per block
 *   SG_B_BLOCK     floats of a packed B block (kc x nc), sized for L2
 *   SG_ENTRY       the name of the core function to define (int SG_ENTRY(const int8k_sgemm_call *))
 * and the micro-kernels, which compute an mr x nr tile (1 <= mr <= SG_MR, 1 <= nr <= SG_NR) over kc k:
 *   sg_kernel_packed(mr, kc, ap, bp, c, ldc, nr, resume)      A packed: A[r][p] = ap[p * SG_MR + r]
 *   sg_kernel_rows(mr, kc, a, lda, bp, c, ldc, nr, resume)     A in place: A[r][p] = a[r * lda + p]
 * with B packed, B[p][j] = bp[p * SG_NR + j], and C[r][j] = c[r * ldc + j]. resume == 0: acc starts at
 * +0; resume != 0: acc starts from the float C holds (the sum of the earlier k blocks). Each output runs
 * acc = fma(A[r][p], B[p][j], acc) for p ascending, and the kernel stores acc into C.
 *
 * Loop order (Goto/BLIS, transposed to row-major): jc over SG_NC columns, pc over k blocks, B block
 * packed into panels of SG_NR columns (kc x SG_NR each, columns past n zero), then ir over SG_MR-row
 * micro-panels of A (packed just in time into an L1-resident buffer, or read in place), jr over the B
 * panels, which stream from L2 while the A micro-panel stays in L1.
 */
#ifndef SG_PF_LOCALITY
#define SG_PF_LOCALITY 2
#endif
#ifndef SG_B_BLOCK
#define SG_B_BLOCK (160 * 1024) /* 640 KB of a 1 MB L2 */
#endif
#ifndef SG_MR
#error "define SG_MR, SG_NR, SG_KC, SG_NC, SG_ENTRY and the micro-kernels before including sgemm_blocked.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "sgemm.h"

static inline int64_t sg_min(int64_t x, int64_t y) { return x < y ? x : y; }

static void *sg_alloc(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }

#ifndef SG_HAVE_PACK_B
/* Packs op(B) rows [pc, pc + kc), columns [jc, jc + nc) into panels of SG_NR columns: panel q at
 * dst + q * kc * SG_NR, element (p, j) at [p * SG_NR + j]; columns past nc are zero. */
static void sg_pack_b(int trans_b, const float *b, int64_t ldb, int64_t pc, int64_t kc, int64_t jc, int64_t nc,
                      float *dst) {
  for (int64_t q = 0; q * SG_NR < nc; q++) {
    const int64_t j0 = jc + q * SG_NR, w = sg_min(SG_NR, nc - q * SG_NR);
    float *d = dst + q * kc * SG_NR;
    if (!trans_b) {
      for (int64_t p = 0; p < kc; p++) {
        const float *s = b + (pc + p) * ldb + j0;
        for (int64_t j = 0; j < w; j++) d[p * SG_NR + j] = s[j];
        for (int64_t j = w; j < SG_NR; j++) d[p * SG_NR + j] = 0.0f;
      }
    } else {
      for (int64_t p = 0; p < kc; p++)
        for (int64_t j = w; j < SG_NR; j++) d[p * SG_NR + j] = 0.0f;
      for (int64_t j = 0; j < w; j++) {
        const float *s = b + (j0 + j) * ldb + pc;
        for (int64_t p = 0; p < kc; p++) d[p * SG_NR + j] = s[p];
      }
    }
  }
}
#endif

#ifndef SG_HAVE_PACK_A
/* Packs op(A) rows [i0, i0 + mr), k [pc, pc + kc) as dst[p * SG_MR + r] (rows past mr are not written;
 * the kernels for mr rows never read them). */
static void sg_pack_a(int trans_a, const float *a, int64_t lda, int64_t i0, int64_t mr, int64_t pc, int64_t kc,
                      float *dst) {
  if (trans_a) {
    for (int64_t p = 0; p < kc; p++) {
      const float *s = a + (pc + p) * lda + i0;
      for (int64_t r = 0; r < mr; r++) dst[p * SG_MR + r] = s[r];
    }
  } else {
    for (int64_t r = 0; r < mr; r++) {
      const float *s = a + (i0 + r) * lda + pc;
      for (int64_t p = 0; p < kc; p++) dst[p * SG_MR + r] = s[p];
    }
  }
}
#endif

/*
 * Whether the micro-kernels read a row-major A in place instead of packing each micro-panel. Packing
 * costs about a cycle per element and buys only locality: in place, each k step broadcasts from SG_MR
 * rows, which is as fast as long as those rows' cache lines do not crowd into a few of the 64 sets of a
 * 32 KB 8-way L1 (row strides near a multiple of 4 KB do; 1024 floats is the classic case).
 */
static int sg_a_in_place(int trans_a, int64_t lda) {
#ifdef SG_FORCE_INPLACE
  return SG_FORCE_INPLACE;
#endif
  if (trans_a) return 0;
  int per_set[64] = {0}, worst = 0;
  for (int64_t r = 0; r < SG_MR; r++) {
    const int set = (int)(((r * lda * 4) >> 6) & 63);
    if (++per_set[set] > worst) worst = per_set[set];
  }
  return worst <= 2;
}

/*
 * Prefetch of the next B block while the current one is computed: packing reads B from memory once per
 * block, and a long B (64 x 4096 x 4096: 64 MB of B for 64 rows of A) otherwise waits for DRAM at every
 * block. The next block's source segments (rows of B, or of B^T) are spread over the micro-kernel calls.
 */
typedef struct {
  const char *base; /* first segment */
  int64_t stride;   /* bytes between segments */
  int64_t bytes;    /* bytes per segment */
  int64_t left;     /* segments not yet prefetched */
  int64_t per_call; /* segments per micro-kernel call */
} sg_prefetch;

static sg_prefetch sg_prefetch_next(const int8k_sgemm_call *call, int64_t jc, int64_t nc, int64_t pc, int64_t kc,
                                    int64_t ncb, int64_t kcb, int64_t calls) {
  sg_prefetch pf = {0};
  int64_t njc = jc, npc = pc + kc;
  if (npc >= call->k) {
    npc = 0;
    njc = jc + nc;
    if (njc >= call->n) return pf; /* the last block */
  }
  const int64_t nnc = sg_min(ncb, call->n - njc), nkc = sg_min(kcb, call->k - npc);
  if (!call->trans_b) {
    pf.base = (const char *)(call->b + npc * call->ldb + njc);
    pf.stride = call->ldb * 4;
    pf.bytes = nnc * 4;
    pf.left = nkc;
  } else {
    pf.base = (const char *)(call->b + njc * call->ldb + npc);
    pf.stride = call->ldb * 4;
    pf.bytes = nkc * 4;
    pf.left = nnc;
  }
  pf.per_call = (pf.left + calls - 1) / calls;
  return pf;
}

static inline void sg_prefetch_some(sg_prefetch *pf) {
  for (int64_t s = 0; s < pf->per_call && pf->left > 0; s++, pf->left--, pf->base += pf->stride)
    for (int64_t off = 0; off < pf->bytes; off += 64) __builtin_prefetch(pf->base + off, 0, SG_PF_LOCALITY);
}

/* prefetchw of rows x cols floats of C at c (row stride ldc) */
static inline void sg_prefetch_c(const float *c, int64_t ldc, int rows, int64_t cols) {
  for (int r = 0; r < rows; r++)
    for (int64_t x = 0; x < cols; x += 16) __asm__ volatile("prefetchw %0" ::"m"(c[r * ldc + x]));
}

int SG_ENTRY(const int8k_sgemm_call *call) {
  const int64_t m = call->m, n = call->n, k = call->k;
  const int64_t ncb = sg_min(SG_NC, (n + SG_NR - 1) / SG_NR * SG_NR);
  /* k per block: the B block (kc x ncb) within SG_B_BLOCK floats of L2, at least SG_KC; a narrow B
   * (few columns) then takes all of k at once, so A and C are streamed once. Even blocks: a short last
   * block would cost a pass over C for little work. */
  int64_t kc_max = SG_B_BLOCK / ncb;
  if (kc_max < SG_KC) kc_max = SG_KC;
  const int64_t nkb = (k + kc_max - 1) / kc_max;
  const int64_t kcb = (k + nkb - 1) / nkb;
  const int in_place = sg_a_in_place(call->trans_a, call->lda);
  float *bbuf = (float *)sg_alloc((size_t)(ncb * kcb) * sizeof(float));
  float *abuf = in_place ? NULL : (float *)sg_alloc((size_t)(SG_MR * kcb) * sizeof(float));
  if (bbuf == NULL || (!in_place && abuf == NULL)) {
    free(bbuf);
    free(abuf);
    return INT8K_ERR_NOMEM;
  }
  for (int64_t jc = 0; jc < n; jc += ncb) {
    const int64_t nc = sg_min(ncb, n - jc);
    for (int64_t kb = 0; kb < nkb; kb++) {
      const int64_t pc = kb * kcb;
      if (pc >= k) break;
      const int64_t kc = sg_min(kcb, k - pc);
      sg_pack_b(call->trans_b, call->b, call->ldb, pc, kc, jc, nc, bbuf);
      /* the next block's B, a few of its rows (or columns) per micro-kernel call */
      sg_prefetch pf = sg_prefetch_next(call, jc, nc, pc, kc, ncb, kcb, ((m + SG_MR - 1) / SG_MR) * ((nc + SG_NR - 1) / SG_NR));
      for (int64_t ir = 0; ir < m; ir += SG_MR) {
        const int mr = (int)sg_min(SG_MR, m - ir);
        float *crow = call->c + ir * call->ldc + jc;
        if (!in_place) sg_pack_a(call->trans_a, call->a, call->lda, ir, mr, pc, kc, abuf);
        for (int64_t jr = 0; jr < nc; jr += SG_NR) {
          const int64_t nr = sg_min(SG_NR, nc - jr);
          const float *bp = bbuf + (jr / SG_NR) * kc * SG_NR;
          sg_prefetch_some(&pf);
          /* the C lines of the next tile, fetched for writing while this one computes (with a short k
           * the tile is done in a few hundred cycles and its stores would wait for memory) */
          if (jr + SG_NR < nc)
            sg_prefetch_c(crow + jr + SG_NR, call->ldc, mr, sg_min(SG_NR, nc - jr - SG_NR));
          else if (ir + SG_MR < m)
            sg_prefetch_c(crow + SG_MR * call->ldc, call->ldc, (int)sg_min(SG_MR, m - ir - SG_MR), sg_min(SG_NR, nc));
          if (in_place)
            sg_kernel_rows(mr, kc, call->a + ir * call->lda + pc, call->lda, bp, crow + jr, call->ldc, nr, kb > 0);
          else
            sg_kernel_packed(mr, kc, abuf, bp, crow + jr, call->ldc, nr, kb > 0);
        }
      }
    }
  }
  free(bbuf);
  free(abuf);
  return INT8K_OK;
}
