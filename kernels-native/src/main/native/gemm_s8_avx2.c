/*
 * gemm_s8_avx2.c - s8 x s8 GEMM for AVX2 (Haswell, Zen): exact int32 sums, int32 or fused-epilogue fp32 output.
 *
 * Arithmetic: both operands are widened to int16 and multiplied with vpmaddwd, which adds the two products
 * of each int16 pair into an int32 lane. That is exact for every int8 input (|sum of a pair| <= 2^15), unlike
 * vpmaddubsw, whose int16 pair sums saturate. A k-pair (2p, 2p+1) is therefore the unit of the K loop.
 *
 * Packed-B layout (private to this ISA): column panels of NR = 16 columns, panel q holding columns
 * [16q, 16q + 16); inside a panel, for each k-pair p in [0, ceil(k/2)), 16 int32 words, word c being the
 * int16 pair (B[2p][16q + c], B[2p+1][16q + c]) (low half first). Missing columns and the odd k row are zero.
 *   body[(q * ceil(k/2) + p) * 16 + c]   (int32 units)          size = ceil(n/16) * ceil(k/2) * 64 bytes
 * Panels are contiguous in k, so any K block of a panel is a plain offset into it.
 * A packed body holds this int16 layout followed by the byte-quad layout of pack_bq_block (same panels, a
 * word being 4 consecutive k as raw int8): size += ceil(n/16) * ceil(k/4) * 64 bytes.
 *
 * Non-negative A: when every element of op(A) is in [0, 127] (post-ReLU activations; checked by a scan of
 * A per call) A can be the unsigned operand of vpmaddubsw, whose pair sums then cannot saturate, and the
 * byte-quad path does 4 k per word with vpmaddubsw + vpmaddwd(ones) + vpaddd. Otherwise the int16 path.
 *
 * Blocking (Goto/BLIS order): jc over NC columns of B, pc over KC k-pairs, ic over MC rows of A, then the
 * 16-column B micro-panel (KC * 64 bytes) stays in L1 while the MR = 6 row A micro-panels stream from the
 * packed A block in L2. The register tile is 6 x 16 int32: 12 accumulators + 2 B vectors + 1 broadcast.
 */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "int8k_isa.h"
#include "sgemm.h"

#define MR 6
#define NR 16
/* k-pairs per K block: a 16 KB B micro-panel, half of L1, leaves room for the A stream. 256 measured best
 * of 192/256/320 on Zen 3; it also keeps the m = 64, k = 4096 case from thrashing L1. */
#define KC_MAX 256
/* rows per A block: 192 * 256 * 4 = 192 KB, well inside a 512 KB L2 */
#define MC_MAX 192
/* columns per B block when B is packed per call: 256 * 1024 * 4 = 1 MB, L2/L3 */
#define NC_MAX 1024

static inline int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }
static inline int64_t kpairs(int64_t k) { return (k + 1) >> 1; }
static inline int64_t kquads(int64_t k) { return (k + 3) >> 2; }

/* bytes of the int16-pair layout; the byte-quad layout follows it */
static int64_t s16_body_size(int64_t k, int64_t n) { return ((n + NR - 1) / NR) * kpairs(k) * NR * 4; }

