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
 *   sg_kernel_packed(mr, kc, ap, bp, c, ldc, nr, resume, pf, npf)    A packed: A[r][p] = ap[p * SG_MR + r]
 *   sg_kernel_rows(mr, kc, a, lda, bp, c, ldc, nr, resume, pf, npf)   A in place: A[r][p] = a[r * lda + p]
 * with B packed, B[p][j] = bp[p * SG_NR + j], and C[r][j] = c[r * ldc + j]. resume == 0: acc starts at
 * +0; resume != 0: acc starts from the float C holds (the sum of the earlier k blocks). Each output runs
 * acc = fma(A[r][p], B[p][j], acc) for p ascending, and the kernel stores acc into C. At k step p < npf
 * (npf <= kc) the kernel also prefetches (prefetcht1) the line at pf[p]: B that later calls will pack.
 *
 * Loop order (Goto/BLIS, transposed to row-major): jc over SG_NC columns, pc over k blocks, B block
 * packed into panels of SG_NR columns (kc x SG_NR each, columns past n zero), then ir over SG_MR-row
 * micro-panels of A (packed just in time into an L1-resident buffer, or read in place), jr over the B
 * panels, which stream from L2 while the A micro-panel stays in L1. A with few rows takes another order
 * (sg_small_m below).
 */
#ifndef SG_B_BLOCK
#define SG_B_BLOCK (160 * 1024) /* 640 KB of a 1 MB L2 */
#endif
#ifndef SG_MR
#error "define SG_MR, SG_NR, SG_KC, SG_NC, SG_ENTRY and the micro-kernels before including sgemm_blocked.h"
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sgemm.h"

static inline int64_t sg_min(int64_t x, int64_t y) { return x < y ? x : y; }

static void *sg_alloc(size_t bytes) { return int8k_scratch_alloc(bytes); }

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
 * Prefetch of the B that the next block (or panel) packs, while the current one is computed: packing
 * reads B from memory once, and a long B (64 x 4096 x 4096: 64 MB of B for 64 rows of A) otherwise
 * waits for DRAM at every block. The source is `left` segments of `bytes` bytes, `stride` apart (rows
 * of B, or of B^T); its lines are handed out a share per micro-kernel call, which prefetches one per k
 * step: spread over the FMAs, not a burst that fills the miss buffers and stalls them.
 */
typedef struct {
  const char *base; /* the current segment, from its first line */
  int64_t stride;   /* bytes between segments */
  int64_t bytes;    /* bytes per segment, from its first line */
  int64_t left;     /* segments not yet handed out */
  int64_t off;      /* the next line's offset in the current segment */
  int64_t per_call; /* lines per micro-kernel call */
} sg_prefetch;

#define SG_PF_MAX 512 /* lines per call at most */

/* count segments from first (bytes each, stride apart), spread over `calls` micro-kernel calls */
static sg_prefetch sg_prefetch_region(const float *first, int64_t stride, int64_t bytes, int64_t count,
                                      int64_t calls) {
  sg_prefetch pf = {0};
  const char *line = (const char *)((uintptr_t)first & ~(uintptr_t)63);
  pf.base = line;
  pf.stride = stride;
  pf.bytes = ((const char *)first - line) + bytes;
  pf.left = count;
  pf.per_call = (count * ((pf.bytes + 63) / 64) + calls - 1) / calls;
  return pf;
}

/* op(B) rows [pc, pc + kc), columns [j0, j0 + w) */
static sg_prefetch sg_prefetch_b(const int8k_sgemm_call *call, int64_t j0, int64_t w, int64_t pc, int64_t kc,
                                 int64_t calls) {
  if (!call->trans_b) return sg_prefetch_region(call->b + pc * call->ldb + j0, call->ldb * 4, w * 4, kc, calls);
  return sg_prefetch_region(call->b + j0 * call->ldb + pc, call->ldb * 4, kc * 4, w, calls);
}

static sg_prefetch sg_prefetch_next(const int8k_sgemm_call *call, int64_t jc, int64_t nc, int64_t pc, int64_t kc,
                                    int64_t ncb, int64_t kcb, int64_t calls) {
  int64_t njc = jc, npc = pc + kc;
  if (npc >= call->k) {
    npc = 0;
    njc = jc + nc;
    if (njc >= call->n) return (sg_prefetch){0}; /* the last block */
  }
  return sg_prefetch_b(call, njc, sg_min(ncb, call->n - njc), npc, sg_min(kcb, call->k - npc), calls);
}

