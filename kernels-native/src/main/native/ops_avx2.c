/*
 * ops_avx2.c - the AVX2 path of the non-GEMM ops.
 *
 * Hand-vectorized: group_absmax, absmax, quantize_groups (both roundings, with the counter-based RNG
 * evaluated 8 lanes at a time), quantize_transposed(_both), dequantize, clip_cosine_sums, relu,
 * relu_backward, and the direct stem convolution (conv_direct_avx2.h). Everything
 * else is the reference code of ops_generic.h compiled with the AVX2 flags (im2col is already a handful of
 * memcpy/memset calls per output row; col2im and channel_fraction_above_std have independent inner loops
 * the compiler vectorizes without reordering any sum; maxpool and its backward are scatter/compare bound).
 *
 * Every vector routine must be bit-identical to its generic counterpart, so each one evaluates the spec's
 * expression per element with the same IEEE operations; the notes below say why each substitution is exact.
 */
#include <immintrin.h>

#include "ops_generic.h"
#include "ops_bn_pool_avx2.h"
#include "stem_backward_avx2.h"
#include "conv_direct_avx2.h"

/* ---------------------------------------------------------------------------------------------------- */
/* absmax                                                                                                 */
/* ---------------------------------------------------------------------------------------------------- */

/* For non-negative floats the order of the bit patterns read as integers is the order of the values, +Inf
 * included, and every NaN pattern (sign cleared) is above +Inf. So an integer max over |x|'s bits is the
 * float max when there is no NaN and some NaN otherwise, which is the NaN propagation the spec asks for
 * (vmaxps would instead drop a NaN depending on operand order). */
static inline __m256i avx2_abs_bits(__m256 x) {
  return _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7fffffff));
}

static inline uint32_t scalar_abs_bits(const float *p) {
  uint32_t b;
  memcpy(&b, p, sizeof b);
  return b & 0x7fffffffu;
}

static inline float float_of_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

static inline uint32_t avx2_hmax_epi32(__m256i v) {
  __m128i m = _mm_max_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_max_epi32(m, _mm_shuffle_epi32(m, 0x4E));
  m = _mm_max_epi32(m, _mm_shuffle_epi32(m, 0xB1));
  return (uint32_t)_mm_cvtsi128_si32(m);
}

/* Bits of max |p[k]| over k < n (0 for n == 0). */
static uint32_t avx2_absmax_bits(const float *p, int64_t n) {
  __m256i m0 = _mm256_setzero_si256(), m1 = m0, m2 = m0, m3 = m0;
  int64_t k = 0;
  for (; k + 32 <= n; k += 32) {
    m0 = _mm256_max_epi32(m0, avx2_abs_bits(_mm256_loadu_ps(p + k)));
    m1 = _mm256_max_epi32(m1, avx2_abs_bits(_mm256_loadu_ps(p + k + 8)));
    m2 = _mm256_max_epi32(m2, avx2_abs_bits(_mm256_loadu_ps(p + k + 16)));
    m3 = _mm256_max_epi32(m3, avx2_abs_bits(_mm256_loadu_ps(p + k + 24)));
  }
  for (; k + 8 <= n; k += 8) m0 = _mm256_max_epi32(m0, avx2_abs_bits(_mm256_loadu_ps(p + k)));
  m0 = _mm256_max_epi32(_mm256_max_epi32(m0, m1), _mm256_max_epi32(m2, m3));
  uint32_t r = avx2_hmax_epi32(m0);
  for (; k < n; k++) {
    uint32_t b = scalar_abs_bits(p + k);
    r = b > r ? b : r;
  }
  return r;
}

static void avx2_group_absmax(const int8k_quant_desc *d, const float *src, float *amax) {
  int64_t groups = ops_group_count(d);
  for (int64_t g = 0; g < groups; g++) {
    int64_t start, len;
    ops_group_range(d, g, &start, &len);
    amax[g] = float_of_bits(avx2_absmax_bits(src + start, len));
  }
}

