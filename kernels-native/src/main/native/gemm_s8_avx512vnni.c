/*
 * gemm_s8_avx512vnni.c - s8 x s8 GEMM on AVX-512 VNNI (vpdpbusd), single-threaded (see int8k_isa.h).
 *
 * Exactness. vpdpbusd multiplies unsigned bytes by signed bytes, so B is packed as u8 = B + 128 (b ^ 0x80)
 * and A is used as it is (signed). The int32 accumulator then holds
 *     T[i][j] = sum_p A[i][p] * (B[p][j] + 128) = S[i][j] + 128 * rowsumA[i]        (mod 2^32)
 * and S = T - 128 * rowsumA[i] (mod 2^32). Every vpdpbusd step is exact (4 products of at most 255*128)
 * and int32 additions wrap, so the result is S mod 2^32, which is S itself for k <= INT8K_KMAX.
 * Padding (k not a multiple of 4) is 0 in A, so it adds nothing whatever B holds there; columns past n
 * are 0 in the packed B and never stored.
 *
 * Packed B layout (the body after the dispatcher's header), for (k, n):
 *     panels of NR = 64 columns, P = ceil(n / 64); k-groups of 4 consecutive k, G = ceil(k / 4).
 *     body[(panel * G + g) * 256 + col * 4 + t] = (uint8) (B[4g + t][64 * panel + col] ^ 0x80)
 *                                                  or 0 when 4g + t >= k or 64 * panel + col >= n.
 *     size = P * G * 256 bytes.
 * Zmm q (q = 0..3) of group g of a panel holds columns 16q..16q+15, int32 lane l = column 16q + l with its
 * four bytes = k 4g..4g+3, matching the broadcast of A[i][4g..4g+3] (4 bytes as one int32). Packing is
 * vectorized: four rows of B interleaved bytewise (trans_b = 0) or 16 x 16 transposes of int32 words
 * (trans_b = 1, where the 4 k of a column are already adjacent).
 *
 * Blocking: columns in strips of whole panels (B packed per strip, all k, when packed_b == NULL); rows in
 * blocks of MC; k in blocks of KC (a multiple of 4). Within a (row block, k block), each 64-column B
 * micro-panel (KC/4 groups, 16 KB) stays in L1 while the 6-row micro-panels of A stream past it. A is read
 * in place (row-major) or, when transposed, packed per block into groups: word [g][i] = A[i][4g..4g+3].
 * Micro-kernel MR = 6 rows x NR = 64 columns (24 zmm accumulators; a row tail mr < 6 recomputes row
 * mr-1 into rows that are not stored). The last k block finishes from the registers: compensation,
 * then the int32 store or the epilogue of int8k.h, with masked stores for the n tail. Earlier k blocks
 * keep their int32 partial sums in a scratch tile (only when k > KC).
 * Narrow panels: a last panel of at most 32 valid columns (n % 64 in 1..32, e.g. n = 32) runs in 12 x 32
 * tiles on a compact copy of its first 32 columns instead (see vnni_tile_12x32), with k blocks of up to
 * VNNI_KC_NARROW when it is the only panel. The row sums of A (the compensation) are computed per row
 * block just before its micro-tiles, while the block is in cache (for the k-blocked order: all first).
 * Either tile gives the same exact int32 sums, finished the same way, so the bits never depend on it.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "int8k_isa.h"
#include "sgemm.h"

#define VNNI_MR 6
#define VNNI_NR 64
#define VNNI_GROUP_BYTES 256 /* 64 columns x 4 k */

/* Tunables (overridable to exercise the blocking with small sizes in tests, or to tune). */
#ifndef VNNI_KC
#define VNNI_KC 512 /* multiple of 4 */
#endif
#ifndef VNNI_KC_NARROW
#define VNNI_KC_NARROW 768 /* k block when B is one narrow panel (n <= 32): 24 KB of compact B in L1 */
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
_Static_assert(VNNI_KC_NARROW % 4 == 0 && VNNI_KC_NARROW >= 4, "VNNI_KC_NARROW must be a positive multiple of 4");
_Static_assert(VNNI_MC % VNNI_MR == 0, "VNNI_MC must be a multiple of VNNI_MR");

static int64_t vnni_groups(int64_t k) { return (k + 3) / 4; }
static int64_t vnni_panels(int64_t n) { return (n + VNNI_NR - 1) / VNNI_NR; }
static inline int64_t vnni_min(int64_t x, int64_t y) { return x < y ? x : y; }

static int64_t packed_b_body_size_avx512vnni(int64_t k, int64_t n) {
  return vnni_panels(n) * vnni_groups(k) * VNNI_GROUP_BYTES;
}