static int64_t packed_b_body_size_avx2(int64_t k, int64_t n) {
  return s16_body_size(k, n) + ((n + NR - 1) / NR) * kquads(k) * NR * 4;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Packing                                                                                               */
/* ---------------------------------------------------------------------------------------------------- */

static inline int32_t pair16(int8_t lo, int8_t hi) {
  return (int32_t)(((uint32_t)(uint16_t)(int16_t)hi << 16) | (uint32_t)(uint16_t)(int16_t)lo);
}

/* Element B[p][j] of op(B). */
static inline int8_t b_at(int trans_b, const int8_t *b, int64_t ldb, int64_t p, int64_t j) {
  return trans_b ? b[j * ldb + p] : b[p * ldb + j];
}

/*
 * Packs op(B) rows [k0, k0 + klen), columns [j0, j0 + nc) into panels of kcp = ceil(klen/2) pairs, panel q at
 * dst + q * panel_stride (int32 units). Reads only inside those rows and columns.
 */
static void pack_b_block(int trans_b, const int8_t *b, int64_t ldb, int64_t bsize, int64_t k0, int64_t klen,
                         int64_t j0, int64_t nc, int64_t panel_stride, int32_t *dst) {
  const int64_t kcp = kpairs(klen), kfull = klen >> 1; /* pairs with both rows present */
  const int64_t nfull = nc / NR;                       /* panels with all 16 columns present */
  int64_t q = 0;
  if (!trans_b) {
    /* Interleaving two rows bytewise and sign-extending yields the pairs directly. Four panels (64 source
     * bytes, a cache line) are done per row pair: walking one panel down the rows alone would revisit each
     * line four times at a stride of ldb, which for power-of-two ldb maps every row to the same cache set. */
    for (; q < nfull; q += 4) {
      const int64_t nq = min64(4, nfull - q);
      for (int64_t p = 0; p < kfull; p++) {
        const int8_t *r0 = b + (k0 + 2 * p) * ldb + j0 + q * NR;
        for (int64_t u = 0; u < nq; u++) {
          __m128i x0 = _mm_loadu_si128((const __m128i *)(r0 + u * NR));
          __m128i x1 = _mm_loadu_si128((const __m128i *)(r0 + ldb + u * NR));
          int32_t *dp = dst + (q + u) * panel_stride + p * NR;
          _mm256_storeu_si256((__m256i *)dp, _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1)));
          _mm256_storeu_si256((__m256i *)(dp + 8), _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(x0, x1)));
        }
      }
    }
  } else {
    /* Column j of op(B) is a contiguous row of b: its pairs widen in place, then 8x8 int32 transposes
     * turn 8 columns x 8 pairs into 8 pair-rows x 8 columns. */
    for (q = 0; q < nfull; q++) {
      const int64_t jq = j0 + q * NR;
      int32_t *dp = dst + q * panel_stride;
      for (int64_t p = 0; p + 8 <= kfull; p += 8) {
        for (int h = 0; h < 2; h++) {
          __m256i r[8], t[8], u[8];
          for (int c = 0; c < 8; c++)
            r[c] = _mm256_cvtepi8_epi16(
                _mm_loadu_si128((const __m128i *)(b + (jq + 8 * h + c) * ldb + k0 + 2 * p)));
          for (int c = 0; c < 8; c += 2) {
            t[c] = _mm256_unpacklo_epi32(r[c], r[c + 1]);
            t[c + 1] = _mm256_unpackhi_epi32(r[c], r[c + 1]);
          }
          for (int c = 0; c < 8; c += 4) {
            u[c] = _mm256_unpacklo_epi64(t[c], t[c + 2]);
            u[c + 1] = _mm256_unpackhi_epi64(t[c], t[c + 2]);
            u[c + 2] = _mm256_unpacklo_epi64(t[c + 1], t[c + 3]);
            u[c + 3] = _mm256_unpackhi_epi64(t[c + 1], t[c + 3]);
          }
          for (int c = 0; c < 4; c++) {
            _mm256_storeu_si256((__m256i *)(dp + (p + c) * NR + 8 * h),
                                _mm256_permute2x128_si256(u[c], u[c + 4], 0x20));
            _mm256_storeu_si256((__m256i *)(dp + (p + c + 4) * NR + 8 * h),
                                _mm256_permute2x128_si256(u[c], u[c + 4], 0x31));
          }
        }
      }
    }
  }
  /* What the vector loops left: the pairs after the last full group (all of them in a partial panel). */
  for (q = 0; q * NR < nc; q++) {
    const int64_t jq = j0 + q * NR, ncols = min64(NR, nc - q * NR);
    int32_t *dp = dst + q * panel_stride;
    int64_t p = 0;
    if (ncols == NR) p = trans_b ? kfull / 8 * 8 : kfull;
    if (!trans_b && ncols < NR) {
      /* A partial panel (small n): 16-byte loads over-read past column n into bytes of B's buffer (bsize
       * bytes), which the mask clears; only the pairs whose load would leave the buffer go element-wise. */
      const __m128i keep = _mm_cmpgt_epi8(_mm_set1_epi8((char)ncols), _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                                                     11, 12, 13, 14, 15));
      for (; p < kfull; p++) {
        const int64_t off = (k0 + 2 * p) * ldb + jq;
        if (off + ldb + 16 > bsize) break;
        __m128i x0 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(b + off)), keep);
        __m128i x1 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(b + off + ldb)), keep);
        _mm256_storeu_si256((__m256i *)(dp + p * NR), _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1)));
        _mm256_storeu_si256((__m256i *)(dp + p * NR + 8), _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(x0, x1)));
      }
    }
    for (; p < kcp; p++) {
      const int64_t pr = k0 + 2 * p;
      const int has_hi = 2 * p + 1 < klen;
      for (int64_t c = 0; c < NR; c++) {
        int32_t w = 0;
        if (c < ncols)
          w = pair16(b_at(trans_b, b, ldb, pr, jq + c), has_hi ? b_at(trans_b, b, ldb, pr + 1, jq + c) : 0);
        dp[p * NR + c] = w;
      }
    }
  }
}

/*
 * Byte-quad layout of B for the non-negative-A path (see gemm_s8s8_avx2): same panels of NR = 16 columns,
 * but one 32-bit word per column holds 4 consecutive k of op(B) as raw int8 (lowest k in the low byte):
 *   word (q * ceil(k/4) + p) * 16 + c = bytes (B[4p][16q+c], B[4p+1][16q+c], B[4p+2][16q+c], B[4p+3][16q+c])
 * Missing columns and the k rows past the end are zero. Packs op(B) rows [k0, k0 + klen), columns
 * [j0, j0 + nc) with panel q at dst + q * panel_stride (int32 units).
 */