static void avx2_absmax(int64_t rows, int64_t cols, const float *src, int axis, float *out) {
  if (axis == INT8K_AXIS_TENSOR) {
    out[0] = float_of_bits(avx2_absmax_bits(src, rows * cols));
  } else if (axis == INT8K_AXIS_ROW) {
    for (int64_t r = 0; r < rows; r++) out[r] = float_of_bits(avx2_absmax_bits(src + r * cols, cols));
  } else {
    /* out holds the running maxima as bit patterns (0 == +0.0f) until the last row is in. */
    memset(out, 0, (size_t)cols * sizeof(float));
    for (int64_t r = 0; r < rows; r++) {
      const float *x = src + r * cols;
      int64_t c = 0;
      for (; c + 8 <= cols; c += 8) {
        __m256i m = _mm256_loadu_si256((const __m256i *)(out + c));
        m = _mm256_max_epi32(m, avx2_abs_bits(_mm256_loadu_ps(x + c)));
        _mm256_storeu_si256((__m256i *)(out + c), m);
      }
      for (; c < cols; c++) {
        uint32_t b = scalar_abs_bits(x + c), m;
        memcpy(&m, out + c, sizeof m);
        if (b > m) memcpy(out + c, &b, sizeof b);
      }
    }
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* quantize / dequantize                                                                                  */
/* ---------------------------------------------------------------------------------------------------- */

/* The spec's clamp x > s ? s : (x < -s ? -s : x). vmaxps/vminps return their second operand when either is
 * NaN or they compare equal, so with x second a NaN passes through and ties give x (same value as s). */
static inline __m256 avx2_clamp(__m256 x, __m256 s, __m256 ns) {
  return _mm256_min_ps(s, _mm256_max_ps(ns, x));
}

/* Java's (int) r then clamp to [-qmax, qmax], for r already integral: NaN becomes 0 (Java's cast) before
 * the clamp, which then runs on ordered values; the truncating convert is exact on integral values. */
static inline __m256i avx2_code_of(__m256 r, __m256 nq, __m256 q) {
  r = _mm256_and_ps(r, _mm256_cmp_ps(r, r, _CMP_ORD_Q));
  r = _mm256_min_ps(_mm256_max_ps(r, nq), q);
  return _mm256_cvttps_epi32(r);
}

static inline __m256i avx2_fmix32(__m256i h) {
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32((int)0x85EBCA6Bu));
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32((int)0xC2B2AE35u));
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
  return h;
}

/* k1 ^ (uint32)(e >> 32) for the 8 counters e0 .. e0+7: one value unless the low word wraps inside them. */
static inline __m256i avx2_sr_hi(uint32_t k1, int64_t e0) {
  if ((uint32_t)e0 <= 0xFFFFFFF8u) return _mm256_set1_epi32((int)(k1 ^ (uint32_t)((uint64_t)e0 >> 32)));
  uint32_t t[8];
  for (int l = 0; l < 8; l++) t[l] = k1 ^ (uint32_t)((uint64_t)(e0 + l) >> 32);
  return _mm256_loadu_si256((const __m256i *)t);
}

/* int8k_sr_uniform for the 8 counters e0 .. e0+7. (h >> 8) < 2^24 converts exactly through the signed
 * convert, and the scaling by 2^-24 is exact, as in the scalar code. */
static inline __m256 avx2_sr_uniform(uint32_t k0, uint32_t k1, int64_t e0) {
  __m256i lo = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)e0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  __m256i h = avx2_fmix32(_mm256_xor_si256(lo, _mm256_set1_epi32((int)k0)));
  h = avx2_fmix32(_mm256_xor_si256(h, avx2_sr_hi(k1, e0)));
  return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(h, 8)), _mm256_set1_ps(0x1p-24f));
}

typedef struct avx2_qparams {
  __m256 s, ns, inv, q, nq;
  int stochastic;
  uint32_t k0, k1;
} avx2_qparams;