/* This call's share of lines into out (at most SG_PF_MAX); returns how many. */
static inline int64_t sg_prefetch_take(sg_prefetch *pf, const char **out) {
  int64_t n = 0;
  const int64_t want = sg_min(pf->per_call, SG_PF_MAX);
  while (n < want && pf->left > 0) {
    out[n++] = pf->base + pf->off;
    pf->off += 64;
    if (pf->off >= pf->bytes) {
      pf->off = 0;
      pf->base += pf->stride;
      pf->left--;
    }
  }
  return n;
}

/* Hands a kernel call of kc steps its lines: the kernel prefetches the first min(n, kc) of them, the rest
 * are prefetched here. */
static inline int64_t sg_prefetch_for_call(sg_prefetch *pf, const char **lines, int64_t kc) {
  const int64_t n = sg_prefetch_take(pf, lines), in_kernel = sg_min(n, kc);
  for (int64_t x = in_kernel; x < n; x++) __builtin_prefetch(lines[x], 0, 2);
  return in_kernel;
}

/* prefetchw of rows x cols floats of C at c (row stride ldc) */
static inline void sg_prefetch_c(const float *c, int64_t ldc, int rows, int64_t cols) {
  for (int r = 0; r < rows; r++)
    for (int64_t x = 0; x < cols; x += 16) __asm__ volatile("prefetchw %0" ::"m"(c[r * ldc + x]));
}

#ifndef SG_SMALL_M_ROWS
#define SG_SMALL_M_ROWS 128 /* rows of A up to which sg_small_m runs (beyond, AVX-512 measured it slower) */
#endif
#ifndef SG_SMALL_M_KC
#define SG_SMALL_M_KC 512 /* k per block there (swept 200-1024 on 64 x 4096 x 4096) */
#endif

/*
 * A with few rows (at most SG_SMALL_M_ROWS) and a wide B: each element of B is read from
 * memory once and used by few rows, so the time goes to streaming B unless that overlaps the FMAs. The
 * order here: per k block, all of A packed (a few hundred KB at most, in L2); then per column panel of B,
 * the panel packed (kc x SG_NR: it stays in L1/L2) and used by every row panel, whose calls meanwhile
 * prefetch the next panel. On Zen 4, one thread, GFLOPS general order -> this one: AVX-512 64 x 4096 x 4096
 * 82 -> 86, 128 x 4096 x 4096 89 -> 94, 128 x 3136 x 256 (TN) 102 -> 104; AVX2 73 -> 81, 81 -> 92, 93 -> 105.
 */
static int sg_small_m(const int8k_sgemm_call *call) {
  const int64_t m = call->m, n = call->n, k = call->k;
  const int64_t panels = (m + SG_MR - 1) / SG_MR;
  const int64_t nkb = (k + SG_SMALL_M_KC - 1) / SG_SMALL_M_KC;
  const int64_t kcb = (k + nkb - 1) / nkb;
  float *bbuf = (float *)sg_alloc((size_t)(SG_NR * kcb) * sizeof(float));
  float *abuf = (float *)sg_alloc((size_t)(panels * SG_MR * kcb) * sizeof(float));
  if (bbuf == NULL || abuf == NULL) {
    int8k_scratch_free(bbuf);
    int8k_scratch_free(abuf);
    return INT8K_ERR_NOMEM;
  }
  for (int64_t pc = 0; pc < k; pc += kcb) {
    const int64_t kc = sg_min(kcb, k - pc);
    for (int64_t q = 0; q < panels; q++)
      sg_pack_a(call->trans_a, call->a, call->lda, q * SG_MR, sg_min(SG_MR, m - q * SG_MR), pc, kc,
                abuf + q * SG_MR * kc);
    for (int64_t jr = 0; jr < n; jr += SG_NR) {
      const int64_t nr = sg_min(SG_NR, n - jr);
      sg_pack_b(call->trans_b, call->b, call->ldb, pc, kc, jr, nr, bbuf);
      /* the next panel: the next columns, or the first of the next k block */
      sg_prefetch pf = {0};
      if (jr + SG_NR < n)
        pf = sg_prefetch_b(call, jr + SG_NR, sg_min(SG_NR, n - jr - SG_NR), pc, kc, panels);
      else if (pc + kc < k)
        pf = sg_prefetch_b(call, 0, sg_min(SG_NR, n), pc + kc, sg_min(kcb, k - pc - kc), panels);
      for (int64_t q = 0; q < panels; q++) {
        const int64_t ir = q * SG_MR;
        const char *lines[SG_PF_MAX];
        const int64_t npf = sg_prefetch_for_call(&pf, lines, kc);
        if (q + 1 < panels) /* the C lines of the next tile, as in the general order */
          sg_prefetch_c(call->c + (ir + SG_MR) * call->ldc + jr, call->ldc, (int)sg_min(SG_MR, m - ir - SG_MR), nr);
        else if (jr + SG_NR < n)
          sg_prefetch_c(call->c + jr + SG_NR, call->ldc, (int)sg_min(SG_MR, m), sg_min(SG_NR, n - jr - SG_NR));
        sg_kernel_packed((int)sg_min(SG_MR, m - ir), kc, abuf + q * SG_MR * kc, bbuf, call->c + ir * call->ldc + jr,
                         call->ldc, nr, pc > 0, lines, npf);
      }
    }
  }
  int8k_scratch_free(bbuf);
  int8k_scratch_free(abuf);
  return INT8K_OK;
}

