/*
 * gemm_s8_avx512vnni.c - s8 x s8 GEMM on AVX-512 VNNI (vpdpbusd), single-threaded (see int8k_isa.h).
 *
 * Exactness. vpdpbusd multiplies unsigned bytes by signed bytes, so B is packed as u8 = B + 128 (b ^ 0x80)
 * and A is used as it is (signed). The int32 accumulator then holds
 *     T[i][j] = sum_p A[i][p] * (B[p][j] + 128) = S[i][j] + 128 * rowsumA[i]        (mod 2^32)
 * and S = T - 128 * rowsumA[i] (mod 2^32). Every vpdpbusd step is exact (4 products of at most 255*128)
 * and int32 additions wrap, so the result is S mod 2^32, which is S itself for k <= INT8K_KMAX.
 * Padding (k not a multiple of 4, columns past n) is 0 in the packed B and 0 in A, so it adds nothing.
 *
 * Packed B layout (the body after the dispatcher's header), for (k, n):
 *     panels of NR = 64 columns, P = ceil(n / 64); k-groups of 4 consecutive k, G = ceil(k / 4).
 *     body[(panel * G + g) * 256 + col * 4 + t] = (uint8) (B[4g + t][64 * panel + col] ^ 0x80)
 *                                                  or 0 when 4g + t >= k or 64 * panel + col >= n.
 *     size = P * G * 256 bytes.
 * Zmm q (q = 0..3) of group g of a panel holds columns 16q..16q+15, int32 lane l = column 16q + l with its
 * four bytes = k 4g..4g+3, matching the broadcast of A[i][4g..4g+3] (4 bytes as one int32).
 *
 * Blocking: columns in strips of up to NC (a multiple of 64: whole panels; when packed_b == NULL the
 * strip of B, all k, is packed into scratch in the layout above); rows in blocks of MC; k in blocks of
 * KC (a multiple of 4). Micro-kernel MR = 6 rows x NR = 64 columns (24 zmm accumulators; a row tail
 * mr < 6 recomputes row mr-1 into tile rows that are never read). The int32
 * partial sums of an MC x NC block live in a scratch tile across the k blocks; the compensation and the
 * epilogue are applied once, on the final sums, with masked stores for the n tail.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "int8k_isa.h"

#define VNNI_MR 6
#define VNNI_NR 64
#define VNNI_GROUP_BYTES 256 /* 64 columns x 4 k */

/* Tunables (overridable only to exercise the blocking with small sizes in tests). */
#ifndef VNNI_KC
#define VNNI_KC 512 /* multiple of 4 */
#endif
#ifndef VNNI_MC
#define VNNI_MC 96 /* multiple of VNNI_MR */
#endif
#ifndef VNNI_MAX_STRIP_PANELS
#define VNNI_MAX_STRIP_PANELS 16 /* NC <= 1024 columns */
#endif
#ifndef VNNI_STRIP_BYTES
#define VNNI_STRIP_BYTES (1 << 20) /* target size of a packed strip of B */
#endif

_Static_assert(VNNI_KC % 4 == 0 && VNNI_KC >= 4, "VNNI_KC must be a positive multiple of 4");
_Static_assert(VNNI_MC % VNNI_MR == 0, "VNNI_MC must be a multiple of VNNI_MR");

static int64_t vnni_groups(int64_t k) { return (k + 3) / 4; }
static int64_t vnni_panels(int64_t n) { return (n + VNNI_NR - 1) / VNNI_NR; }

static int64_t packed_b_body_size_avx512vnni(int64_t k, int64_t n) {
  return vnni_panels(n) * vnni_groups(k) * VNNI_GROUP_BYTES;
}

/* Packs panels [panel0, panel0 + npanels) of B (k x n) into dst, each panel G * 256 bytes, layout above. */
static void pack_b_panels(int trans_b, int64_t k, int64_t n, const int8_t *b, int64_t ldb, int64_t panel0,
                          int64_t npanels, uint8_t *dst) {
  const int64_t G = vnni_groups(k);
  memset(dst, 0, (size_t)(npanels * G * VNNI_GROUP_BYTES));
  for (int64_t pi = 0; pi < npanels; pi++) {
    uint8_t *pd = dst + pi * G * VNNI_GROUP_BYTES;
    const int64_t j0 = (panel0 + pi) * VNNI_NR;
    const int64_t nc = (n - j0 < VNNI_NR) ? (n - j0) : VNNI_NR; /* valid columns of this panel */
    if (!trans_b) {
      /* B[p][j] = b[p * ldb + j]: read row p contiguously. */
      for (int64_t p = 0; p < k; p++) {
        const int8_t *src = b + p * ldb + j0;
        uint8_t *d = pd + (p / 4) * VNNI_GROUP_BYTES + (p % 4);
        for (int64_t col = 0; col < nc; col++) d[col * 4] = (uint8_t)src[col] ^ 0x80u;
      }
    } else {
      /* B[p][j] = b[j * ldb + p]: read column j (a row of the stored n x k matrix) contiguously. */
      for (int64_t col = 0; col < nc; col++) {
        const int8_t *src = b + (j0 + col) * ldb;
        uint8_t *d = pd + col * 4;
        for (int64_t p = 0; p < k; p++) d[(p / 4) * VNNI_GROUP_BYTES + (p % 4)] = (uint8_t)src[p] ^ 0x80u;
      }
    }
  }
}