static void pack_bq_block(int trans_b, const int8_t *b, int64_t ldb, int64_t bsize, int64_t k0, int64_t klen,
                          int64_t j0, int64_t nc, int64_t panel_stride, int32_t *dst) {
  const int64_t kcq = kquads(klen), kfull = klen >> 2; /* quads with all four rows present */
  const int64_t nfull = nc / NR;
  int64_t q = 0;
  if (!trans_b) {
    /* Four rows interleaved bytewise give the quads of 16 columns; four panels (a cache line) per quad. */
    for (; q < nfull; q += 4) {
      const int64_t nq = min64(4, nfull - q);
      for (int64_t p = 0; p < kfull; p++) {
        const int8_t *r0 = b + (k0 + 4 * p) * ldb + j0 + q * NR;
        for (int64_t u = 0; u < nq; u++) {
          __m128i x0 = _mm_loadu_si128((const __m128i *)(r0 + u * NR));
          __m128i x1 = _mm_loadu_si128((const __m128i *)(r0 + ldb + u * NR));
          __m128i x2 = _mm_loadu_si128((const __m128i *)(r0 + 2 * ldb + u * NR));
          __m128i x3 = _mm_loadu_si128((const __m128i *)(r0 + 3 * ldb + u * NR));
          __m128i l01 = _mm_unpacklo_epi8(x0, x1), h01 = _mm_unpackhi_epi8(x0, x1);
          __m128i l23 = _mm_unpacklo_epi8(x2, x3), h23 = _mm_unpackhi_epi8(x2, x3);
          int32_t *dp = dst + (q + u) * panel_stride + p * NR;
          _mm_storeu_si128((__m128i *)dp, _mm_unpacklo_epi16(l01, l23));
          _mm_storeu_si128((__m128i *)(dp + 4), _mm_unpackhi_epi16(l01, l23));
          _mm_storeu_si128((__m128i *)(dp + 8), _mm_unpacklo_epi16(h01, h23));
          _mm_storeu_si128((__m128i *)(dp + 12), _mm_unpackhi_epi16(h01, h23));
        }
      }
    }
  } else {
    /* Column j of op(B) is a contiguous row of b whose quads are its 32-bit words: 8x8 word transposes. */
    for (q = 0; q < nfull; q++) {
      const int64_t jq = j0 + q * NR;
      int32_t *dp = dst + q * panel_stride;
      for (int64_t p = 0; p + 8 <= kfull; p += 8) {
        for (int h = 0; h < 2; h++) {
          __m256i r[8], t[8], u[8];
          for (int c = 0; c < 8; c++)
            r[c] = _mm256_loadu_si256((const __m256i *)(b + (jq + 8 * h + c) * ldb + k0 + 4 * p));
          for (int c = 0; c < 8; c += 2) {
            t[c] = _mm256_unpacklo_epi32(r[c], r[c + 1]);
            t[c + 1] = _mm256_unpackhi_epi32(r[c], r[c + 1]);
          }
          for (int c = 0; c < 8; c += 4) {
            u[c] = _mm256_unpacklo_epi64(t[c], t[c + 2]);
            u[c + 1] = _mm256_unpackhi_epi64(t[c], t[c + 2]);
            u[c + 2] = _mm256_unpacklo_epi64(t[c + 1], t[c + 3]);
            u[c + 3] = _mm256_unpackhi_epi64(t[c + 1], t[c + 3]);
          }
          for (int c = 0; c < 4; c++) {
            _mm256_storeu_si256((__m256i *)(dp + (p + c) * NR + 8 * h),
                                _mm256_permute2x128_si256(u[c], u[c + 4], 0x20));
            _mm256_storeu_si256((__m256i *)(dp + (p + c + 4) * NR + 8 * h),
                                _mm256_permute2x128_si256(u[c], u[c + 4], 0x31));
          }
        }
      }
    }
  }
  for (q = 0; q * NR < nc; q++) {
    const int64_t jq = j0 + q * NR, ncols = min64(NR, nc - q * NR);
    int32_t *dp = dst + q * panel_stride;
    int64_t p = 0;
    if (ncols == NR) p = trans_b ? kfull / 8 * 8 : kfull;
    if (!trans_b && ncols < NR) {
      /* partial panel: masked over-reads inside B's buffer as in pack_b_block */
      const __m128i keep = _mm_cmpgt_epi8(_mm_set1_epi8((char)ncols), _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                                                     11, 12, 13, 14, 15));
      for (; p < kfull; p++) {
        const int64_t off = (k0 + 4 * p) * ldb + jq;
        if (off + 3 * ldb + 16 > bsize) break;
        __m128i x0 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(b + off)), keep);
        __m128i x1 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(b + off + ldb)), keep);
        __m128i x2 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(b + off + 2 * ldb)), keep);
        __m128i x3 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(b + off + 3 * ldb)), keep);
        __m128i l01 = _mm_unpacklo_epi8(x0, x1), h01 = _mm_unpackhi_epi8(x0, x1);
        __m128i l23 = _mm_unpacklo_epi8(x2, x3), h23 = _mm_unpackhi_epi8(x2, x3);
        _mm_storeu_si128((__m128i *)(dp + p * NR), _mm_unpacklo_epi16(l01, l23));
        _mm_storeu_si128((__m128i *)(dp + p * NR + 4), _mm_unpackhi_epi16(l01, l23));
        _mm_storeu_si128((__m128i *)(dp + p * NR + 8), _mm_unpacklo_epi16(h01, h23));
        _mm_storeu_si128((__m128i *)(dp + p * NR + 12), _mm_unpackhi_epi16(h01, h23));
      }
    }
    for (; p < kcq; p++) {
      const int64_t pr = k0 + 4 * p, nk = min64(4, klen - 4 * p);
      for (int64_t c = 0; c < NR; c++) {
        uint32_t w = 0;
        if (c < ncols)
          for (int64_t t = 0; t < nk; t++) w |= (uint32_t)(uint8_t)b_at(trans_b, b, ldb, pr + t, jq + c) << (8 * t);
        dp[p * NR + c] = (int32_t)w;
      }
    }
  }
}

/* The packed body holds both layouts: int16 pairs (s16_body_size bytes), then byte quads. */
static void pack_b_avx2(int trans_b, int64_t k, int64_t n, const int8_t *b, int64_t ldb, uint8_t *body) {
  const int64_t bsize = trans_b ? (n - 1) * ldb + k : (k - 1) * ldb + n;
  pack_b_block(trans_b, b, ldb, bsize, 0, k, 0, n, kpairs(k) * NR, (int32_t *)body);
  pack_bq_block(trans_b, b, ldb, bsize, 0, k, 0, n, kquads(k) * NR, (int32_t *)(body + s16_body_size(k, n)));
}

/*
 * Packs rows [i0, i0 + mc) and k [k0, k0 + klen) of op(A) as int16 pairs, rows padded with zeros to a
 * multiple of MR. The kernel reads pair p of tile row r at base[r * rs + p * ps]:
 *   trans_a = 0: row-major, row stride ars (rs = ars, ps = 1) - a straight sign-extending copy.
 *   trans_a = 1: MR-row panels of kcp * MR words (rs = 1, ps = MR) - the transpose has to happen anyway,
 *                and the panel form keeps a micro-panel in few cache lines.
 */