static inline __mmask64 first_bytes(int64_t n) {
  return n >= 64 ? ~(__mmask64)0 : n <= 0 ? (__mmask64)0 : (((__mmask64)1 << n) - 1);
}
static inline __mmask16 first_words(int64_t n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/* ---------------------------------------------------------------------------------------------------- */
/* Packing                                                                                               */
/* ---------------------------------------------------------------------------------------------------- */

/* Four rows of 64 bytes (x_t = row t) to the group layout: 64 words, word c = bytes (x0[c], x1[c], x2[c],
 * x3[c]), stored at dst (256 bytes). The byte and word unpacks work within 128-bit lanes, so lane L of q0..q3
 * holds columns 16L + 0..3, 4..7, 8..11, 12..15; a 4 x 4 transpose of lanes puts columns in order. */
static inline void interleave4(__m512i x0, __m512i x1, __m512i x2, __m512i x3, uint8_t *dst) {
  const __m512i lo01 = _mm512_unpacklo_epi8(x0, x1), hi01 = _mm512_unpackhi_epi8(x0, x1);
  const __m512i lo23 = _mm512_unpacklo_epi8(x2, x3), hi23 = _mm512_unpackhi_epi8(x2, x3);
  const __m512i q0 = _mm512_unpacklo_epi16(lo01, lo23), q1 = _mm512_unpackhi_epi16(lo01, lo23);
  const __m512i q2 = _mm512_unpacklo_epi16(hi01, hi23), q3 = _mm512_unpackhi_epi16(hi01, hi23);
  const __m512i s0 = _mm512_shuffle_i32x4(q0, q1, 0x44), s1 = _mm512_shuffle_i32x4(q0, q1, 0xEE);
  const __m512i s2 = _mm512_shuffle_i32x4(q2, q3, 0x44), s3 = _mm512_shuffle_i32x4(q2, q3, 0xEE);
  _mm512_storeu_si512((void *)(dst + 0), _mm512_shuffle_i32x4(s0, s2, 0x88));
  _mm512_storeu_si512((void *)(dst + 64), _mm512_shuffle_i32x4(s0, s2, 0xDD));
  _mm512_storeu_si512((void *)(dst + 128), _mm512_shuffle_i32x4(s1, s3, 0x88));
  _mm512_storeu_si512((void *)(dst + 192), _mm512_shuffle_i32x4(s1, s3, 0xDD));
}

/* 16 x 16 transpose of int32 words: afterwards v[j] holds word j of each input row, row r in lane r. */
static inline void transpose16_epi32(__m512i v[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(v[i], v[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(v[i], v[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    v[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    v[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    v[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    v[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  /* v[4i + j]: rows 4i..4i+3, lane L = word j + 4L */
  for (int j = 0; j < 4; j++) {
    t[j] = _mm512_shuffle_i32x4(v[j], v[4 + j], 0x88);
    t[4 + j] = _mm512_shuffle_i32x4(v[j], v[4 + j], 0xDD);
    t[8 + j] = _mm512_shuffle_i32x4(v[8 + j], v[12 + j], 0x88);
    t[12 + j] = _mm512_shuffle_i32x4(v[8 + j], v[12 + j], 0xDD);
  }
  for (int j = 0; j < 4; j++) {
    v[j] = _mm512_shuffle_i32x4(t[j], t[8 + j], 0x88);
    v[j + 8] = _mm512_shuffle_i32x4(t[j], t[8 + j], 0xDD);
    v[j + 4] = _mm512_shuffle_i32x4(t[4 + j], t[12 + j], 0x88);
    v[j + 12] = _mm512_shuffle_i32x4(t[4 + j], t[12 + j], 0xDD);
  }
}

/* Packs rows [k0, k0 + klen) of panels [panel0, panel0 + npanels) of B (its columns < n) into dst, panel
 * pi at dst + pi * ceil(klen / 4) * 256, groups counted from k0, layout above. */
/* groups of 4 rows of B that packing fetches ahead of their use (row-major B) */
#ifndef PACK_PREFETCH_GROUPS
#define PACK_PREFETCH_GROUPS 16
#endif

static void pack_b_panels(int trans_b, int64_t k0, int64_t klen, int64_t n, const int8_t *b, int64_t ldb,
                          int64_t panel0, int64_t npanels, uint8_t *dst) {
  const int64_t G = vnni_groups(klen);
  const __m512i bias = _mm512_set1_epi8((char)0x80);
  if (!trans_b) {
    /* B[p][j] = b[p * ldb + j]: a group is 4 rows of 64 columns. Groups outer, panels inner, so each row
     * of B is read once, in order, across the strip. */
    const int64_t j0 = panel0 * VNNI_NR;
    const int64_t strip_bytes = vnni_min(n - j0, npanels * VNNI_NR);
    for (int64_t g = 0; g < G; g++) {
      const int8_t *src = b + (k0 + 4 * g) * ldb + j0;
      const int64_t rows = vnni_min(4, klen - 4 * g);
      /* The rows of the group PACK_PREFETCH_GROUPS ahead, every line of the strip: B usually comes from
       * memory (a conv's im2col matrix for its grad_weight, k = N*H*W), and without this the loads below
       * waited on it (packing ran at ~7 GB/s, 40% of that GEMM; the prefetchers do not follow 4 rows
       * read 64 bytes at a time). */
      for (int64_t p = 4 * (g + PACK_PREFETCH_GROUPS); p < 4 * (g + PACK_PREFETCH_GROUPS + 1) && p < klen; p++) {
        const int8_t *ahead = b + (k0 + p) * ldb + j0;
        for (int64_t off = 0; off < strip_bytes; off += 64) _mm_prefetch((const char *)(ahead + off), _MM_HINT_T0);
      }
      for (int64_t pi = 0; pi < npanels; pi++, src += VNNI_NR) {
        const __mmask64 cm = first_bytes(n - j0 - pi * VNNI_NR);
        const __m512i cbias = _mm512_maskz_mov_epi8(cm, bias);
        __m512i x[4];
        for (int t = 0; t < 4; t++)
          x[t] = t < rows ? _mm512_xor_si512(_mm512_maskz_loadu_epi8(cm, src + t * ldb), cbias) : _mm512_setzero_si512();
        interleave4(x[0], x[1], x[2], x[3], dst + (pi * G + g) * VNNI_GROUP_BYTES);
      }
    }
    return;
  }
  /* B[p][j] = b[j * ldb + p]: the 4 k of a group are one int32 word of row j; 16 columns x 16 groups
   * (64 bytes of k) per transpose */
  for (int64_t pi = 0; pi < npanels; pi++) {
    uint8_t *pd = dst + pi * G * VNNI_GROUP_BYTES;
    const int64_t j0 = (panel0 + pi) * VNNI_NR;
    const int64_t nc = vnni_min(n - j0, VNNI_NR); /* valid columns of this panel */
    for (int64_t cb = 0; cb < VNNI_NR; cb += 16) {
      for (int64_t g0 = 0; g0 < G; g0 += 16) {
        const __mmask64 km = first_bytes(klen - 4 * g0);
        const __m512i kbias = _mm512_maskz_mov_epi8(km, bias);
        __m512i v[16];
        for (int c = 0; c < 16; c++)
          v[c] = cb + c < nc
                     ? _mm512_xor_si512(_mm512_maskz_loadu_epi8(km, b + (j0 + cb + c) * ldb + k0 + 4 * g0), kbias)
                     : _mm512_setzero_si512();
        transpose16_epi32(v);
        const int64_t ng = vnni_min(16, G - g0);
        for (int64_t x = 0; x < ng; x++) _mm512_storeu_si512((void *)(pd + (g0 + x) * VNNI_GROUP_BYTES + cb * 4), v[x]);
      }
    }
  }
}

static void pack_b_avx512vnni(int trans_b, int64_t k, int64_t n, const int8_t *b, int64_t ldb, uint8_t *body) {
  pack_b_panels(trans_b, 0, k, n, b, ldb, 0, vnni_panels(n), body);
}

/*
 * Rows [i0, i0 + mc) and k [pc, pc + kc) of a transposed A (A[i][p] = a[p * lda + i]) as groups:
 * word (g * ldg + r) = bytes A[i0 + r][pc + 4g .. pc + 4g + 3] (0 past kc). ldg is a multiple of 64 >= mc;
 * words of rows past mc are 0. The same 4-row interleave as B, with rows of A in place of columns.
 */
static void pack_at_block(const int8_t *a, int64_t lda, int64_t i0, int64_t mc, int64_t pc, int64_t kc,
                          int64_t ldg, uint8_t *dst) {
  const int64_t groups = vnni_groups(kc);
  for (int64_t r0 = 0; r0 < ldg; r0 += 64) {
    const __mmask64 rm = first_bytes(mc - r0);
    for (int64_t g = 0; g < groups; g++) {
      __m512i x[4];
      for (int t = 0; t < 4; t++)
        x[t] = 4 * g + t < kc ? _mm512_maskz_loadu_epi8(rm, a + (pc + 4 * g + t) * lda + i0 + r0)
                              : _mm512_setzero_si512();
      interleave4(x[0], x[1], x[2], x[3], dst + (g * ldg + r0) * 4);
    }
  }
}

/* rowsum[i] = sum_p A[i][p] over the real k; |rowsum| <= 128 * INT8K_KMAX fits int32. */
static void row_sums(int trans_a, const int8_t *a, int64_t lda, int64_t m, int64_t k, int32_t *rowsum) {
  if (!trans_a) {
    /* vpdpbusd with 1 as the unsigned operand adds 4 signed bytes per lane, exactly */
    const __m512i ones = _mm512_set1_epi8(1);
    for (int64_t i = 0; i < m; i++) {
      const int8_t *ar = a + i * lda;
      __m512i acc = _mm512_setzero_si512();
      for (int64_t p = 0; p < k; p += 64)
        acc = _mm512_dpbusd_epi32(acc, ones, _mm512_maskz_loadu_epi8(first_bytes(k - p), ar + p));
      rowsum[i] = _mm512_reduce_add_epi32(acc);
    }
    return;
  }
  memset(rowsum, 0, (size_t)m * sizeof(int32_t));
  for (int64_t p = 0; p < k; p++) {
    const int8_t *ar = a + p * lda;
    for (int64_t i = 0; i < m; i += 16) {
      const __mmask16 mm = first_words(m - i);
      const __m512i x = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mm, ar + i));
      _mm512_mask_storeu_epi32(rowsum + i, mm, _mm512_add_epi32(x, _mm512_maskz_loadu_epi32(mm, rowsum + i)));
    }
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* Micro-kernel                                                                                          */
/* ---------------------------------------------------------------------------------------------------- */

/* Where a micro-tile's sums go: rows [0, mr) of the tile, columns [0, nc) of the panel. */
typedef struct {
  int first, last;       /* first k block: sums start at 0; last: finish into C */
  int32_t *tile;         /* sums over the k blocks so far (NULL with a single block), row r at tile + r * ldt */
  int64_t ldt;
  const int32_t *rowsum; /* rowsum[r] of the tile's rows */
  const int8k_epilogue *ep;
  int32_t *c32; /* C at the tile's origin (ep == NULL) */
  float *cf;    /* C at the tile's origin (ep != NULL) */
  int64_t ldc;
  int64_t i, j; /* the tile's origin in the call's C (epilogue vector indices) */
  int64_t nc;   /* valid columns, 1..64 */
} vnni_out;

/* Final sums of rows [0, mr) (row r at acc + r * ldt) minus the compensation, as int32 into C. */
static void vnni_store_s32(const vnni_out *o, int mr, const int32_t *acc, int64_t ldt) {
  for (int r = 0; r < mr; r++) {
    const __m512i comp = _mm512_set1_epi32((int32_t)((uint32_t)o->rowsum[r] * 128u));
    const int32_t *src = acc + r * ldt;
    int32_t *dst = o->c32 + r * o->ldc;
    if (o->nc == VNNI_NR) {
      for (int q = 0; q < 4; q++)
        _mm512_storeu_si512((void *)(dst + 16 * q),
                            _mm512_sub_epi32(_mm512_loadu_si512((const void *)(src + 16 * q)), comp));
    } else {
      for (int q = 0; 16 * q < o->nc; q++)
        _mm512_mask_storeu_epi32((void *)(dst + 16 * q), first_words(o->nc - 16 * q),
                                 _mm512_sub_epi32(_mm512_loadu_si512((const void *)(src + 16 * q)), comp));
    }
  }
}

/* The same sums through the epilogue of int8k.h, in its order, into the fp32 C. */
static void vnni_store_f32(const vnni_out *o, int mr, const int32_t *acc, int64_t ldt) {
  const int8k_epilogue *ep = o->ep;
  const __m512 alpha = _mm512_set1_ps(ep->alpha), beta = _mm512_set1_ps(ep->beta);
  for (int r = 0; r < mr; r++) {
    const __m512i comp = _mm512_set1_epi32((int32_t)((uint32_t)o->rowsum[r] * 128u));
    const __m512 rowscale = ep->row_scale ? _mm512_set1_ps(ep->row_scale[o->i + r]) : alpha;
    const int32_t *src = acc + r * ldt;
    float *dst = o->cf + r * o->ldc;
    for (int q = 0; 16 * q < o->nc; q++) {
      const __mmask16 mask = first_words(o->nc - 16 * q);
      const int64_t jj = o->j + 16 * q;
      __m512 f = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_loadu_si512((const void *)(src + 16 * q)), comp));
      f = _mm512_mul_ps(f, alpha);
      if (ep->row_scale) f = _mm512_mul_ps(f, rowscale);
      if (ep->col_scale) f = _mm512_mul_ps(f, _mm512_maskz_loadu_ps(mask, ep->col_scale + jj));
      if (ep->bias) f = _mm512_add_ps(f, _mm512_maskz_loadu_ps(mask, ep->bias + jj));
      if (ep->beta != 0.0f) f = _mm512_add_ps(f, _mm512_mul_ps(beta, _mm512_maskz_loadu_ps(mask, dst + 16 * q)));
      _mm512_mask_storeu_ps(dst + 16 * q, mask, f);
    }
  }
}

/*
 * The 6 x 64 int32 tile t (row r at t + r * ts bytes) over ng >= 1 k-groups, in assembly:
 * compilers keep 24 accumulators + 4 B vectors + a broadcast in the 32 zmm registers only in the simplest
 * loops and spill in this one. resume: the sums start from t, else from 0. A row r at a + r * rs, group g
 * at + g * gs (4 signed bytes, broadcast); B group g at b + 256 g (4 vectors of biased unsigned bytes).
 */
#define VNNI_ROW(addr, x0, x1, x2, x3)                 \
  "vpbroadcastd " addr ", %%zmm28\n\t"                 \
  "vpdpbusd %%zmm28, %%zmm24, %%" x0 "\n\t"            \
  "vpdpbusd %%zmm28, %%zmm25, %%" x1 "\n\t"            \
  "vpdpbusd %%zmm28, %%zmm26, %%" x2 "\n\t"            \
  "vpdpbusd %%zmm28, %%zmm27, %%" x3 "\n\t"
#define VNNI_ALL_ROWS(R)                                                                                     \
  R(0, "zmm0", "zmm1", "zmm2", "zmm3") R(1, "zmm4", "zmm5", "zmm6", "zmm7")                                    \
  R(2, "zmm8", "zmm9", "zmm10", "zmm11") R(3, "zmm12", "zmm13", "zmm14", "zmm15")                              \
  R(4, "zmm16", "zmm17", "zmm18", "zmm19") R(5, "zmm20", "zmm21", "zmm22", "zmm23")
#define VNNI_T_0 "(%[t])"
#define VNNI_T_1 "(%[t],%[ts],1)"
#define VNNI_T_2 "(%[t],%[ts],2)"
#define VNNI_T_3 "(%[t],%[ts3],1)"
#define VNNI_T_4 "(%[t],%[ts],4)"
#define VNNI_T_5 "(%[t],%[ts5],1)"
#define VNNI_LOAD_ROW(r, x0, x1, x2, x3)                                                                     \
  "vmovdqu64 " VNNI_T_##r ", %%" x0 "\n\t" "vmovdqu64 64" VNNI_T_##r ", %%" x1 "\n\t"                          \
  "vmovdqu64 128" VNNI_T_##r ", %%" x2 "\n\t" "vmovdqu64 192" VNNI_T_##r ", %%" x3 "\n\t"
#define VNNI_STORE_ROW(r, x0, x1, x2, x3)                                                                    \
  "vmovdqu64 %%" x0 ", " VNNI_T_##r "\n\t" "vmovdqu64 %%" x1 ", 64" VNNI_T_##r "\n\t"                          \
  "vmovdqu64 %%" x2 ", 128" VNNI_T_##r "\n\t" "vmovdqu64 %%" x3 ", 192" VNNI_T_##r "\n\t"
#define VNNI_ZERO_ROW(r, x0, x1, x2, x3)                                                                     \
  "vpxord %%" x0 ", %%" x0 ", %%" x0 "\n\t" "vpxord %%" x1 ", %%" x1 ", %%" x1 "\n\t"                          \
  "vpxord %%" x2 ", %%" x2 ", %%" x2 "\n\t" "vpxord %%" x3 ", %%" x3 ", %%" x3 "\n\t"
#define VNNI_ADDR_0 "(%[a])"
#define VNNI_ADDR_1 "(%[a],%[rs],1)"
#define VNNI_ADDR_2 "(%[a],%[rs],2)"
#define VNNI_ADDR_3 "(%[a],%[rs3],1)"
#define VNNI_ADDR_4 "(%[a],%[rs],4)"
#define VNNI_ADDR_5 "(%[a],%[rs5],1)"
#define VNNI_STEP_ROW(r, x0, x1, x2, x3) VNNI_ROW(VNNI_ADDR_##r, x0, x1, x2, x3)

static void vnni_tile_6x64(int64_t ng, const int8_t *a, int64_t rs, int64_t gs, const uint8_t *b, int32_t *t,
                           int64_t ts, int64_t resume) {
  const int64_t rs3 = 3 * rs, rs5 = 5 * rs, ts3 = 3 * ts, ts5 = 5 * ts;
  __asm__ volatile(
      "test %[resume], %[resume]\n\t"
      "jz 2f\n\t"
      VNNI_ALL_ROWS(VNNI_LOAD_ROW)
      "jmp 3f\n"
      "2:\n\t"
      VNNI_ALL_ROWS(VNNI_ZERO_ROW)
      "3:\n\t"
      ".p2align 5\n"
      "1:\n\t"
      "vmovdqu64 (%[b]), %%zmm24\n\t"
      "vmovdqu64 64(%[b]), %%zmm25\n\t"
      "vmovdqu64 128(%[b]), %%zmm26\n\t"
      "vmovdqu64 192(%[b]), %%zmm27\n\t"
      VNNI_ALL_ROWS(VNNI_STEP_ROW)
      "add %[gs], %[a]\n\t"
      "add $256, %[b]\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      VNNI_ALL_ROWS(VNNI_STORE_ROW)
      : [a] "+r"(a), [b] "+r"(b), [n] "+r"(ng)
      : [t] "r"(t), [ts] "r"(ts), [ts3] "r"(ts3), [ts5] "r"(ts5), [resume] "r"(resume), [rs] "r"(rs),
        [rs3] "r"(rs3), [rs5] "r"(rs5), [gs] "r"(gs)
      : "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8", "zmm9", "zmm10", "zmm11",
        "zmm12", "zmm13", "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20", "zmm21", "zmm22",
        "zmm23", "zmm24", "zmm25", "zmm26", "zmm27", "zmm28", "memory", "cc");
}

/*
 * Micro-kernel: rows [0, mr) (1 <= mr <= 6) x 64 columns over ng full k-groups plus, when tail > 0, one
 * group of which only the first `tail` bytes of each row exist (the rest taken as 0).
 *   a: row r (all six readable for the ng groups) at a + r * rs, group g at + g * gs; rows past mr are
 *      computed and not stored.
 *   b: group g at b[g * 256] (packed layout).
 */
static void vnni_kernel_6x64(int mr, int64_t ng, int64_t tail, const int8_t *a, int64_t rs, int64_t gs,
                             const uint8_t *b, const vnni_out *o) {
  /* the sums accumulate in the scratch tile when the k range has several blocks, else in a local one */
  _Alignas(64) int32_t local[VNNI_MR * VNNI_NR];
  int32_t *acc = o->tile != NULL ? o->tile : local;
  const int64_t ldt = o->tile != NULL ? o->ldt : VNNI_NR;
  if (ng > 0) vnni_tile_6x64(ng, a, rs, gs, b, acc, ldt * 4, !o->first);
  if (tail) {
    _Alignas(64) int8_t last[VNNI_MR * 4] = {0};
    for (int r = 0; r < mr; r++) memcpy(last + 4 * r, a + r * rs + ng * gs, (size_t)tail);
    vnni_tile_6x64(1, last, 4, 0, b + ng * VNNI_GROUP_BYTES, acc, ldt * 4, !o->first || ng > 0);
  }
  if (!o->last) return;
  if (o->ep == NULL)
    vnni_store_s32(o, mr, acc, ldt);
  else
    vnni_store_f32(o, mr, acc, ldt);
}

/*
 * The narrow path: a panel of at most 32 valid columns (n <= 32, or the last panel of n = 64q + 1..32) in
 * the 6 x 64 tile would spend half its vpdpbusd or more on the zero columns. It runs instead in a 12 x 32
 * tile (24 zmm accumulators, 2 B vectors, a broadcast), on a compact copy of the panel's first 32 columns:
 * group g at bn[g * 128] = the first 128 bytes of the panel's group g (zmm q = 0, 1 of the layout above),
 * made per call from the shared packed layout, which does not change. Same sums, same finish.
 */
#define NARROW_MR 12
#define NARROW_NR 32
#define NARROW_GROUP_BYTES 128
_Static_assert(VNNI_MC % NARROW_MR == 0, "VNNI_MC must be a multiple of NARROW_MR");

#define NARROW_ROW(addr, x0, x1)                       \
  "vpbroadcastd " addr ", %%zmm26\n\t"                 \
  "vpdpbusd %%zmm26, %%zmm24, %%" x0 "\n\t"            \
  "vpdpbusd %%zmm26, %%zmm25, %%" x1 "\n\t"
#define NARROW_ALL_ROWS(R)                                                                                   \
  R(0, "zmm0", "zmm1") R(1, "zmm2", "zmm3") R(2, "zmm4", "zmm5") R(3, "zmm6", "zmm7") R(4, "zmm8", "zmm9")    \
  R(5, "zmm10", "zmm11") R(6, "zmm12", "zmm13") R(7, "zmm14", "zmm15") R(8, "zmm16", "zmm17")                \
  R(9, "zmm18", "zmm19") R(10, "zmm20", "zmm21") R(11, "zmm22", "zmm23")
#define NARROW_ADDR_0 "(%[a])"
#define NARROW_ADDR_1 "(%[a],%[rs],1)"
#define NARROW_ADDR_2 "(%[a],%[rs],2)"
#define NARROW_ADDR_3 "(%[a],%[rs3],1)"
#define NARROW_ADDR_4 "(%[a],%[rs],4)"
#define NARROW_ADDR_5 "(%[a],%[rs5],1)"
#define NARROW_ADDR_6 "(%[a6])"
#define NARROW_ADDR_7 "(%[a6],%[rs],1)"
#define NARROW_ADDR_8 "(%[a6],%[rs],2)"
#define NARROW_ADDR_9 "(%[a6],%[rs3],1)"
#define NARROW_ADDR_10 "(%[a6],%[rs],4)"
#define NARROW_ADDR_11 "(%[a6],%[rs5],1)"
#define NARROW_STEP_ROW(r, x0, x1) NARROW_ROW(NARROW_ADDR_##r, x0, x1)
/* the tile's rows walked with tp (row stride ts bytes) */
#define NARROW_LOAD_ROW(r, x0, x1) \
  "vmovdqu64 (%[tp]), %%" x0 "\n\t" "vmovdqu64 64(%[tp]), %%" x1 "\n\t" "add %[ts], %[tp]\n\t"
#define NARROW_STORE_ROW(r, x0, x1) \
  "vmovdqu64 %%" x0 ", (%[tp])\n\t" "vmovdqu64 %%" x1 ", 64(%[tp])\n\t" "add %[ts], %[tp]\n\t"
#define NARROW_ZERO_ROW(r, x0, x1) "vpxord %%" x0 ", %%" x0 ", %%" x0 "\n\t" "vpxord %%" x1 ", %%" x1 ", %%" x1 "\n\t"

/* The 12 x 32 int32 tile t (row r at t + r * ts bytes) over ng >= 1 k-groups: rows 0..5 of A at a + r * rs,
 * rows 6..11 at a6 + (r - 6) * rs, group g at + g * gs; B group g at b + 128 g (2 vectors). */
static void vnni_tile_12x32(int64_t ng, const int8_t *a, const int8_t *a6, int64_t rs, int64_t gs,
                            const uint8_t *b, int32_t *t, int64_t ts, int64_t resume) {
  const int64_t rs3 = 3 * rs, rs5 = 5 * rs;
  int32_t *tp;
  __asm__ volatile(
      "mov %[t], %[tp]\n\t"
      "cmpq $0, %[resume]\n\t"
      "je 2f\n\t"
      NARROW_ALL_ROWS(NARROW_LOAD_ROW)
      "jmp 3f\n"
      "2:\n\t"
      NARROW_ALL_ROWS(NARROW_ZERO_ROW)
      "3:\n\t"
      ".p2align 5\n"
      "1:\n\t"
      "vmovdqu64 (%[b]), %%zmm24\n\t"
      "vmovdqu64 64(%[b]), %%zmm25\n\t"
      NARROW_ALL_ROWS(NARROW_STEP_ROW)
      "add %[gs], %[a]\n\t"
      "add %[gs], %[a6]\n\t"
      "sub $-128, %[b]\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "mov %[t], %[tp]\n\t"
      NARROW_ALL_ROWS(NARROW_STORE_ROW)
      : [a] "+r"(a), [a6] "+r"(a6), [b] "+r"(b), [n] "+r"(ng), [tp] "=&r"(tp)
      : [t] "r"(t), [ts] "r"(ts), [resume] "rm"(resume), [rs] "r"(rs), [rs3] "r"(rs3), [rs5] "r"(rs5),
        [gs] "r"(gs)
      : "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8", "zmm9", "zmm10", "zmm11",
        "zmm12", "zmm13", "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20", "zmm21", "zmm22",
        "zmm23", "zmm24", "zmm25", "zmm26", "memory", "cc");
}

/* As vnni_kernel_6x64, for rows [0, mr) (1 <= mr <= 12) x the o->nc <= 32 columns of a compact panel b
 * (group g at b[g * 128]); all 12 rows of a readable for the ng groups, rows past mr not stored. */
static void vnni_kernel_12x32(int mr, int64_t ng, int64_t tail, const int8_t *a, int64_t rs, int64_t gs,
                              const uint8_t *b, const vnni_out *o) {
  _Alignas(64) int32_t local[NARROW_MR * NARROW_NR];
  int32_t *acc = o->tile != NULL ? o->tile : local;
  const int64_t ldt = o->tile != NULL ? o->ldt : NARROW_NR;
  if (ng > 0) vnni_tile_12x32(ng, a, a + 6 * rs, rs, gs, b, acc, ldt * 4, !o->first);
  if (tail) {
    _Alignas(64) int8_t last[NARROW_MR * 4] = {0};
    for (int r = 0; r < mr; r++) memcpy(last + 4 * r, a + r * rs + ng * gs, (size_t)tail);
    vnni_tile_12x32(1, last, last + 24, 4, 0, b + ng * NARROW_GROUP_BYTES, acc, ldt * 4, !o->first || ng > 0);
  }
  if (!o->last) return;
  if (o->ep == NULL)
    vnni_store_s32(o, mr, acc, ldt);
  else
    vnni_store_f32(o, mr, acc, ldt);
}

/* The first 32 columns of groups [0, groups) of a panel (layout above) as the compact narrow panel. */
static void narrow_panel(const uint8_t *panel, int64_t groups, uint8_t *dst) {
  for (int64_t g = 0; g < groups; g++) {
    _mm512_storeu_si512((void *)(dst + g * NARROW_GROUP_BYTES), _mm512_loadu_si512((const void *)(panel + g * VNNI_GROUP_BYTES)));
    _mm512_storeu_si512((void *)(dst + g * NARROW_GROUP_BYTES + 64),
                        _mm512_loadu_si512((const void *)(panel + g * VNNI_GROUP_BYTES + 64)));
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* Driver                                                                                                */
/* ---------------------------------------------------------------------------------------------------- */

static void *alloc64(size_t bytes) { return int8k_scratch_alloc(bytes); }

/* prefetchw of the C lines of rows [i, i + rows) x columns [j, j + nc) */
static inline void vnni_prefetch_c(const int8k_gemm_call *call, int64_t i, int64_t j, int rows, int64_t nc) {
  const char *c = call->ep == NULL ? (const char *)(call->c_s32 + i * call->ldc + j)
                                   : (const char *)(call->c_f32 + i * call->ldc + j);
  for (int r = 0; r < rows; r++, c += call->ldc * 4)
    for (int64_t off = 0; off < nc * 4; off += 64) __asm__ volatile("prefetchw %0" ::"m"(c[off]));
}

/* What every block of one call shares. */
typedef struct {
  const int8k_gemm_call *call;
  const int32_t *rowsum;
  uint8_t *ablk;  /* a transposed A block, packed (ldg words per group) */
  int64_t ldg;
  int8_t *alast;  /* a short last micro-panel of a row-major A, 6 rows x kcpad bytes */
  int8_t *alast12; /* the same for the narrow panel's micro-panels of 12 rows */
  int64_t kcpad;
  int32_t *tile;  /* int32 sums across k blocks, row stride ldt, or NULL with one k block */
  int64_t ldt;
} vnni_ctx;

/*
 * Rows [ic, ic + mc) x the npan panels of a strip starting at column jc, over k [pc, pc + kc): B's groups
 * of this k range for panel pi at bk + pi * pstride. tile points at the row ic of the sums (or is NULL).
 * bn: when not NULL, the last panel is narrow (<= 32 columns) and these are its groups of this k range,
 * compact (narrow_panel), computed in 12 x 32 tiles.
 */
/* dst = the rows [from, mc) of the A block at ab (row stride rs, kc bytes each), zero-padded to cap rows
 * of kcpad bytes: the last micro-panel, whose kernel reads whole groups of 4 */
static void vnni_pad_rows(int8_t *dst, int cap, int64_t kcpad, const int8_t *ab, int64_t rs, int64_t from,
                          int64_t mc, int64_t kc) {
  memset(dst, 0, (size_t)(cap * kcpad));
  for (int64_t r = 0; r < mc - from; r++) memcpy(dst + r * kcpad, ab + (from + r) * rs, (size_t)kc);
}

/* Points o at the micro-tile of rows [ic + ir, + step) of the panel at column j (o->nc set; panel_tile the
 * panel's part of the scratch tile or NULL). With the last k block, the C lines of the next micro-tile (and
 * of the first) are fetched for writing while this one computes: with a short k the stores would otherwise
 * wait for memory (the tile computes in a few hundred cycles when k = 64). */
static inline void vnni_aim(const vnni_ctx *x, vnni_out *o, int64_t ic, int64_t ir, int64_t mc, int step,
                            int64_t j, int32_t *panel_tile, int last) {
  const int8k_gemm_call *call = x->call;
  const int64_t i = ic + ir;
  if (last) {
    if (ir == 0) vnni_prefetch_c(call, i, j, (int)vnni_min(mc - ir, step), o->nc);
    if (ir + step < mc) vnni_prefetch_c(call, i + step, j, (int)vnni_min(mc - ir - step, step), o->nc);
  }
  o->i = i;
  o->tile = panel_tile != NULL ? panel_tile + ir * x->ldt : NULL;
  o->rowsum = x->rowsum + i;
  if (call->ep == NULL)
    o->c32 = call->c_s32 + i * call->ldc + j;
  else
    o->cf = call->c_f32 + i * call->ldc + j;
}

static void vnni_block(const vnni_ctx *x, int64_t ic, int64_t mc, int64_t pc, int64_t kc, int first, int last,
                       const uint8_t *bk, int64_t pstride, int64_t npan, int64_t jc, int32_t *tile,
                       const uint8_t *bn) {
  const int8k_gemm_call *call = x->call;
  const int64_t ir_short = mc / VNNI_MR * VNNI_MR; /* a micro-panel of mc % 6 rows starts here */
  const int64_t ir_short12 = mc / NARROW_MR * NARROW_MR; /* the narrow panel's one of mc % 12 rows */
  /* A micro-panel ir: row r at ab + (ir + r) * rs, group g at + g * gs */
  const int8_t *ab;
  int64_t rs, gs, ng, tail;
  if (!call->trans_a) {
    ab = call->a + ic * call->lda + pc;
    rs = call->lda;
    gs = 4;
    ng = kc / 4;
    tail = kc % 4;
    if (ir_short < mc && (bn == NULL || npan > 1)) vnni_pad_rows(x->alast, VNNI_MR, x->kcpad, ab, rs, ir_short, mc, kc);
    if (ir_short12 < mc && bn != NULL) vnni_pad_rows(x->alast12, NARROW_MR, x->kcpad, ab, rs, ir_short12, mc, kc);
  } else {
    pack_at_block(call->a, call->lda, ic, mc, pc, kc, x->ldg, x->ablk);
    ab = (const int8_t *)x->ablk;
    rs = 4;
    gs = x->ldg * 4;
    ng = vnni_groups(kc); /* zero-padded */
    tail = 0;
  }
  vnni_out o = {0};
  o.first = first;
  o.last = last;
  o.ldt = x->ldt;
  o.ep = call->ep;
  o.ldc = call->ldc;
  for (int64_t pi = 0; pi < npan; pi++) {
    const uint8_t *bb = bk + pi * pstride;
    const int64_t j = jc + pi * VNNI_NR;
    o.j = j;
    o.nc = vnni_min(call->n - j, VNNI_NR);
    if (bn != NULL && pi == npan - 1) {
      for (int64_t ir = 0; ir < mc; ir += NARROW_MR) {
        const int mr = (int)vnni_min(mc - ir, NARROW_MR);
        vnni_aim(x, &o, ic, ir, mc, NARROW_MR, j, tile != NULL ? tile + pi * VNNI_NR : NULL, last);
        if (!call->trans_a && ir == ir_short12)
          vnni_kernel_12x32(mr, (kc + 3) / 4, 0, x->alast12, x->kcpad, 4, bn, &o);
        else
          vnni_kernel_12x32(mr, ng, tail, ab + ir * rs, rs, gs, bn, &o);
      }
      continue;
    }
    for (int64_t ir = 0; ir < mc; ir += VNNI_MR) {
      const int mr = (int)vnni_min(mc - ir, VNNI_MR);
      vnni_aim(x, &o, ic, ir, mc, VNNI_MR, j, tile != NULL ? tile + pi * VNNI_NR : NULL, last);
      if (!call->trans_a && ir == ir_short)
        vnni_kernel_6x64(mr, (kc + 3) / 4, 0, x->alast, x->kcpad, 4, bb, &o);
      else
        vnni_kernel_6x64(mr, ng, tail, ab + ir * rs, rs, gs, bb, &o);
    }
  }
}

/*
 * Two loop orders. When B comes packed, or a strip of B packed for all k fits VNNI_STRIP_BYTES: per strip,
 * B once, then row blocks, then k blocks (the sums of a row block stay in an MC-row tile). When k is so
 * long that even one panel does not fit (grad_weight of a conv: k = N*H*W), B is packed per k block
 * (KC x strip) instead, and the row blocks of a chunk of rows share it (the tile holds the chunk).
 */
static int int8k_gemm_s8s8_avx512vnni(const int8k_gemm_call *call) {
  const int64_t m = call->m, n = call->n, k = call->k;
  const int64_t G = vnni_groups(k);
  const int64_t panel_bytes = G * VNNI_GROUP_BYTES; /* one panel, all k */
  const int64_t total_panels = vnni_panels(n);
  const int k_blocked_b = call->packed_b == NULL && panel_bytes > VNNI_STRIP_BYTES;
  /* the last panel narrow (n % 64 in 1..32): 12 x 32 tiles on a compact copy of it */
  const int narrow = (n - 1) % VNNI_NR < NARROW_NR;

  int64_t strip_panels = k_blocked_b ? VNNI_MAX_STRIP_PANELS : VNNI_STRIP_BYTES / panel_bytes;
  if (strip_panels < 1) strip_panels = 1;
  if (strip_panels > VNNI_MAX_STRIP_PANELS) strip_panels = VNNI_MAX_STRIP_PANELS;
  if (strip_panels > total_panels) strip_panels = total_panels;

  /* even k blocks on group boundaries (a packed B's groups start at p = 0) */
  const int64_t kc_max = narrow && total_panels == 1 ? VNNI_KC_NARROW : VNNI_KC;
  const int64_t nkb = (k + kc_max - 1) / kc_max;
  const int64_t kcb = ((k + nkb - 1) / nkb + 3) / 4 * 4;
  const int64_t mc_max = vnni_min(VNNI_MC, m);
  /* rows sharing a k-blocked B: the tile of their sums about 1 MB, at least one row block */
  int64_t chunk = ((int64_t)1 << 18) / (strip_panels * VNNI_NR) / VNNI_MC * VNNI_MC;
  if (chunk < VNNI_MC) chunk = VNNI_MC;
  if (!k_blocked_b || chunk > m) chunk = k_blocked_b ? m : VNNI_MC;

  vnni_ctx x = {0};
  x.call = call;
  x.ldg = (mc_max + 63) / 64 * 64;
  x.kcpad = (kcb + 3) / 4 * 4;
  x.ldt = strip_panels * VNNI_NR;
  int32_t *rowsum = (int32_t *)int8k_scratch_alloc((size_t)m * sizeof(int32_t));
  /* + NARROW_MR rows: the assembly stores all 6 (12) rows of a short last micro-panel */
  int32_t *tile = nkb > 1 ? (int32_t *)alloc64((size_t)((chunk + NARROW_MR) * x.ldt) * sizeof(int32_t)) : NULL;
  const int64_t bbytes = k_blocked_b ? strip_panels * vnni_groups(kcb) * VNNI_GROUP_BYTES : strip_panels * panel_bytes;
  uint8_t *bbuf = call->packed_b == NULL ? (uint8_t *)alloc64((size_t)bbytes) : NULL;
  /* + slack: the last micro-panel's rows past mc read (unused) words of the next group, or past the end */
  x.ablk = call->trans_a ? (uint8_t *)alloc64((size_t)(vnni_groups(kcb) * x.ldg * 4 + 64)) : NULL;
  x.alast = (int8_t *)alloc64((size_t)(VNNI_MR * x.kcpad));
  x.alast12 = narrow ? (int8_t *)alloc64((size_t)(NARROW_MR * x.kcpad)) : NULL;
  /* the narrow panel, compact: all k, or one k block when B is packed per k block */
  uint8_t *bnar = narrow ? (uint8_t *)alloc64((size_t)((k_blocked_b ? vnni_groups(kcb) : G) * NARROW_GROUP_BYTES)) : NULL;
  if (rowsum == NULL || (nkb > 1 && tile == NULL) || (call->packed_b == NULL && bbuf == NULL) ||
      (call->trans_a && x.ablk == NULL) || x.alast == NULL || (narrow && (x.alast12 == NULL || bnar == NULL))) {
    int8k_scratch_free(rowsum);
    int8k_scratch_free(tile);
    int8k_scratch_free(bbuf);
    int8k_scratch_free(x.ablk);
    int8k_scratch_free(x.alast);
    int8k_scratch_free(x.alast12);
    int8k_scratch_free(bnar);
    return INT8K_ERR_NOMEM;
  }
  /* the row sums of A: here for the k-blocked order; in the other, per row block just before its first
   * micro-tiles (the block then comes from cache, not from memory twice) */
  if (k_blocked_b) row_sums(call->trans_a, call->a, call->lda, m, k, rowsum);
  x.rowsum = rowsum;
  x.tile = tile;

  if (!k_blocked_b) {
    for (int64_t panel0 = 0; panel0 < total_panels; panel0 += strip_panels) {
      const int64_t npan = vnni_min(total_panels - panel0, strip_panels);
      const uint8_t *bpan; /* panel pi of the strip at bpan + pi * panel_bytes */
      if (call->packed_b != NULL) {
        bpan = call->packed_b + panel0 * panel_bytes;
      } else {
        pack_b_panels(call->trans_b, 0, k, n, call->b, call->ldb, panel0, npan, bbuf);
        bpan = bbuf;
      }
      const int nar = narrow && panel0 + npan == total_panels;
      if (nar) narrow_panel(bpan + (npan - 1) * panel_bytes, G, bnar);
      for (int64_t ic = 0; ic < m; ic += VNNI_MC) {
        const int64_t mc = vnni_min(m - ic, VNNI_MC);
        if (panel0 == 0)
          row_sums(call->trans_a, call->trans_a ? call->a + ic : call->a + ic * call->lda, call->lda, mc, k, rowsum + ic);
        for (int64_t kb = 0; kb < nkb; kb++) {
          const int64_t pc = kb * kcb;
          if (pc >= k) break;
          const int64_t kc = vnni_min(kcb, k - pc);
          vnni_block(&x, ic, mc, pc, kc, kb == 0, pc + kc >= k, bpan + (pc / 4) * VNNI_GROUP_BYTES, panel_bytes, npan,
                     panel0 * VNNI_NR, tile, nar ? bnar + (pc / 4) * NARROW_GROUP_BYTES : NULL);
        }
      }
    }
  } else {
    for (int64_t i0 = 0; i0 < m; i0 += chunk) {
      const int64_t rows = vnni_min(m - i0, chunk);
      for (int64_t panel0 = 0; panel0 < total_panels; panel0 += strip_panels) {
        const int64_t npan = vnni_min(total_panels - panel0, strip_panels);
        for (int64_t kb = 0; kb < nkb; kb++) {
          const int64_t pc = kb * kcb;
          if (pc >= k) break;
          const int64_t kc = vnni_min(kcb, k - pc);
          pack_b_panels(call->trans_b, pc, kc, n, call->b, call->ldb, panel0, npan, bbuf);
          const int nar = narrow && panel0 + npan == total_panels;
          if (nar) narrow_panel(bbuf + (npan - 1) * vnni_groups(kc) * VNNI_GROUP_BYTES, vnni_groups(kc), bnar);
          for (int64_t ic = i0; ic < i0 + rows; ic += VNNI_MC)
            vnni_block(&x, ic, vnni_min(i0 + rows - ic, VNNI_MC), pc, kc, kb == 0, pc + kc >= k, bbuf,
                       vnni_groups(kc) * VNNI_GROUP_BYTES, npan, panel0 * VNNI_NR,
                       tile != NULL ? tile + (ic - i0) * x.ldt : NULL, nar ? bnar : NULL);
        }
      }
    }
  }

  int8k_scratch_free(rowsum);
  int8k_scratch_free(tile);
  int8k_scratch_free(bbuf);
  int8k_scratch_free(x.ablk);
  int8k_scratch_free(x.alast);
  int8k_scratch_free(x.alast12);
  int8k_scratch_free(bnar);
  return INT8K_OK;
}

const int8k_gemm_ops int8k_gemm_ops_avx512vnni = {INT8K_ISA_AVX512VNNI, packed_b_body_size_avx512vnni,
                                                  pack_b_avx512vnni, int8k_gemm_s8s8_avx512vnni,
                                                  int8k_sgemm_avx512vnni};