static inline __m256i avx2_quant8(const avx2_qparams *p, const float *x, int64_t e0) {
  __m256 y = _mm256_mul_ps(avx2_clamp(_mm256_loadu_ps(x), p->s, p->ns), p->inv);
  __m256 r;
  if (p->stochastic)
    r = _mm256_round_ps(_mm256_add_ps(y, avx2_sr_uniform(p->k0, p->k1, e0)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  else
    r = _mm256_round_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  return avx2_code_of(r, p->nq, p->q);
}

/* Codes are within [-127, 127], so the saturating packs are plain narrowing. */
static inline void avx2_store_codes32(int8_t *p, __m256i a, __m256i b, __m256i c, __m256i d) {
  __m256i v = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
  /* the packs work per 128-bit half; put the 4-code dwords back in element order */
  v = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256((__m256i *)p, v);
}

static inline void avx2_store_codes8(int8_t *p, __m256i a) {
  __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  _mm_storel_epi64((__m128i *)p, _mm_packs_epi16(w, w));
}

static void avx2_quantize_groups(const int8k_quant_desc *d, const float *src, const float *s, int8_t *dst) {
  int qmax = ops_qmax(d->bits);
  int stochastic = d->rounding == INT8K_ROUND_STOCHASTIC;
  uint64_t key = stochastic ? int8k_sr_key(d->seed, d->stream) : 0;
  avx2_qparams p;
  p.q = _mm256_set1_ps((float)qmax);
  p.nq = _mm256_set1_ps((float)-qmax);
  p.stochastic = stochastic;
  p.k0 = (uint32_t)key;
  p.k1 = (uint32_t)(key >> 32);
  int64_t groups = ops_group_count(d);
  for (int64_t g = 0; g < groups; g++) {
    int64_t start, len;
    ops_group_range(d, g, &start, &len);
    float sg = s[g];
    if (sg == 0.0f) {
      memset(dst + start, 0, (size_t)len);
      continue;
    }
    float inv = (float)qmax / sg;
    p.s = _mm256_set1_ps(sg);
    p.ns = _mm256_set1_ps(-sg);
    p.inv = _mm256_set1_ps(inv);
    const float *x = src + start;
    int8_t *o = dst + start;
    int64_t k = 0;
    for (; k + 32 <= len; k += 32) {
      int64_t e = start + k;
      avx2_store_codes32(o + k, avx2_quant8(&p, x + k, e), avx2_quant8(&p, x + k + 8, e + 8),
                         avx2_quant8(&p, x + k + 16, e + 16), avx2_quant8(&p, x + k + 24, e + 24));
    }
    for (; k + 8 <= len; k += 8) avx2_store_codes8(o + k, avx2_quant8(&p, x + k, start + k));
    for (; k < len; k++) o[k] = ops_quant_one(x[k], sg, inv, qmax, stochastic, key, start + k);
  }
}

/* ---- quantize_transposed ----------------------------------------------------------------------------
 * src_t (cols x rows) is read as it lies, 16 of its rows (16 columns c of the matrix) at a time. Each such
 * row's elements r0 .. r0+31 are four vectors of 8 matrix rows: every lane carries its own row's clip value
 * and draw index r * cols + c (counters cols apart), so the codes come out in src_t's layout, which is
 * dst_t's, and each 16 x 32 block of codes is transposed in registers (two 16 x 16 byte transposes per
 * ymm) into an L1 tile whose rows go to dst a whole 64-byte line at a time. The old way, transposing the
 * fp32 values through a buffer element by element, cost more than the quantization itself. */

/* One 8-lane group of matrix rows r .. r+7: their clip values and inverse scales (the spec's (float)qmax
 * / s, a correctly rounded division in both forms), which lanes have s == 0 (codes 0), the lanes that
 * exist (r + l < rows), and r * cols as draw counters. */
typedef struct avx2_row_lanes {
  __m256 s, ns, inv;
  __m256i zero_s, valid, base;
} avx2_row_lanes;

static inline avx2_row_lanes avx2_row_lanes_at(const int8k_quant_desc *d, const float *s, int64_t r) {
  avx2_row_lanes L;
  __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)r), lane);
  L.valid = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)d->rows), idx);
  L.s = d->granularity == INT8K_PER_ROW ? _mm256_maskload_ps(s + r, L.valid) : _mm256_set1_ps(s[0]);
  L.ns = _mm256_sub_ps(_mm256_setzero_ps(), L.s);
  L.inv = _mm256_div_ps(_mm256_set1_ps((float)ops_qmax(d->bits)), L.s);
  L.zero_s = _mm256_castps_si256(_mm256_cmp_ps(L.s, _mm256_setzero_ps(), _CMP_EQ_OQ));
  /* rows * cols < 2^31, so r * cols + c fits the 32-bit lanes (the draw's high word is 0) */
  L.base = _mm256_mullo_epi32(idx, _mm256_set1_epi32((int)d->cols));
  return L;
}

/* In each 128-bit lane, the 16 x 16 bytes whose row i is a[i] become their transpose (a[j] = column j):
 * four rounds of unpacks, each interleaving pairs of rows into units twice as wide (bytes, words, dwords,
 * qwords). The comments give what each array holds, per lane. */