static void pack_a_block(int trans_a, const int8_t *a, int64_t lda, int64_t i0, int64_t mc, int64_t k0,
                         int64_t klen, int64_t ars, int32_t *dst) {
  const int64_t kcp = kpairs(klen), kfull = klen >> 1;
  const int64_t mcp = (mc + MR - 1) / MR * MR;
  if (!trans_a) {
    for (int64_t i = 0; i < mcp; i++) {
      int32_t *d = dst + i * ars;
      if (i >= mc) {
        memset(d, 0, (size_t)kcp * 4);
        continue;
      }
      const int8_t *s = a + (i0 + i) * lda + k0;
      int64_t p = 0;
      for (; p + 8 <= kfull; p += 8)
        _mm256_storeu_si256((__m256i *)(d + p), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(s + 2 * p))));
      for (; p < kcp; p++) d[p] = pair16(s[2 * p], 2 * p + 1 < klen ? s[2 * p + 1] : 0);
    }
    return;
  }
  const int64_t pstride = kcp * MR;
  for (int64_t p = 0; p < kcp; p++) {
    const int8_t *r0 = a + (k0 + 2 * p) * lda + i0;
    const int has_hi = 2 * p + 1 < klen;
    int64_t i = 0;
    if (has_hi) {
      /* 48 rows (8 panels of MR) per step: three 16-row interleaves, then each panel's 6 words go out as
       * one 16 + 8 byte store instead of 6 scalar ones. */
      for (; i + 48 <= mc; i += 48) {
        _Alignas(32) int32_t tmp[48];
        for (int h = 0; h < 3; h++) {
          __m128i x0 = _mm_loadu_si128((const __m128i *)(r0 + i + 16 * h));
          __m128i x1 = _mm_loadu_si128((const __m128i *)(r0 + lda + i + 16 * h));
          _mm256_store_si256((__m256i *)(tmp + 16 * h), _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1)));
          _mm256_store_si256((__m256i *)(tmp + 16 * h + 8), _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(x0, x1)));
        }
        int32_t *d = dst + i / MR * pstride + p * MR;
        for (int g = 0; g < 8; g++) {
          _mm_storeu_si128((__m128i *)(d + g * pstride), _mm_loadu_si128((const __m128i *)(tmp + 6 * g)));
          _mm_storel_epi64((__m128i *)(d + g * pstride + 4), _mm_loadl_epi64((const __m128i *)(tmp + 6 * g + 4)));
        }
      }
      for (; i + 16 <= mc; i += 16) {
        __m128i x0 = _mm_loadu_si128((const __m128i *)(r0 + i));
        __m128i x1 = _mm_loadu_si128((const __m128i *)(r0 + lda + i));
        int32_t tmp[16];
        _mm256_storeu_si256((__m256i *)tmp, _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1)));
        _mm256_storeu_si256((__m256i *)(tmp + 8), _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(x0, x1)));
        for (int t = 0; t < 16; t++) dst[(i + t) / MR * pstride + p * MR + (i + t) % MR] = tmp[t];
      }
    }
    for (; i < mcp; i++) {
      int32_t w = 0;
      if (i < mc) w = pair16(r0[i], has_hi ? r0[lda + i] : 0);
      dst[i / MR * pstride + p * MR + i % MR] = w;
    }
  }
}

/*
 * The byte-quad form of pack_a_block (same word addressing, a word being 4 consecutive k of a row as raw
 * bytes, missing k zero): rows [i0, i0 + mc), k [k0, k0 + klen) of op(A).
 */
static void pack_aq_block(int trans_a, const int8_t *a, int64_t lda, int64_t asize, int64_t i0, int64_t mc,
                          int64_t k0, int64_t klen, int64_t ars, int32_t *dst) {
  const int64_t kcq = kquads(klen), kfull = klen >> 2;
  const int64_t mcp = (mc + MR - 1) / MR * MR;
  if (!trans_a) {
    for (int64_t i = 0; i < mcp; i++) {
      uint8_t *d = (uint8_t *)(dst + i * ars);
      if (i >= mc) {
        memset(d, 0, (size_t)kcq * 4);
        continue;
      }
      const int64_t off = (i0 + i) * lda + k0;
      if (klen <= 16 && off + 16 <= asize) {
        /* short rows (small K): one masked 16-byte over-read inside A's buffer (asize bytes) and one store,
         * which stays inside the row's ars >= 16 words */
        const __m128i keep = _mm_cmpgt_epi8(_mm_set1_epi8((char)klen), _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                                                                      10, 11, 12, 13, 14, 15));
        _mm_storeu_si128((__m128i *)d, _mm_and_si128(_mm_loadu_si128((const __m128i *)(a + off)), keep));
        continue;
      }
      memcpy(d, a + off, (size_t)klen);
      memset(d + klen, 0, (size_t)(kcq * 4 - klen));
    }
    return;
  }
  const int64_t pstride = kcq * MR;
  for (int64_t p = 0; p < kcq; p++) {
    const int8_t *r0 = a + (k0 + 4 * p) * lda + i0;
    int64_t i = 0;
    if (p < kfull) {
      /* 48 rows per step as in pack_a_block */
      for (; i + 48 <= mc; i += 48) {
        _Alignas(32) int32_t tmp[48];
        for (int h = 0; h < 3; h++) {
          __m128i x0 = _mm_loadu_si128((const __m128i *)(r0 + i + 16 * h));
          __m128i x1 = _mm_loadu_si128((const __m128i *)(r0 + lda + i + 16 * h));
          __m128i x2 = _mm_loadu_si128((const __m128i *)(r0 + 2 * lda + i + 16 * h));
          __m128i x3 = _mm_loadu_si128((const __m128i *)(r0 + 3 * lda + i + 16 * h));
          __m128i l01 = _mm_unpacklo_epi8(x0, x1), h01 = _mm_unpackhi_epi8(x0, x1);
          __m128i l23 = _mm_unpacklo_epi8(x2, x3), h23 = _mm_unpackhi_epi8(x2, x3);
          _mm_store_si128((__m128i *)(tmp + 16 * h), _mm_unpacklo_epi16(l01, l23));
          _mm_store_si128((__m128i *)(tmp + 16 * h + 4), _mm_unpackhi_epi16(l01, l23));
          _mm_store_si128((__m128i *)(tmp + 16 * h + 8), _mm_unpacklo_epi16(h01, h23));
          _mm_store_si128((__m128i *)(tmp + 16 * h + 12), _mm_unpackhi_epi16(h01, h23));
        }
        int32_t *d = dst + i / MR * pstride + p * MR;
        for (int g = 0; g < 8; g++) {
          _mm_storeu_si128((__m128i *)(d + g * pstride), _mm_loadu_si128((const __m128i *)(tmp + 6 * g)));
          _mm_storel_epi64((__m128i *)(d + g * pstride + 4), _mm_loadl_epi64((const __m128i *)(tmp + 6 * g + 4)));
        }
      }
      for (; i + 16 <= mc; i += 16) {
        __m128i x0 = _mm_loadu_si128((const __m128i *)(r0 + i));
        __m128i x1 = _mm_loadu_si128((const __m128i *)(r0 + lda + i));
        __m128i x2 = _mm_loadu_si128((const __m128i *)(r0 + 2 * lda + i));
        __m128i x3 = _mm_loadu_si128((const __m128i *)(r0 + 3 * lda + i));
        __m128i l01 = _mm_unpacklo_epi8(x0, x1), h01 = _mm_unpackhi_epi8(x0, x1);
        __m128i l23 = _mm_unpacklo_epi8(x2, x3), h23 = _mm_unpackhi_epi8(x2, x3);
        int32_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, _mm_unpacklo_epi16(l01, l23));
        _mm_storeu_si128((__m128i *)(tmp + 4), _mm_unpackhi_epi16(l01, l23));
        _mm_storeu_si128((__m128i *)(tmp + 8), _mm_unpacklo_epi16(h01, h23));
        _mm_storeu_si128((__m128i *)(tmp + 12), _mm_unpackhi_epi16(h01, h23));
        for (int t = 0; t < 16; t++) dst[(i + t) / MR * pstride + p * MR + (i + t) % MR] = tmp[t];
      }
    }
    const int64_t nk = min64(4, klen - 4 * p);
    for (; i < mcp; i++) {
      uint32_t w = 0;
      if (i < mc)
        for (int64_t t = 0; t < nk; t++) w |= (uint32_t)(uint8_t)r0[t * lda + i] << (8 * t);
      dst[i / MR * pstride + p * MR + i % MR] = (int32_t)w;
    }
  }
}

