/*
 * ops_avx2.c - the AVX2 path of the non-GEMM ops.
 *
 * Hand-vectorized: group_absmax, absmax, quantize_groups (both roundings, with the counter-based RNG
 * evaluated 8 lanes at a time), dequantize, clip_cosine_sums, relu, relu_backward, and the direct stem
 * convolution (conv_direct_avx2.h). Everything
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

/* quantize_transposed: each 32 x 64 tile of the matrix is first transposed out of src_t into a buffer that
 * stays in L1 (and checked for non-finite values there), then its rows are quantized 8 lanes at a time as
 * quantize_groups does, each element with its draw index r * cols + c. */
static void avx2_quantize_transposed(const int8k_quant_desc *d, const float *src_t, const float *s, int8_t *dst,
                                     int *nonfinite) {
  enum { TR = 32, TC = 64 };
  float buf[TR * TC];
  int qmax = ops_qmax(d->bits);
  int stochastic = d->rounding == INT8K_ROUND_STOCHASTIC;
  uint64_t key = stochastic ? int8k_sr_key(d->seed, d->stream) : 0;
  int per_row = d->granularity == INT8K_PER_ROW;
  int64_t rows = d->rows, cols = d->cols;
  avx2_qparams p;
  p.q = _mm256_set1_ps((float)qmax);
  p.nq = _mm256_set1_ps((float)-qmax);
  p.stochastic = stochastic;
  p.k0 = (uint32_t)key;
  p.k1 = (uint32_t)(key >> 32);
  __m256 bad = _mm256_setzero_ps();
  for (int64_t r0 = 0; r0 < rows; r0 += TR) {
    int64_t nr = r0 + TR < rows ? TR : rows - r0;
    for (int64_t c0 = 0; c0 < cols; c0 += TC) {
      int64_t nc = c0 + TC < cols ? TC : cols - c0;
      for (int64_t c = 0; c < nc; c++) {
        const float *col = src_t + (c0 + c) * rows + r0;
        for (int64_t r = 0; r < nr; r++) buf[r * TC + c] = col[r];
      }
      for (int64_t r = 0; r < nr; r++) {
        const float *x = buf + r * TC;
        int8_t *o = dst + (r0 + r) * cols + c0;
        int64_t e0 = (r0 + r) * cols + c0;
        int64_t k = 0;
        for (; k + 8 <= nc; k += 8) {
          __m256 v = _mm256_loadu_ps(x + k);
          bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_sub_ps(v, v), _mm256_setzero_ps(), _CMP_NEQ_UQ));
        }
        for (; k < nc; k++) {
          if (!(x[k] - x[k] == 0.0f)) *nonfinite = 1;
        }
        float sg = s[per_row ? r0 + r : 0];
        if (sg == 0.0f) {
          memset(o, 0, (size_t)nc);
          continue;
        }
        float inv = (float)qmax / sg;
        p.s = _mm256_set1_ps(sg);
        p.ns = _mm256_set1_ps(-sg);
        p.inv = _mm256_set1_ps(inv);
        k = 0;
        for (; k + 32 <= nc; k += 32) {
          int64_t e = e0 + k;
          avx2_store_codes32(o + k, avx2_quant8(&p, x + k, e), avx2_quant8(&p, x + k + 8, e + 8),
                             avx2_quant8(&p, x + k + 16, e + 16), avx2_quant8(&p, x + k + 24, e + 24));
        }
        for (; k + 8 <= nc; k += 8) avx2_store_codes8(o + k, avx2_quant8(&p, x + k, e0 + k));
        for (; k < nc; k++) o[k] = ops_quant_one(x[k], sg, inv, qmax, stochastic, key, e0 + k);
      }
    }
  }
  if (_mm256_movemask_ps(bad) != 0) *nonfinite = 1;
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
};
INT8K_TABLE_OVERRIDES_END
#endif