static inline void avx2_transpose_16x16_epi8(__m256i a[16]) {
  __m256i b[16], c[16], d[16];
  for (int k = 0; k < 8; k++) { /* b[k]: rows 2k, 2k+1, columns 0-7; b[k+8]: columns 8-15 */
    b[k] = _mm256_unpacklo_epi8(a[2 * k], a[2 * k + 1]);
    b[k + 8] = _mm256_unpackhi_epi8(a[2 * k], a[2 * k + 1]);
  }
  for (int h = 0; h < 2; h++) /* c[4q + m]: rows 4m .. 4m+3, columns 4q .. 4q+3 */
    for (int m = 0; m < 4; m++) {
      c[8 * h + m] = _mm256_unpacklo_epi16(b[8 * h + 2 * m], b[8 * h + 2 * m + 1]);
      c[8 * h + 4 + m] = _mm256_unpackhi_epi16(b[8 * h + 2 * m], b[8 * h + 2 * m + 1]);
    }
  for (int q = 0; q < 4; q++) /* d[2j + p]: rows 8p .. 8p+7, columns 2j, 2j+1 */
    for (int p = 0; p < 2; p++) {
      d[4 * q + p] = _mm256_unpacklo_epi32(c[4 * q + 2 * p], c[4 * q + 2 * p + 1]);
      d[4 * q + 2 + p] = _mm256_unpackhi_epi32(c[4 * q + 2 * p], c[4 * q + 2 * p + 1]);
    }
  for (int j = 0; j < 8; j++) {
    a[2 * j] = _mm256_unpacklo_epi64(d[2 * j], d[2 * j + 1]);
    a[2 * j + 1] = _mm256_unpackhi_epi64(d[2 * j], d[2 * j + 1]);
  }
}

/* The last cols % 16 columns, element by element as the generic kernel does. */
static void quantize_transposed_last_columns(const int8k_quant_desc *d, const float *src_t, const float *s,
                                            int8_t *dst, int8_t *dst_t, int64_t c0, int *nonfinite) {
  int qmax = ops_qmax(d->bits);
  int stochastic = d->rounding == INT8K_ROUND_STOCHASTIC;
  uint64_t key = stochastic ? int8k_sr_key(d->seed, d->stream) : 0;
  int64_t rows = d->rows, cols = d->cols;
  for (int64_t c = c0; c < cols; c++)
    for (int64_t r = 0; r < rows; r++) {
      float x = src_t[c * rows + r];
      if (!isfinite(x)) *nonfinite = 1;
      float sg = s[d->granularity == INT8K_PER_ROW ? r : 0];
      int8_t q = sg == 0.0f ? 0 : ops_quant_one(x, sg, (float)qmax / sg, qmax, stochastic, key, r * cols + c);
      dst[r * cols + c] = q;
      if (dst_t != NULL) dst_t[c * rows + r] = q;
    }
}

enum { AVX2_QT_ROWS = 32, AVX2_QT_WIDE = 64 }; /* matrix rows per chunk, columns per dst line */

/* Columns c .. c+15 of the chunk of matrix rows r0 .. r0+31 (L): each column's 32 elements are four vectors of
 * 8 rows, every lane with its own row's clip value and draw counter r * cols + c; their codes are stored at
 * dst_t (src_t's layout) when given, then transposed in registers into tile[j][b0 .. b0+15] for row r0 + j.
 * nf[v] accumulates x - x per lane, which stays +0 unless some x is NaN or infinite. stochastic and plain
 * are constants in each inlined copy; plain: 32 valid rows, every clip value nonzero and every inverse scale
 * finite, so no lane needs a mask, and a finite x gives a finite y and thus no NaN to turn into code 0 (a
 * non-finite x fails the whole call). */