/* 1 when every element of the m x k op(A) is >= 0, i.e. has a clear sign bit. */
static int a_nonneg(int trans_a, const int8_t *a, int64_t lda, int64_t m, int64_t k) {
  int64_t rows = trans_a ? k : m, cols = trans_a ? m : k;
  if (lda == cols) cols *= rows, rows = 1; /* contiguous: one long row (short rows would go byte-wise) */
  for (int64_t r = 0; r < rows; r++) {
    const int8_t *s = a + r * lda;
    __m256i acc = _mm256_setzero_si256();
    int64_t j = 0;
    for (; j + 128 <= cols; j += 128) {
      __m256i x = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(s + j)),
                                  _mm256_loadu_si256((const __m256i *)(s + j + 32)));
      __m256i y = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(s + j + 64)),
                                  _mm256_loadu_si256((const __m256i *)(s + j + 96)));
      acc = _mm256_or_si256(acc, _mm256_or_si256(x, y));
    }
    for (; j + 32 <= cols; j += 32) acc = _mm256_or_si256(acc, _mm256_loadu_si256((const __m256i *)(s + j)));
    int8_t t = 0;
    for (; j < cols; j++) t |= s[j];
    if (_mm256_movemask_epi8(acc) | (t < 0)) return 0;
  }
  return 1;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Micro-kernel and tile output                                                                          */
/* ---------------------------------------------------------------------------------------------------- */

/* Where a tile goes. ci: int32 sums (C itself, or a scratch holding earlier K blocks); acc: add ci's old
 * values first; ep: this is the last K block and the fp32 epilogue writes cf (ci is then only read). */
typedef struct tile_out {
  int32_t *ci;
  int64_t ldci;
  int acc;
  const int8k_epilogue *ep;
  const float *row_scale, *col_scale, *bias; /* offset to the tile's first row / column */
  float *cf;
  int64_t ldcf;
} tile_out;

/* One 8-column vector of sums for row r, columns [c, c + 8). Separate mul/add keep the reference order. */
static inline void store_vec(const tile_out *o, __m256i s, int64_t r, int64_t c) {
  if (o->acc) s = _mm256_add_epi32(s, _mm256_loadu_si256((const __m256i *)(o->ci + r * o->ldci + c)));
  if (!o->ep) {
    _mm256_storeu_si256((__m256i *)(o->ci + r * o->ldci + c), s);
    return;
  }
  __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(o->ep->alpha));
  if (o->row_scale) v = _mm256_mul_ps(v, _mm256_set1_ps(o->row_scale[r]));
  if (o->col_scale) v = _mm256_mul_ps(v, _mm256_loadu_ps(o->col_scale + c));
  if (o->bias) v = _mm256_add_ps(v, _mm256_loadu_ps(o->bias + c));
  float *d = o->cf + r * o->ldcf + c;
  if (o->ep->beta != 0.0f) v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_set1_ps(o->ep->beta), _mm256_loadu_ps(d)));
  _mm256_storeu_ps(d, v);
}

/* The first nv (1..7) lanes of v to d: 4/2/1-lane stores (vmaskmovps stores are slow on Zen). */
static inline void store_tail_ps(float *d, __m256 v, int64_t nv) {
  __m128 x = _mm256_castps256_ps128(v);
  if (nv >= 4) {
    _mm_storeu_ps(d, x);
    x = _mm256_extractf128_ps(v, 1);
    d += 4, nv -= 4;
  }
  if (nv >= 2) {
    _mm_storel_pi((__m64 *)d, x);
    x = _mm_movehl_ps(x, x);
    d += 2, nv -= 2;
  }
  if (nv) _mm_store_ss(d, x);
}

/* store_vec for the first nv (1..7) columns of [c, c + 8): masked loads read no memory in the masked-out
 * lanes, and the tail store writes only nv lanes, so a column tail needs no element loop. */