int SG_ENTRY(const int8k_sgemm_call *call) {
  const int64_t m = call->m, n = call->n, k = call->k;
  if (m <= SG_SMALL_M_ROWS && n > SG_NC) return sg_small_m(call);
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
    int8k_scratch_free(bbuf);
    int8k_scratch_free(abuf);
    return INT8K_ERR_NOMEM;
  }
  for (int64_t jc = 0; jc < n; jc += ncb) {
    const int64_t nc = sg_min(ncb, n - jc);
    for (int64_t kb = 0; kb < nkb; kb++) {
      const int64_t pc = kb * kcb;
      if (pc >= k) break;
      const int64_t kc = sg_min(kcb, k - pc);
      sg_pack_b(call->trans_b, call->b, call->ldb, pc, kc, jc, nc, bbuf);
      /* the next block's B, a share of its lines per micro-kernel call */
      sg_prefetch pf = sg_prefetch_next(call, jc, nc, pc, kc, ncb, kcb, ((m + SG_MR - 1) / SG_MR) * ((nc + SG_NR - 1) / SG_NR));
      for (int64_t ir = 0; ir < m; ir += SG_MR) {
        const int mr = (int)sg_min(SG_MR, m - ir);
        float *crow = call->c + ir * call->ldc + jc;
        if (!in_place) sg_pack_a(call->trans_a, call->a, call->lda, ir, mr, pc, kc, abuf);
        for (int64_t jr = 0; jr < nc; jr += SG_NR) {
          const int64_t nr = sg_min(SG_NR, nc - jr);
          const float *bp = bbuf + (jr / SG_NR) * kc * SG_NR;
          const char *lines[SG_PF_MAX];
          const int64_t npf = sg_prefetch_for_call(&pf, lines, kc);
          /* the C lines of the next tile, fetched for writing while this one computes (with a short k
           * the tile is done in a few hundred cycles and its stores would wait for memory) */
          if (jr + SG_NR < nc)
            sg_prefetch_c(crow + jr + SG_NR, call->ldc, mr, sg_min(SG_NR, nc - jr - SG_NR));
          else if (ir + SG_MR < m)
            sg_prefetch_c(crow + SG_MR * call->ldc, call->ldc, (int)sg_min(SG_MR, m - ir - SG_MR), sg_min(SG_NR, nc));
          if (in_place)
            sg_kernel_rows(mr, kc, call->a + ir * call->lda + pc, call->lda, bp, crow + jr, call->ldc, nr, kb > 0,
                           lines, npf);
          else
            sg_kernel_packed(mr, kc, abuf, bp, crow + jr, call->ldc, nr, kb > 0, lines, npf);
        }
      }
    }
  }
  int8k_scratch_free(bbuf);
  int8k_scratch_free(abuf);
  return INT8K_OK;
}