static inline __attribute__((always_inline)) void avx2_qt_block(
    const float *src_t, int64_t rows, int64_t r0, int64_t c, const avx2_row_lanes L[4], const avx2_qparams *p,
    int8_t *dst_t, int64_t nr, __m256 nf[4], int8_t (*tile)[AVX2_QT_WIDE], int b0, const int stochastic,
    const int plain) {
  __m256i counter[4];
  for (int v = 0; v < 4; v++) counter[v] = _mm256_add_epi32(L[v].base, _mm256_set1_epi32((int)c));
  __m256i a[16];
  for (int i = 0; i < 16; i++) {
    const float *x = src_t + (c + i) * rows + r0;
    __m256i q[4];
    for (int v = 0; v < 4; v++) {
      __m256 xv = plain ? _mm256_loadu_ps(x + 8 * v) : _mm256_maskload_ps(x + 8 * v, L[v].valid);
      nf[v] = _mm256_add_ps(nf[v], _mm256_sub_ps(xv, xv));
      __m256 y = _mm256_mul_ps(avx2_clamp(xv, L[v].s, L[v].ns), L[v].inv);
      __m256 r;
      if (stochastic) {
        __m256i h = avx2_fmix32(_mm256_xor_si256(counter[v], _mm256_set1_epi32((int)p->k0)));
        h = avx2_fmix32(_mm256_xor_si256(h, _mm256_set1_epi32((int)p->k1)));
        __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(h, 8)), _mm256_set1_ps(0x1p-24f));
        r = _mm256_round_ps(_mm256_add_ps(y, u), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        counter[v] = _mm256_add_epi32(counter[v], _mm256_set1_epi32(1));
      } else {
        r = _mm256_round_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      }
      if (plain) {
        q[v] = _mm256_cvttps_epi32(_mm256_min_ps(_mm256_max_ps(r, p->nq), p->q));
      } else {
        q[v] = _mm256_andnot_si256(L[v].zero_s, avx2_code_of(r, p->nq, p->q));
      }
    }
    /* codes are within [-127, 127], so the saturating packs only narrow; the permute restores the element
     * order the per-128-bit-lane packs leave */
    __m256i v8 = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    a[i] = _mm256_permutevar8x32_epi32(v8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    if (dst_t != NULL) {
      int8_t *o = dst_t + (c + i) * rows + r0;
      if (plain) {
        _mm256_storeu_si256((__m256i *)o, a[i]);
      } else {
        _Alignas(32) int8_t t[AVX2_QT_ROWS];
        _mm256_store_si256((__m256i *)t, a[i]);
        memcpy(o, t, (size_t)nr);
      }
    }
  }
  avx2_transpose_16x16_epi8(a);
  /* a[j] lane l now holds row r0 + 16 l + j for the 16 columns */
  for (int j = 0; j < 16; j++) {
    _mm_store_si128((__m128i *)&tile[j][b0], _mm256_castsi256_si128(a[j]));
    _mm_store_si128((__m128i *)&tile[16 + j][b0], _mm256_extracti128_si256(a[j], 1));
  }
}

/* Columns are taken 64 at a time (16 at a time near the end) and gathered in an L1 tile, so every row of dst
 * is written one whole 64-byte line at a time (see avx512_quantize_transposed_into for why). */
static void avx2_quantize_transposed_into(const int8k_quant_desc *d, const float *src_t, const float *s,
                                          int8_t *dst, int8_t *dst_t, int *nonfinite) {
  enum { BC = 16, BR = AVX2_QT_ROWS, WIDE = AVX2_QT_WIDE };
  int64_t rows = d->rows, cols = d->cols, full_cols = cols - cols % BC;
  avx2_qparams p;
  p.q = _mm256_set1_ps((float)ops_qmax(d->bits));
  p.nq = _mm256_set1_ps((float)-ops_qmax(d->bits));
  p.stochastic = d->rounding == INT8K_ROUND_STOCHASTIC;
  uint64_t key = p.stochastic ? int8k_sr_key(d->seed, d->stream) : 0;
  p.k0 = (uint32_t)key;
  p.k1 = (uint32_t)(key >> 32);
  _Alignas(64) int8_t tile[BR][WIDE];
  __m256 nf[4];
  for (int v = 0; v < 4; v++) nf[v] = _mm256_setzero_ps();
  for (int64_t r0 = 0; r0 < rows; r0 += BR) {
    int64_t nr = rows - r0 < BR ? rows - r0 : BR;
    avx2_row_lanes L[4];
    int plain = nr == BR;
    for (int v = 0; v < 4; v++) {
      L[v] = avx2_row_lanes_at(d, s, r0 + 8 * v);
      __m256 finite_inv = _mm256_cmp_ps(L[v].inv, _mm256_set1_ps(INFINITY), _CMP_LT_OQ);
      plain = plain && _mm256_movemask_ps(_mm256_castsi256_ps(L[v].zero_s)) == 0 &&
              _mm256_movemask_ps(finite_inv) == 0xFF;
    }
    for (int64_t c0 = 0; c0 < full_cols;) {
      int64_t width = full_cols - c0 >= WIDE ? WIDE : BC;
      for (int b0 = 0; b0 < width; b0 += BC) {
        int64_t c = c0 + b0;
        if (plain && p.stochastic)
          avx2_qt_block(src_t, rows, r0, c, L, &p, dst_t, nr, nf, tile, b0, 1, 1);
        else if (plain)
          avx2_qt_block(src_t, rows, r0, c, L, &p, dst_t, nr, nf, tile, b0, 0, 1);
        else if (p.stochastic)
          avx2_qt_block(src_t, rows, r0, c, L, &p, dst_t, nr, nf, tile, b0, 1, 0);
        else
          avx2_qt_block(src_t, rows, r0, c, L, &p, dst_t, nr, nf, tile, b0, 0, 0);
      }
      for (int64_t j = 0; j < nr; j++) {
        int8_t *o = dst + (r0 + j) * cols + c0;
        if (width == WIDE) {
          _mm256_storeu_si256((__m256i *)o, _mm256_load_si256((const __m256i *)tile[j]));
          _mm256_storeu_si256((__m256i *)(o + 32), _mm256_load_si256((const __m256i *)&tile[j][32]));
        } else {
          _mm_storeu_si128((__m128i *)o, _mm_load_si128((const __m128i *)tile[j]));
        }
      }
      c0 += width;
    }
  }
  for (int v = 0; v < 4; v++)
    if (_mm256_movemask_ps(_mm256_cmp_ps(nf[v], nf[v], _CMP_UNORD_Q)) != 0) *nonfinite = 1;
  quantize_transposed_last_columns(d, src_t, s, dst, dst_t, full_cols, nonfinite);
}