static inline void store_vec_mask(const tile_out *o, __m256i s, int64_t r, int64_t c, int64_t nv) {
  const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nv), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  if (o->acc) s = _mm256_add_epi32(s, _mm256_maskload_epi32((const int *)(o->ci + r * o->ldci + c), m));
  if (!o->ep) {
    store_tail_ps((float *)(o->ci + r * o->ldci + c), _mm256_castsi256_ps(s), nv);
    return;
  }
  __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(o->ep->alpha));
  if (o->row_scale) v = _mm256_mul_ps(v, _mm256_set1_ps(o->row_scale[r]));
  if (o->col_scale) v = _mm256_mul_ps(v, _mm256_maskload_ps(o->col_scale + c, m));
  if (o->bias) v = _mm256_add_ps(v, _mm256_maskload_ps(o->bias + c, m));
  float *d = o->cf + r * o->ldcf + c;
  if (o->ep->beta != 0.0f)
    v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_set1_ps(o->ep->beta), _mm256_maskload_ps(d, m)));
  store_tail_ps(d, v, nv);
}

/* One k-pair step of the 6 x 16 tile: B vectors in ymm12/13, broadcast in ymm14, product in ymm15. */
#define K_ROW(addr, c0, c1)                 \
  "vpbroadcastd " addr ", %%ymm14\n\t"      \
  "vpmaddwd %%ymm12, %%ymm14, %%ymm15\n\t"  \
  "vpaddd %%ymm15, %%" c0 ", %%" c0 "\n\t"  \
  "vpmaddwd %%ymm13, %%ymm14, %%ymm14\n\t"  \
  "vpaddd %%ymm14, %%" c1 ", %%" c1 "\n\t"
#define K_STEP(boff, aoff)                                   \
  "vmovdqu " boff "(%[b]), %%ymm12\n\t"                       \
  "vmovdqu " boff "+32(%[b]), %%ymm13\n\t"                    \
  K_ROW(aoff "(%[a])", "ymm0", "ymm1")                        \
  K_ROW(aoff "(%[a],%[rs4])", "ymm2", "ymm3")                 \
  K_ROW(aoff "(%[a],%[rs4],2)", "ymm4", "ymm5")               \
  K_ROW(aoff "(%[a],%[rs12])", "ymm6", "ymm7")                \
  K_ROW(aoff "(%[a],%[rs4],4)", "ymm8", "ymm9")               \
  K_ROW(aoff "(%[a],%[rs20])", "ymm10", "ymm11")

/*
 * t (6 x 16 int32, 32-byte aligned) = sum over kp k-pairs of A pairs (tile row r, pair p at a[r*rs + p*ps])
 * times the B micro-panel (16 words per pair). Written in assembly because the tile needs all 16 ymm
 * registers (12 accumulators, 2 B vectors, a broadcast and a product) and compilers spill one of them
 * inside the loop. vpbroadcastd from memory is a pure load, so the vector ports run only vpmaddwd/vpaddd;
 * on Zen 3 those share three integer pipes, which bounds a step at 8 cycles (unrolling measured no gain).
 * kp >= 1 (the loop tests at its end).
 */
static void kernel_6x16(int64_t kp, const int32_t *a, int64_t rs, int64_t ps, const int32_t *b, int32_t *t) {
  const int64_t rs4 = rs * 4, rs12 = rs * 12, rs20 = rs * 20, ps4 = ps * 4;
  int64_t steps = kp;
  __asm__ volatile(
      "vpxor %%xmm0, %%xmm0, %%xmm0\n\t"
      "vpxor %%xmm1, %%xmm1, %%xmm1\n\t"
      "vpxor %%xmm2, %%xmm2, %%xmm2\n\t"
      "vpxor %%xmm3, %%xmm3, %%xmm3\n\t"
      "vpxor %%xmm4, %%xmm4, %%xmm4\n\t"
      "vpxor %%xmm5, %%xmm5, %%xmm5\n\t"
      "vpxor %%xmm6, %%xmm6, %%xmm6\n\t"
      "vpxor %%xmm7, %%xmm7, %%xmm7\n\t"
      "vpxor %%xmm8, %%xmm8, %%xmm8\n\t"
      "vpxor %%xmm9, %%xmm9, %%xmm9\n\t"
      "vpxor %%xmm10, %%xmm10, %%xmm10\n\t"
      "vpxor %%xmm11, %%xmm11, %%xmm11\n\t"
      ".p2align 5\n"
      "1:\n\t"
      K_STEP("0", "0")
      "add %[ps4], %[a]\n\t"
      "add $64, %[b]\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "vmovdqa %%ymm0, 0(%[t])\n\t"
      "vmovdqa %%ymm1, 32(%[t])\n\t"
      "vmovdqa %%ymm2, 64(%[t])\n\t"
      "vmovdqa %%ymm3, 96(%[t])\n\t"
      "vmovdqa %%ymm4, 128(%[t])\n\t"
      "vmovdqa %%ymm5, 160(%[t])\n\t"
      "vmovdqa %%ymm6, 192(%[t])\n\t"
      "vmovdqa %%ymm7, 224(%[t])\n\t"
      "vmovdqa %%ymm8, 256(%[t])\n\t"
      "vmovdqa %%ymm9, 288(%[t])\n\t"
      "vmovdqa %%ymm10, 320(%[t])\n\t"
      "vmovdqa %%ymm11, 352(%[t])\n\t"
      : [a] "+r"(a), [b] "+r"(b), [n] "+r"(steps)
      : [rs4] "r"(rs4), [rs12] "r"(rs12), [rs20] "r"(rs20), [ps4] "r"(ps4), [t] "r"(t)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
        "xmm12", "xmm13", "xmm14", "xmm15", "memory", "cc");
}
#undef K_STEP
#undef K_ROW

/*
 * The byte-quad kernel for A >= 0: t = sum over kq k-quads of A quads (unsigned bytes in [0, 127], tile row r,
 * quad p at word a[r*rs + p*ps]) times the B quad micro-panel (16 words per quad). vpmaddubsw(A, B) adds two
 * u8 x s8 products into int16; with A <= 127 that is at most 2 * 127 * 128 = 32512 in magnitude, so it never
 * saturates and is exact. vpmaddwd with int16 ones then adds the two pairs of each quad into int32.
 * Registers: 12 accumulators, B columns 0-7 in ymm12 (columns 8-15 are a memory operand), ones in ymm13,
 * broadcast ymm14, product ymm15. kq >= 1.
 */