static void pack_b_avx512vnni(int trans_b, int64_t k, int64_t n, const int8_t *b, int64_t ldb, uint8_t *body) {
  pack_b_panels(trans_b, k, n, b, ldb, 0, vnni_panels(n), body);
}

static inline int32_t load_i32(const int8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* t[0..63] = v0..v3 (first != 0) or t[0..63] += v0..v3 */
static inline __attribute__((always_inline)) void vnni_store_row(int32_t *t, int first, __m512i v0, __m512i v1,
                                                                 __m512i v2, __m512i v3) {
  if (!first) {
    v0 = _mm512_add_epi32(v0, _mm512_loadu_si512((const void *)(t + 0)));
    v1 = _mm512_add_epi32(v1, _mm512_loadu_si512((const void *)(t + 16)));
    v2 = _mm512_add_epi32(v2, _mm512_loadu_si512((const void *)(t + 32)));
    v3 = _mm512_add_epi32(v3, _mm512_loadu_si512((const void *)(t + 48)));
  }
  _mm512_storeu_si512((void *)(t + 0), v0);
  _mm512_storeu_si512((void *)(t + 16), v1);
  _mm512_storeu_si512((void *)(t + 32), v2);
  _mm512_storeu_si512((void *)(t + 48), v3);
}

/*
 * Micro-kernel: 6 rows x 64 columns, ng k-groups.
 *   a: row r (r < mr, 1 <= mr <= 6), group g at a[r * lda + 4 * g] (4 signed bytes, all real data).
 *      Rows mr..5 re-read row mr-1 (valid memory); their results go to tile rows the caller ignores.
 *   b: group g at b[g * 256] (packed layout)
 *   t: int32 tile, row r (r < 6, all inside the tile) at t[r * ldt], 64 columns;
 *      first != 0: t = result, else t += result.
 */
#define VNNI_ROW_STEP(r)                                                                                      \
  do {                                                                                                        \
    const __m512i av = _mm512_set1_epi32(load_i32(a##r + 4 * g));                                             \
    c##r##0 = _mm512_dpbusd_epi32(c##r##0, b0, av); /* dpbusd(acc, u8 = biased B, s8 = A) */                  \
    c##r##1 = _mm512_dpbusd_epi32(c##r##1, b1, av);                                                           \
    c##r##2 = _mm512_dpbusd_epi32(c##r##2, b2, av);                                                           \
    c##r##3 = _mm512_dpbusd_epi32(c##r##3, b3, av);                                                           \
  } while (0)

static void vnni_kernel_6x64(int mr, int64_t ng, const int8_t *a, int64_t lda, const uint8_t *b, int32_t *t,
                             int64_t ldt, int first) {
  const int8_t *a0 = a;
  const int8_t *a1 = a + (mr > 1 ? 1 : mr - 1) * lda;
  const int8_t *a2 = a + (mr > 2 ? 2 : mr - 1) * lda;
  const int8_t *a3 = a + (mr > 3 ? 3 : mr - 1) * lda;
  const int8_t *a4 = a + (mr > 4 ? 4 : mr - 1) * lda;
  const int8_t *a5 = a + (mr > 5 ? 5 : mr - 1) * lda;
  __m512i c00 = _mm512_setzero_si512(), c01 = _mm512_setzero_si512(), c02 = _mm512_setzero_si512(),
          c03 = _mm512_setzero_si512();
  __m512i c10 = _mm512_setzero_si512(), c11 = _mm512_setzero_si512(), c12 = _mm512_setzero_si512(),
          c13 = _mm512_setzero_si512();
  __m512i c20 = _mm512_setzero_si512(), c21 = _mm512_setzero_si512(), c22 = _mm512_setzero_si512(),
          c23 = _mm512_setzero_si512();
  __m512i c30 = _mm512_setzero_si512(), c31 = _mm512_setzero_si512(), c32 = _mm512_setzero_si512(),
          c33 = _mm512_setzero_si512();
  __m512i c40 = _mm512_setzero_si512(), c41 = _mm512_setzero_si512(), c42 = _mm512_setzero_si512(),
          c43 = _mm512_setzero_si512();
  __m512i c50 = _mm512_setzero_si512(), c51 = _mm512_setzero_si512(), c52 = _mm512_setzero_si512(),
          c53 = _mm512_setzero_si512();
  for (int64_t g = 0; g < ng; g++) {
    const uint8_t *bg = b + g * VNNI_GROUP_BYTES;
    const __m512i b0 = _mm512_loadu_si512((const void *)(bg + 0));
    const __m512i b1 = _mm512_loadu_si512((const void *)(bg + 64));
    const __m512i b2 = _mm512_loadu_si512((const void *)(bg + 128));
    const __m512i b3 = _mm512_loadu_si512((const void *)(bg + 192));
    VNNI_ROW_STEP(0);
    VNNI_ROW_STEP(1);
    VNNI_ROW_STEP(2);
    VNNI_ROW_STEP(3);
    VNNI_ROW_STEP(4);
    VNNI_ROW_STEP(5);
  }
  vnni_store_row(t + 0 * ldt, first, c00, c01, c02, c03);
  vnni_store_row(t + 1 * ldt, first, c10, c11, c12, c13);
  vnni_store_row(t + 2 * ldt, first, c20, c21, c22, c23);
  vnni_store_row(t + 3 * ldt, first, c30, c31, c32, c33);
  vnni_store_row(t + 4 * ldt, first, c40, c41, c42, c43);
  vnni_store_row(t + 5 * ldt, first, c50, c51, c52, c53);
}
#undef VNNI_ROW_STEP

static int int8k_gemm_s8s8_avx512vnni(const int8k_gemm_call *call) {
  const int trans_a = call->trans_a, trans_b = call->trans_b;
  const int64_t m = call->m, n = call->n, k = call->k;
  const int8_t *a = call->a;
  const int64_t lda = call->lda;
  const int64_t G = vnni_groups(k);
  const int64_t panel_bytes = G * VNNI_GROUP_BYTES; /* one panel, all k */
  const int64_t total_panels = vnni_panels(n);
  const int8k_epilogue *ep = call->ep;
  const int64_t ldc = call->ldc;

  /* Strip width in panels: whole panels, the packed strip of B about VNNI_STRIP_BYTES. */
  int64_t strip_panels = VNNI_STRIP_BYTES / panel_bytes;
  if (strip_panels < 1) strip_panels = 1;
  if (strip_panels > VNNI_MAX_STRIP_PANELS) strip_panels = VNNI_MAX_STRIP_PANELS;
  if (strip_panels > total_panels) strip_panels = total_panels;
  const int64_t ldt = strip_panels * VNNI_NR; /* tile row stride (int32) */

  int32_t *rowsum = (int32_t *)malloc((size_t)m * sizeof(int32_t));
  /* calloc: the rows of the last micro-tile past mc hold ignored (but defined) values */
  int32_t *tile = (int32_t *)calloc((size_t)(VNNI_MC * ldt), sizeof(int32_t));
  uint8_t *bstrip = NULL;
  int8_t *ablk = NULL;
  if (call->packed_b == NULL) bstrip = (uint8_t *)malloc((size_t)(strip_panels * panel_bytes));
  if (trans_a) ablk = (int8_t *)malloc((size_t)VNNI_MC * VNNI_KC);
  if (rowsum == NULL || tile == NULL || (call->packed_b == NULL && bstrip == NULL) ||
      (trans_a && ablk == NULL)) {
    free(rowsum);
    free(tile);
    free(bstrip);
    free(ablk);
    return INT8K_ERR_NOMEM;
  }

  /* rowsumA[i] = sum_p A[i][p] over the real k; |rowsum| <= 128 * INT8K_KMAX fits int32. */
  if (!trans_a) {
    for (int64_t i = 0; i < m; i++) {
      const int8_t *ar = a + i * lda;
      int32_t s = 0;
      for (int64_t p = 0; p < k; p++) s += ar[p];
      rowsum[i] = s;
    }
  } else {
    for (int64_t i = 0; i < m; i++) rowsum[i] = 0;
    for (int64_t p = 0; p < k; p++) {
      const int8_t *ar = a + p * lda;
      for (int64_t i = 0; i < m; i++) rowsum[i] += ar[i];
    }
  }

  for (int64_t panel0 = 0; panel0 < total_panels; panel0 += strip_panels) {
    const int64_t npan = (total_panels - panel0 < strip_panels) ? (total_panels - panel0) : strip_panels;
    const int64_t jc = panel0 * VNNI_NR;
    const int64_t nc = (n - jc < npan * VNNI_NR) ? (n - jc) : npan * VNNI_NR; /* valid columns */
    const uint8_t *bpan; /* panel pi of the strip at bpan + pi * panel_bytes */
    if (call->packed_b != NULL) {
      bpan = call->packed_b + panel0 * panel_bytes;
    } else {
      pack_b_panels(trans_b, k, n, call->b, call->ldb, panel0, npan, bstrip);
      bpan = bstrip;
    }

    for (int64_t ic = 0; ic < m; ic += VNNI_MC) {
      const int64_t mc = (m - ic < VNNI_MC) ? (m - ic) : VNNI_MC;

      for (int64_t pc = 0; pc < k; pc += VNNI_KC) {
        const int64_t kc = (k - pc < VNNI_KC) ? (k - pc) : VNNI_KC;
        const int64_t nfull = kc / 4; /* full k-groups of this block */
        const int64_t tail = kc % 4;  /* nonzero only in the last block (VNNI_KC % 4 == 0) */
        const int first = (pc == 0);

        /* Row-major view of A[ic .. ic+mc)[pc .. pc+kc): row r at ab + r * abld. */
        const int8_t *ab;
        int64_t abld;
        if (!trans_a) {
          ab = a + ic * lda + pc;
          abld = lda;
        } else {
          for (int64_t p = 0; p < kc; p++) {
            const int8_t *src = a + (pc + p) * lda + ic;
            for (int64_t r = 0; r < mc; r++) ablk[r * VNNI_KC + p] = src[r];
          }
          ab = ablk;
          abld = VNNI_KC;
        }

        for (int64_t pi = 0; pi < npan; pi++) {
          /* groups pc/4 .. of panel pi */
          const uint8_t *bb = bpan + pi * panel_bytes + (pc / 4) * VNNI_GROUP_BYTES;
          for (int64_t ir = 0; ir < mc; ir += VNNI_MR) {
            const int mr = (int)((mc - ir < VNNI_MR) ? (mc - ir) : VNNI_MR);
            int32_t *tt = tile + ir * ldt + pi * VNNI_NR;
            const int8_t *ar = ab + ir * abld;
            vnni_kernel_6x64(mr, nfull, ar, abld, bb, tt, ldt, first);
            if (tail) {
              /* last partial group: the real bytes of A, zero-padded, in a temp (never read past k) */
              int8_t atail[VNNI_MR * 4];
              memset(atail, 0, sizeof atail);
              for (int r = 0; r < mr; r++) {
                for (int64_t t = 0; t < tail; t++) atail[r * 4 + t] = ar[r * abld + nfull * 4 + t];
              }
              vnni_kernel_6x64(mr, 1, atail, 4, bb + nfull * VNNI_GROUP_BYTES, tt, ldt, 0);
            }
          }
        }
      }

      /* Final sums of rows ic .. ic+mc, columns jc .. jc+nc: compensation and epilogue. */
      for (int64_t r = 0; r < mc; r++) {
        const int64_t i = ic + r;
        const __m512i comp = _mm512_set1_epi32((int32_t)((uint32_t)rowsum[i] * 128u));
        const int32_t *tr = tile + r * ldt;
        for (int64_t j = 0; j < nc; j += 16) {
          const int64_t cnt = (nc - j < 16) ? (nc - j) : 16;
          const __mmask16 mask = (__mmask16)((cnt == 16) ? 0xFFFFu : ((1u << cnt) - 1u));
          const __m512i s = _mm512_sub_epi32(_mm512_loadu_si512((const void *)(tr + j)), comp);
          const int64_t jj = jc + j; /* global column */
          if (ep == NULL) {
            _mm512_mask_storeu_epi32((void *)(call->c_s32 + i * ldc + jj), mask, s);
          } else {
            __m512 v = _mm512_cvtepi32_ps(s);
            v = _mm512_mul_ps(v, _mm512_set1_ps(ep->alpha));
            if (ep->row_scale) v = _mm512_mul_ps(v, _mm512_set1_ps(ep->row_scale[i]));
            if (ep->col_scale) v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(mask, ep->col_scale + jj));
            if (ep->bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, ep->bias + jj));
            if (ep->beta != 0.0f) {
              const __m512 old = _mm512_maskz_loadu_ps(mask, call->c_f32 + i * ldc + jj);
              v = _mm512_add_ps(v, _mm512_mul_ps(_mm512_set1_ps(ep->beta), old));
            }
            _mm512_mask_storeu_ps((void *)(call->c_f32 + i * ldc + jj), mask, v);
          }
        }
      }
    }
  }

  free(rowsum);
  free(tile);
  free(bstrip);
  free(ablk);
  return INT8K_OK;
}

const int8k_gemm_ops int8k_gemm_ops_avx512vnni = {INT8K_ISA_AVX512VNNI, packed_b_body_size_avx512vnni,
                                                  pack_b_avx512vnni, int8k_gemm_s8s8_avx512vnni};