static void avx2_quantize_transposed(const int8k_quant_desc *d, const float *src_t, const float *s, int8_t *dst,
                                     int *nonfinite) {
  avx2_quantize_transposed_into(d, src_t, s, dst, NULL, nonfinite);
}

static void avx2_quantize_transposed_both(const int8k_quant_desc *d, const float *src_t, const float *s,
                                          int8_t *dst, int8_t *dst_t, int *nonfinite) {
  avx2_quantize_transposed_into(d, src_t, s, dst, dst_t, nonfinite);
}

/* (float) q is exact, so convert + one multiply is the spec's expression. */
static void avx2_dequantize(const int8k_quant_desc *d, const int8_t *codes, const float *scale, float *dst) {
  int64_t groups = ops_group_count(d);
  for (int64_t g = 0; g < groups; g++) {
    int64_t start, len;
    ops_group_range(d, g, &start, &len);
    float sc = scale[g];
    __m256 vs = _mm256_set1_ps(sc);
    const int8_t *c = codes + start;
    float *o = dst + start;
    int64_t k = 0;
    for (; k + 32 <= len; k += 32) {
      __m256i v = _mm256_loadu_si256((const __m256i *)(c + k));
      __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
      _mm256_storeu_ps(o + k, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), vs));
      _mm256_storeu_ps(o + k + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), vs));
      _mm256_storeu_ps(o + k + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), vs));
      _mm256_storeu_ps(o + k + 24, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), vs));
    }
    for (; k + 8 <= len; k += 8) {
      __m128i v = _mm_loadl_epi64((const __m128i *)(c + k));
      _mm256_storeu_ps(o + k, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)), vs));
    }
    for (; k < len; k++) o[k] = (float)c[k] * sc;
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* clip_cosine_sums                                                                                       */
/* ---------------------------------------------------------------------------------------------------- */

/* Elements per pass over the candidates: small enough to stay in L1 while every candidate re-reads it. */
#define AVX2_CCD_BLOCK 2048

/* xh = (float) q * step for 8 elements; the int round trip maps a -0.0 from the rounding to +0.0 exactly as
 * the spec's (float)(int) does. */