#define Q_ROW(addr, c0, c1)                     \
  "vpbroadcastd " addr ", %%ymm14\n\t"          \
  "vpmaddubsw %%ymm12, %%ymm14, %%ymm15\n\t"    \
  "vpmaddwd %%ymm13, %%ymm15, %%ymm15\n\t"      \
  "vpaddd %%ymm15, %%" c0 ", %%" c0 "\n\t"      \
  "vpmaddubsw 32(%[b]), %%ymm14, %%ymm14\n\t"   \
  "vpmaddwd %%ymm13, %%ymm14, %%ymm14\n\t"      \
  "vpaddd %%ymm14, %%" c1 ", %%" c1 "\n\t"
#define Q_STEP                                  \
  "vmovdqu (%[b]), %%ymm12\n\t"                 \
  Q_ROW("(%[a])", "ymm0", "ymm1")               \
  Q_ROW("(%[a],%[rs4])", "ymm2", "ymm3")        \
  Q_ROW("(%[a],%[rs4],2)", "ymm4", "ymm5")      \
  Q_ROW("(%[a],%[rs12])", "ymm6", "ymm7")       \
  Q_ROW("(%[a],%[rs4],4)", "ymm8", "ymm9")      \
  Q_ROW("(%[a],%[rs20])", "ymm10", "ymm11")

static void kernel_q_6x16(int64_t kq, const int32_t *a, int64_t rs, int64_t ps, const int32_t *b, int32_t *t) {
  const int64_t rs4 = rs * 4, rs12 = rs * 12, rs20 = rs * 20, ps4 = ps * 4;
  int64_t steps = kq;
  __asm__ volatile(
      "vpxor %%xmm0, %%xmm0, %%xmm0\n\t"
      "vpxor %%xmm1, %%xmm1, %%xmm1\n\t"
      "vpxor %%xmm2, %%xmm2, %%xmm2\n\t"
      "vpxor %%xmm3, %%xmm3, %%xmm3\n\t"
      "vpxor %%xmm4, %%xmm4, %%xmm4\n\t"
      "vpxor %%xmm5, %%xmm5, %%xmm5\n\t"
      "vpxor %%xmm6, %%xmm6, %%xmm6\n\t"
      "vpxor %%xmm7, %%xmm7, %%xmm7\n\t"
      "vpxor %%xmm8, %%xmm8, %%xmm8\n\t"
      "vpxor %%xmm9, %%xmm9, %%xmm9\n\t"
      "vpxor %%xmm10, %%xmm10, %%xmm10\n\t"
      "vpxor %%xmm11, %%xmm11, %%xmm11\n\t"
      "vpcmpeqw %%ymm13, %%ymm13, %%ymm13\n\t"
      "vpsrlw $15, %%ymm13, %%ymm13\n\t"
      ".p2align 5\n"
      "1:\n\t"
      Q_STEP
      "add %[ps4], %[a]\n\t"
      "add $64, %[b]\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "vmovdqa %%ymm0, 0(%[t])\n\t"
      "vmovdqa %%ymm1, 32(%[t])\n\t"
      "vmovdqa %%ymm2, 64(%[t])\n\t"
      "vmovdqa %%ymm3, 96(%[t])\n\t"
      "vmovdqa %%ymm4, 128(%[t])\n\t"
      "vmovdqa %%ymm5, 160(%[t])\n\t"
      "vmovdqa %%ymm6, 192(%[t])\n\t"
      "vmovdqa %%ymm7, 224(%[t])\n\t"
      "vmovdqa %%ymm8, 256(%[t])\n\t"
      "vmovdqa %%ymm9, 288(%[t])\n\t"
      "vmovdqa %%ymm10, 320(%[t])\n\t"
      "vmovdqa %%ymm11, 352(%[t])\n\t"
      : [a] "+r"(a), [b] "+r"(b), [n] "+r"(steps)
      : [rs4] "r"(rs4), [rs12] "r"(rs12), [rs20] "r"(rs20), [ps4] "r"(ps4), [t] "r"(t)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
        "xmm12", "xmm13", "xmm14", "xmm15", "memory", "cc");
}
#undef Q_STEP
#undef Q_ROW

/* Runs the kernel and writes the tile: full-width rows with vectors, a column tail element by element. */
static void tile(int quads, int64_t kp, const int32_t *a, int64_t rs, int64_t ps, const int32_t *b,
                 const tile_out *o, int64_t mr, int64_t nr) {
  _Alignas(32) int32_t t[MR * NR];
  if (quads)
    kernel_q_6x16(kp, a, rs, ps, b, t);
  else
    kernel_6x16(kp, a, rs, ps, b, t);
  if (nr == NR) {
    for (int64_t r = 0; r < mr; r++) {
      store_vec(o, _mm256_load_si256((const __m256i *)(t + r * NR)), r, 0);
      store_vec(o, _mm256_load_si256((const __m256i *)(t + r * NR + 8)), r, 8);
    }
    return;
  }
  for (int64_t r = 0; r < mr; r++) {
    if (nr >= 8) {
      store_vec(o, _mm256_load_si256((const __m256i *)(t + r * NR)), r, 0);
      if (nr > 8) store_vec_mask(o, _mm256_load_si256((const __m256i *)(t + r * NR + 8)), r, 8, nr - 8);
    } else {
      store_vec_mask(o, _mm256_load_si256((const __m256i *)(t + r * NR)), r, 0, nr);
    }
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* Driver                                                                                                */
/* ---------------------------------------------------------------------------------------------------- */

static void *alloc64(size_t bytes) { return int8k_scratch_alloc(bytes); }

static int gemm_s8s8_avx2(const int8k_gemm_call *call) {
  const int64_t m = call->m, n = call->n, k = call->k;
  /* With op(A) in [0, 127] the byte-quad path (u8 x s8 vpmaddubsw, exact there) does 4 k per word instead
   * of 2; a word of packed A or B is then a k-quad instead of a k-pair, and every size below holds in
   * words for both. */
  const int quads = a_nonneg(call->trans_a, call->a, call->lda, m, k);
  const int64_t unit = quads ? 4 : 2;
  const int64_t kp_total = quads ? kquads(k) : kpairs(k);
  const int64_t nkb = (kp_total + KC_MAX - 1) / KC_MAX;
  /* Even K blocks: a short last block would waste a pass over C. */
  const int64_t kcp_max = (kp_total + nkb - 1) / nkb;
  const int64_t mc_max = min64(MC_MAX, (m + MR - 1) / MR * MR);
  const int64_t nc_max = call->packed_b ? n : min64(NC_MAX, n);
  /* Row stride of packed A: a multiple of 16 words (64 bytes), so each row starts on a cache line. */
  const int64_t ars = (kcp_max + 15) & ~(int64_t)15;

  int32_t *abuf = (int32_t *)alloc64((size_t)(mc_max * (call->trans_a ? kcp_max : ars)) * 4);
  int32_t *bbuf = NULL, *cbuf = NULL;
  if (!call->packed_b) bbuf = (int32_t *)alloc64((size_t)((nc_max + NR - 1) / NR * kcp_max * NR) * 4);
  /* With an epilogue and several K blocks the int32 sums of earlier blocks wait in a scratch. */
  const int need_cbuf = call->ep && nkb > 1;
  if (need_cbuf) cbuf = (int32_t *)alloc64((size_t)(m * nc_max) * 4);
  if (!abuf || (!call->packed_b && !bbuf) || (need_cbuf && !cbuf)) {
    int8k_scratch_free(abuf), int8k_scratch_free(bbuf), int8k_scratch_free(cbuf);
    return INT8K_ERR_NOMEM;
  }

  const int8k_epilogue *ep = call->ep;
  const int64_t asize = call->trans_a ? (k - 1) * call->lda + m : (m - 1) * call->lda + k; /* bytes of A */
  for (int64_t jc = 0; jc < n; jc += nc_max) {
    const int64_t nc = min64(nc_max, n - jc);
    for (int64_t kb = 0; kb < nkb; kb++) {
      const int64_t p0 = kb * kcp_max;
      if (p0 >= kp_total) break;
      const int64_t kcp = min64(kcp_max, kp_total - p0);
      const int64_t k0 = unit * p0, klen = min64(unit * kcp, k - k0);
      const int last = p0 + kcp >= kp_total;
      const int32_t *bblk;
      int64_t bpanel;
      if (call->packed_b) {
        bpanel = kp_total * NR;
        bblk = (const int32_t *)(call->packed_b + (quads ? s16_body_size(k, n) : 0)) + (jc / NR) * bpanel +
               p0 * NR;
      } else {
        bpanel = kcp * NR;
        const int64_t bsize = call->trans_b ? (n - 1) * call->ldb + k : (k - 1) * call->ldb + n;
        if (quads)
          pack_bq_block(call->trans_b, call->b, call->ldb, bsize, k0, klen, jc, nc, bpanel, bbuf);
        else
          pack_b_block(call->trans_b, call->b, call->ldb, bsize, k0, klen, jc, nc, bpanel, bbuf);
        bblk = bbuf;
      }
      for (int64_t ic = 0; ic < m; ic += mc_max) {
        const int64_t mc = min64(mc_max, m - ic);
        if (quads)
          pack_aq_block(call->trans_a, call->a, call->lda, asize, ic, mc, k0, klen, ars, abuf);
        else
          pack_a_block(call->trans_a, call->a, call->lda, ic, mc, k0, klen, ars, abuf);
        /* Tile order: normally a B micro-panel stays in L1 while the A block streams past it (jr outer).
         * When the whole B block fits in L1 anyway (small n and K block) ir goes outer: C is then written
         * row after row instead of in 16-column strips, and small-K calls are bound by those writes. */
        const int ir_outer = (nc + NR - 1) / NR * kcp * NR * 4 <= 24 * 1024;
        const int64_t nir = (mc + MR - 1) / MR, njr = (nc + NR - 1) / NR;
        int64_t ir = 0, jr = 0;
        for (int64_t x = 0; x < nir * njr; x++) {
          if (x > 0) {
            if (ir_outer) {
              jr += NR;
              if (jr >= nc) jr = 0, ir += MR;
            } else {
              ir += MR;
              if (ir >= mc) ir = 0, jr += NR;
            }
          }
          const int64_t nr = min64(NR, nc - jr);
          const int32_t *bp = bblk + (jr / NR) * bpanel;
          {
            const int64_t mr = min64(MR, mc - ir), i = ic + ir, j = jc + jr;
            tile_out o = {0};
            o.acc = kb > 0;
            o.ep = last ? ep : NULL;
            if (!ep) {
              o.ci = call->c_s32 + i * call->ldc + j;
              o.ldci = call->ldc;
            } else {
              o.ci = cbuf ? cbuf + i * nc_max + jr : NULL;
              o.ldci = nc_max;
            }
            if (o.ep) {
              o.row_scale = ep->row_scale ? ep->row_scale + i : NULL;
              o.col_scale = ep->col_scale ? ep->col_scale + j : NULL;
              o.bias = ep->bias ? ep->bias + j : NULL;
              o.cf = call->c_f32 + i * call->ldc + j;
              o.ldcf = call->ldc;
            }
            if (call->trans_a)
              tile(quads, kcp, abuf + ir * kcp, 1, MR, bp, &o, mr, nr);
            else
              tile(quads, kcp, abuf + ir * ars, ars, 1, bp, &o, mr, nr);
          }
        }
      }
    }
  }
  int8k_scratch_free(abuf), int8k_scratch_free(bbuf), int8k_scratch_free(cbuf);
  return INT8K_OK;
}

const int8k_gemm_ops int8k_gemm_ops_avx2 = {INT8K_ISA_AVX2, packed_b_body_size_avx2, pack_b_avx2, gemm_s8s8_avx2,
                                            int8k_sgemm_avx2};