static inline __m256 avx2_qdq8(__m256 x, __m256 c, __m256 nc, __m256 inv, __m256 step, __m256 nq, __m256 q) {
  __m256 r = _mm256_round_ps(_mm256_mul_ps(avx2_clamp(x, c, nc), inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  return _mm256_mul_ps(_mm256_cvtepi32_ps(avx2_code_of(r, nq, q)), step);
}

/* The 16 elements of a 16-aligned group go to accumulator lanes 0..15 in order: (a0, a1, a2, a3) hold lanes
 * 0-3, 4-7, 8-11, 12-15, and each lane sees its elements in ascending order, as in the spec. */
static void avx2_clip_cosine_sums(int64_t count, const float *src, int bits, int ncand, const float *cand,
                                  double *out) {
  int qmax = ops_qmax(bits);
  float inv[64], step[64];
  double dot[64][16], nh[64][16], nx[16];
  for (int i = 0; i < ncand; i++) {
    inv[i] = (float)qmax / cand[i];
    step[i] = cand[i] / (float)qmax;
    for (int l = 0; l < 16; l++) dot[i][l] = nh[i][l] = 0.0;
  }
  for (int l = 0; l < 16; l++) nx[l] = 0.0;
  const __m256 vq = _mm256_set1_ps((float)qmax), vnq = _mm256_set1_ps((float)-qmax);
  int64_t nvec = count & ~(int64_t)15;
  for (int64_t b0 = 0; b0 < nvec; b0 += AVX2_CCD_BLOCK) {
    int64_t b1 = nvec - b0 < AVX2_CCD_BLOCK ? nvec : b0 + AVX2_CCD_BLOCK;
    {
      __m256d a0 = _mm256_loadu_pd(nx), a1 = _mm256_loadu_pd(nx + 4), a2 = _mm256_loadu_pd(nx + 8),
              a3 = _mm256_loadu_pd(nx + 12);
      for (int64_t e = b0; e < b1; e += 16) {
        __m256 x0 = _mm256_loadu_ps(src + e), x1 = _mm256_loadu_ps(src + e + 8);
        __m256d d0 = _mm256_cvtps_pd(_mm256_castps256_ps128(x0)), d1 = _mm256_cvtps_pd(_mm256_extractf128_ps(x0, 1));
        __m256d d2 = _mm256_cvtps_pd(_mm256_castps256_ps128(x1)), d3 = _mm256_cvtps_pd(_mm256_extractf128_ps(x1, 1));
        a0 = _mm256_add_pd(a0, _mm256_mul_pd(d0, d0));
        a1 = _mm256_add_pd(a1, _mm256_mul_pd(d1, d1));
        a2 = _mm256_add_pd(a2, _mm256_mul_pd(d2, d2));
        a3 = _mm256_add_pd(a3, _mm256_mul_pd(d3, d3));
      }
      _mm256_storeu_pd(nx, a0);
      _mm256_storeu_pd(nx + 4, a1);
      _mm256_storeu_pd(nx + 8, a2);
      _mm256_storeu_pd(nx + 12, a3);
    }
    for (int i = 0; i < ncand; i++) {
      const __m256 vc = _mm256_set1_ps(cand[i]), vnc = _mm256_set1_ps(-cand[i]);
      const __m256 vinv = _mm256_set1_ps(inv[i]), vstep = _mm256_set1_ps(step[i]);
      __m256d t0 = _mm256_loadu_pd(dot[i]), t1 = _mm256_loadu_pd(dot[i] + 4), t2 = _mm256_loadu_pd(dot[i] + 8),
              t3 = _mm256_loadu_pd(dot[i] + 12);
      __m256d h0 = _mm256_loadu_pd(nh[i]), h1 = _mm256_loadu_pd(nh[i] + 4), h2 = _mm256_loadu_pd(nh[i] + 8),
              h3 = _mm256_loadu_pd(nh[i] + 12);
      for (int64_t e = b0; e < b1; e += 16) {
        __m256 x0 = _mm256_loadu_ps(src + e), x1 = _mm256_loadu_ps(src + e + 8);
        __m256 q0 = avx2_qdq8(x0, vc, vnc, vinv, vstep, vnq, vq), q1 = avx2_qdq8(x1, vc, vnc, vinv, vstep, vnq, vq);
        __m256d d0 = _mm256_cvtps_pd(_mm256_castps256_ps128(x0)), d1 = _mm256_cvtps_pd(_mm256_extractf128_ps(x0, 1));
        __m256d d2 = _mm256_cvtps_pd(_mm256_castps256_ps128(x1)), d3 = _mm256_cvtps_pd(_mm256_extractf128_ps(x1, 1));
        __m256d g0 = _mm256_cvtps_pd(_mm256_castps256_ps128(q0)), g1 = _mm256_cvtps_pd(_mm256_extractf128_ps(q0, 1));
        __m256d g2 = _mm256_cvtps_pd(_mm256_castps256_ps128(q1)), g3 = _mm256_cvtps_pd(_mm256_extractf128_ps(q1, 1));
        t0 = _mm256_add_pd(t0, _mm256_mul_pd(d0, g0));
        t1 = _mm256_add_pd(t1, _mm256_mul_pd(d1, g1));
        t2 = _mm256_add_pd(t2, _mm256_mul_pd(d2, g2));
        t3 = _mm256_add_pd(t3, _mm256_mul_pd(d3, g3));
        h0 = _mm256_add_pd(h0, _mm256_mul_pd(g0, g0));
        h1 = _mm256_add_pd(h1, _mm256_mul_pd(g1, g1));
        h2 = _mm256_add_pd(h2, _mm256_mul_pd(g2, g2));
        h3 = _mm256_add_pd(h3, _mm256_mul_pd(g3, g3));
      }
      _mm256_storeu_pd(dot[i], t0);
      _mm256_storeu_pd(dot[i] + 4, t1);
      _mm256_storeu_pd(dot[i] + 8, t2);
      _mm256_storeu_pd(dot[i] + 12, t3);
      _mm256_storeu_pd(nh[i], h0);
      _mm256_storeu_pd(nh[i] + 4, h1);
      _mm256_storeu_pd(nh[i] + 8, h2);
      _mm256_storeu_pd(nh[i] + 12, h3);
    }
  }
  /* the last count % 16 elements go to lanes 0.. in order, after everything else in those lanes */
  for (int64_t e = nvec; e < count; e++) {
    float x = src[e];
    int l = (int)(e & 15);
    for (int i = 0; i < ncand; i++) {
      float xh = ops_qdq_nearest(x, cand[i], inv[i], step[i], qmax);
      dot[i][l] += (double)x * (double)xh;
      nh[i][l] += (double)xh * (double)xh;
    }
    nx[l] += (double)x * (double)x;
  }
  ops_cosine_sums_out(ncand, dot, nh, nx, out);
}

/* ---------------------------------------------------------------------------------------------------- */
/* relu                                                                                                   */
/* ---------------------------------------------------------------------------------------------------- */

/* Loads precede stores within each block, so dst == src (in place) stays correct. */
static void avx2_relu(int64_t count, const int8_t *src, int8_t *dst, uint8_t *mask) {
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi8(1);
  int64_t e = 0;
  for (; e + 32 <= count; e += 32) {
    __m256i v = _mm256_loadu_si256((const __m256i *)(src + e));
    _mm256_storeu_si256((__m256i *)(mask + e), _mm256_and_si256(_mm256_cmpgt_epi8(v, zero), one));
    _mm256_storeu_si256((__m256i *)(dst + e), _mm256_max_epi8(v, zero));
  }
  for (; e < count; e++) {
    int8_t v = src[e];
    dst[e] = v > 0 ? v : 0;
    mask[e] = v > 0 ? 1 : 0;
  }
}

/* Masking with and-not keeps grad's exact bits (NaN payloads, -0.0) and writes +0.0f elsewhere. */
static void avx2_relu_backward(int64_t count, const float *grad, const uint8_t *mask, float *dst) {
  const __m256i zero = _mm256_setzero_si256();
  int64_t e = 0;
  for (; e + 8 <= count; e += 8) {
    __m256i m = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(mask + e)));
    __m256 off = _mm256_castsi256_ps(_mm256_cmpeq_epi32(m, zero));
    _mm256_storeu_ps(dst + e, _mm256_andnot_ps(off, _mm256_loadu_ps(grad + e)));
  }
  for (; e < count; e++) dst[e] = mask[e] != 0 ? grad[e] : 0.0f;
}

/* This ISA's own kernels, replacing the generic ones in its table (and in the AVX-512 table, which
 * includes this file for them). */
#define OPS_AVX2_KERNELS                                                                                   \
  .group_absmax = avx2_group_absmax, .quantize_groups = avx2_quantize_groups,                              \
  .dequantize = avx2_dequantize, .absmax = avx2_absmax,                                                    \
  .clip_cosine_sums = avx2_clip_cosine_sums, .relu = avx2_relu,                                            \
  .relu_backward = avx2_relu_backward, .quantize_transposed = avx2_quantize_transposed,                  \
  .quantize_transposed_both = avx2_quantize_transposed_both,                                             \
  OPS_BN_POOL_AVX2_KERNELS

#ifndef OPS_AVX2_FUNCTIONS_ONLY
INT8K_TABLE_OVERRIDES_BEGIN
const int8k_misc_ops int8k_misc_ops_avx2 = {
    .isa = INT8K_ISA_AVX2,
#define INT8K_OP INT8K_GENERIC_ENTRY
#define INT8K_KERNEL INT8K_GENERIC_ENTRY
#include "int8k_ops.def"
    OPS_AVX2_KERNELS
    OPS_CONV_DIRECT_AVX2_KERNELS
    .bn_max_pool_backward_moments = avx2_bn_max_pool_backward_moments,
};
INT8K_TABLE_OVERRIDES_END
#endif
