/*
 * ops_avx512vnni.c - the AVX-512 VNNI path of the non-GEMM ops.
 *
 * Three kinds of kernels, each bit-identical to the reference (ops_generic.h, and the Java reference):
 *  - the hand-vectorized AVX2 functions of ops_avx2.c for most hot ops, compiled here with the AVX-512
 *    flags (they were written where no AVX-512 machine was at hand). Intrinsics keep their meaning under
 *    any encoding, and without -ffast-math and with -ffp-contract=off the compiler can neither
 *    reassociate nor fuse them. The reference code alone would be far slower on these ops, because gcc
 *    does not vectorize its NaN-tracking reductions, the RNG or the lane-ordered double sums.
 *  - AVX-512 intrinsics, written and tested on an AVX-512 machine (Zen 5), where sixteen lanes pay:
 *    batch norm (fused with its max-pool, its statistics, its backward sums; ops_bn_avx512.h, whose
 *    double arithmetic and register-held sums need them), the direct stem convolution
 *    (conv_direct_avx512.h), the error quantization (quantize_transposed and its two-layout variant)
 *    and DSGC's clip_cosine_sums.
 *  - the other ops are the reference code of ops_generic.h, which gcc auto-vectorizes with these flags
 *    under the same exactness constraints.
 * Exceptions: quantize_transposed(_both) and clip_cosine_sums have their own AVX-512 kernels below (written
 * and tested bit-identical on an AVX-512 machine, Zen 5).
 * Note: this file includes ops_avx2.c, so its object depends on that file too.
 */
#define OPS_AVX2_FUNCTIONS_ONLY
#include "ops_avx2.c"
#include "ops_bn_avx512.h"
#include "conv_direct_avx512.h"
#include "stem_backward_avx512.h"

/* ---- quantize_transposed: as avx2_quantize_transposed_into (ops_avx2.c), 16 lanes a vector ------------ */

/* One 16-lane group of matrix rows r .. r+15; see avx2_row_lanes. */
typedef struct avx512_row_lanes {
  __m512 s, ns, inv;
  __mmask16 zero_s, valid;
  __m512i base;
} avx512_row_lanes;

static inline avx512_row_lanes avx512_row_lanes_at(const int8k_quant_desc *d, const float *s, int64_t r) {
  avx512_row_lanes L;
  __m512i idx = _mm512_add_epi32(_mm512_set1_epi32((int)r),
                                 _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  L.valid = _mm512_cmpgt_epi32_mask(_mm512_set1_epi32((int)d->rows), idx);
  L.s = d->granularity == INT8K_PER_ROW ? _mm512_maskz_loadu_ps(L.valid, s + r) : _mm512_set1_ps(s[0]);
  L.ns = _mm512_sub_ps(_mm512_setzero_ps(), L.s);
  L.inv = _mm512_div_ps(_mm512_set1_ps((float)ops_qmax(d->bits)), L.s);
  L.zero_s = _mm512_cmp_ps_mask(L.s, _mm512_setzero_ps(), _CMP_EQ_OQ);
  /* rows * cols < 2^31, so r * cols + c fits the 32-bit lanes (the draw's high word is 0) */
  L.base = _mm512_mullo_epi32(idx, _mm512_set1_epi32((int)d->cols));
  return L;
}

static inline __m512i avx512_fmix32(__m512i h) {
  h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
  h = _mm512_mullo_epi32(h, _mm512_set1_epi32((int)0x85EBCA6Bu));
  h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 13));
  h = _mm512_mullo_epi32(h, _mm512_set1_epi32((int)0xC2B2AE35u));
  h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
  return h;
}

/* avx2_transpose_16x16_epi8 on the four 128-bit lanes of a zmm. */
static inline void avx512_transpose_16x16_epi8(__m512i a[16]) {
  __m512i b[16], c[16], d[16];
  for (int k = 0; k < 8; k++) {
    b[k] = _mm512_unpacklo_epi8(a[2 * k], a[2 * k + 1]);
    b[k + 8] = _mm512_unpackhi_epi8(a[2 * k], a[2 * k + 1]);
  }
  for (int h = 0; h < 2; h++)
    for (int m = 0; m < 4; m++) {
      c[8 * h + m] = _mm512_unpacklo_epi16(b[8 * h + 2 * m], b[8 * h + 2 * m + 1]);
      c[8 * h + 4 + m] = _mm512_unpackhi_epi16(b[8 * h + 2 * m], b[8 * h + 2 * m + 1]);
    }
  for (int q = 0; q < 4; q++)
    for (int p = 0; p < 2; p++) {
      d[4 * q + p] = _mm512_unpacklo_epi32(c[4 * q + 2 * p], c[4 * q + 2 * p + 1]);
      d[4 * q + 2 + p] = _mm512_unpackhi_epi32(c[4 * q + 2 * p], c[4 * q + 2 * p + 1]);
    }
  for (int j = 0; j < 8; j++) {
    a[2 * j] = _mm512_unpacklo_epi64(d[2 * j], d[2 * j + 1]);
    a[2 * j + 1] = _mm512_unpackhi_epi64(d[2 * j], d[2 * j + 1]);
  }
}

enum { AVX512_QT_ROWS = 64, AVX512_QT_WIDE = 64 }; /* matrix rows per chunk, columns per dst line */

/* Columns c .. c+15 of the chunk of matrix rows r0 .. r0+63 (L): quantized as avx2_quant_lanes does, their
 * codes stored at dst_t (src_t's layout) when given, then transposed in registers into tile[j][b0 .. b0+15]
 * for row r0 + j. nf[v] accumulates x - x per lane, which stays +0 unless some x is NaN or infinite.
 * stochastic and plain are constants in each inlined copy; plain: 64 valid rows, every clip value nonzero
 * and every inverse scale finite, so no lane needs a mask, and a finite x gives a finite y and thus no NaN
 * to turn into code 0 (a non-finite x fails the whole call). */
static inline __attribute__((always_inline)) void avx512_qt_block(
    const float *src_t, int64_t rows, int64_t r0, int64_t c, const avx512_row_lanes L[4], uint32_t k0,
    uint32_t k1, __m512 q, int8_t *dst_t, __mmask64 row_mask, __m512 nf[4], int8_t (*tile)[AVX512_QT_WIDE],
    int b0, const int stochastic, const int plain) {
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __m512 nq = _mm512_sub_ps(_mm512_setzero_ps(), q);
  __m512i counter[4];
  for (int v = 0; v < 4; v++) counter[v] = _mm512_add_epi32(L[v].base, _mm512_set1_epi32((int)c));
  __m512i a[16];
  for (int i = 0; i < 16; i++) {
    const float *x = src_t + (c + i) * rows + r0;
    __m512i c32[4];
    for (int v = 0; v < 4; v++) {
      __m512 xv = plain ? _mm512_loadu_ps(x + 16 * v) : _mm512_maskz_loadu_ps(L[v].valid, x + 16 * v);
      nf[v] = _mm512_add_ps(nf[v], _mm512_sub_ps(xv, xv));
      /* the spec's clamp with AVX2's operand order: a NaN x passes through */
      __m512 y = _mm512_mul_ps(_mm512_min_ps(L[v].s, _mm512_max_ps(L[v].ns, xv)), L[v].inv);
      __m512 r;
      if (stochastic) {
        __m512i h = avx512_fmix32(_mm512_xor_si512(counter[v], _mm512_set1_epi32((int)k0)));
        h = avx512_fmix32(_mm512_xor_si512(h, _mm512_set1_epi32((int)k1)));
        __m512 u = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(h, 8)), _mm512_set1_ps(0x1p-24f));
        r = _mm512_roundscale_ps(_mm512_add_ps(y, u), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        counter[v] = _mm512_add_epi32(counter[v], _mm512_set1_epi32(1));
      } else {
        r = _mm512_roundscale_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      }
      /* Java's (int) of a NaN is 0, before the clamp */
      if (!plain) r = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(r, r, _CMP_ORD_Q), r);
      r = _mm512_min_ps(_mm512_max_ps(r, nq), q);
      c32[v] = plain ? _mm512_cvttps_epi32(r) : _mm512_maskz_cvttps_epi32((__mmask16)~L[v].zero_s, r);
    }
    /* codes are within [-127, 127]: the saturating packs only narrow; the permute undoes their
     * per-128-bit-lane order */
    a[i] = _mm512_permutexvar_epi32(
        order, _mm512_packs_epi16(_mm512_packs_epi32(c32[0], c32[1]), _mm512_packs_epi32(c32[2], c32[3])));
    if (dst_t != NULL) {
      if (plain)
        _mm512_storeu_si512(dst_t + (c + i) * rows + r0, a[i]);
      else
        _mm512_mask_storeu_epi8(dst_t + (c + i) * rows + r0, row_mask, a[i]);
    }
  }
  avx512_transpose_16x16_epi8(a);
  /* a[j] lane l now holds row r0 + 16 l + j for the 16 columns */
  for (int j = 0; j < 16; j++) {
    _mm_store_si128((__m128i *)&tile[j][b0], _mm512_castsi512_si128(a[j]));
    _mm_store_si128((__m128i *)&tile[16 + j][b0], _mm512_extracti32x4_epi32(a[j], 1));
    _mm_store_si128((__m128i *)&tile[32 + j][b0], _mm512_extracti32x4_epi32(a[j], 2));
    _mm_store_si128((__m128i *)&tile[48 + j][b0], _mm512_extracti32x4_epi32(a[j], 3));
  }
}

/* Columns are taken 64 at a time (16 at a time near the end): four transposed 16 x 16 blocks are gathered
 * in an L1 tile first, so every row of dst is written one whole 64-byte line at a time. Writing 16 bytes
 * into each of 64 rows cols apart instead ran at a third of the speed: with cols a multiple of 1024 those
 * rows share a handful of L1 sets, and each partly written line was evicted before the next piece came. */
static void avx512_quantize_transposed_into(const int8k_quant_desc *d, const float *src_t, const float *s,
                                            int8_t *dst, int8_t *dst_t, int *nonfinite) {
  enum { BC = 16, BR = AVX512_QT_ROWS, WIDE = AVX512_QT_WIDE };
  int64_t rows = d->rows, cols = d->cols, full_cols = cols - cols % BC;
  int stochastic = d->rounding == INT8K_ROUND_STOCHASTIC;
  uint64_t key = stochastic ? int8k_sr_key(d->seed, d->stream) : 0;
  uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
  const __m512 q = _mm512_set1_ps((float)ops_qmax(d->bits));
  _Alignas(64) int8_t tile[BR][WIDE];
  __m512 nf[4];
  for (int v = 0; v < 4; v++) nf[v] = _mm512_setzero_ps();
  for (int64_t r0 = 0; r0 < rows; r0 += BR) {
    int64_t nr = rows - r0 < BR ? rows - r0 : BR;
    __mmask64 row_mask = nr == BR ? ~(__mmask64)0 : (((__mmask64)1 << nr) - 1);
    avx512_row_lanes L[4];
    int plain = nr == BR;
    for (int v = 0; v < 4; v++) {
      L[v] = avx512_row_lanes_at(d, s, r0 + 16 * v);
      __mmask16 finite_inv = _mm512_cmp_ps_mask(L[v].inv, _mm512_set1_ps(INFINITY), _CMP_LT_OQ);
      plain = plain && L[v].zero_s == 0 && finite_inv == 0xFFFF;
    }
    for (int64_t c0 = 0; c0 < full_cols;) {
      int64_t width = full_cols - c0 >= WIDE ? WIDE : BC;
      for (int b0 = 0; b0 < width; b0 += BC) {
        int64_t c = c0 + b0;
        if (plain && stochastic)
          avx512_qt_block(src_t, rows, r0, c, L, k0, k1, q, dst_t, row_mask, nf, tile, b0, 1, 1);
        else if (plain)
          avx512_qt_block(src_t, rows, r0, c, L, k0, k1, q, dst_t, row_mask, nf, tile, b0, 0, 1);
        else if (stochastic)
          avx512_qt_block(src_t, rows, r0, c, L, k0, k1, q, dst_t, row_mask, nf, tile, b0, 1, 0);
        else
          avx512_qt_block(src_t, rows, r0, c, L, k0, k1, q, dst_t, row_mask, nf, tile, b0, 0, 0);
      }
      for (int64_t j = 0; j < nr; j++) {
        int8_t *o = dst + (r0 + j) * cols + c0;
        if (width == WIDE)
          _mm512_storeu_si512(o, _mm512_load_si512(tile[j]));
        else
          _mm_storeu_si128((__m128i *)o, _mm_load_si128((const __m128i *)tile[j]));
      }
      c0 += width;
    }
  }
  for (int v = 0; v < 4; v++)
    if (_mm512_cmp_ps_mask(nf[v], nf[v], _CMP_UNORD_Q) != 0) *nonfinite = 1;
  quantize_transposed_last_columns(d, src_t, s, dst, dst_t, full_cols, nonfinite);
}

/* ---- clip_cosine_sums: avx2_clip_cosine_sums (ops_avx2.c) with 16 floats and 8 doubles a vector ------ */

/* xh = (float) q * step for 16 elements, as avx2_qdq8: the clamp keeps AVX2's operand order (a NaN x
 * passes through), a NaN before the code becomes 0, and the int round trip maps -0.0 to +0.0. */
static inline __m512 avx512_qdq16(__m512 x, __m512 c, __m512 nc, __m512 inv, __m512 step, __m512 nq, __m512 q) {
  __m512 r = _mm512_roundscale_ps(_mm512_mul_ps(_mm512_min_ps(c, _mm512_max_ps(nc, x)), inv),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(r, r, _CMP_ORD_Q), r);
  r = _mm512_min_ps(_mm512_max_ps(r, nq), q);
  return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvttps_epi32(r)), step);
}

static inline __m512d avx512_low_pd(__m512 x) { return _mm512_cvtps_pd(_mm512_castps512_ps256(x)); }
static inline __m512d avx512_high_pd(__m512 x) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)); }

/* The 16 elements of a 16-aligned group go to accumulator lanes 0..15 in order: (a0, a1) hold lanes 0-7 and
 * 8-15, each lane sees its elements in ascending order, as in the spec, and each product of two floats is
 * exact in double, so every lane's sum is the spec's. Half the instructions of the AVX2 kernel. */
static void avx512_clip_cosine_sums(int64_t count, const float *src, int bits, int ncand, const float *cand,
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
  const __m512 vq = _mm512_set1_ps((float)qmax), vnq = _mm512_set1_ps((float)-qmax);
  int64_t nvec = count & ~(int64_t)15;
  for (int64_t b0 = 0; b0 < nvec; b0 += AVX2_CCD_BLOCK) {
    int64_t b1 = nvec - b0 < AVX2_CCD_BLOCK ? nvec : b0 + AVX2_CCD_BLOCK;
    {
      __m512d a0 = _mm512_loadu_pd(nx), a1 = _mm512_loadu_pd(nx + 8);
      for (int64_t e = b0; e < b1; e += 16) {
        __m512 x = _mm512_loadu_ps(src + e);
        __m512d d0 = avx512_low_pd(x), d1 = avx512_high_pd(x);
        a0 = _mm512_add_pd(a0, _mm512_mul_pd(d0, d0));
        a1 = _mm512_add_pd(a1, _mm512_mul_pd(d1, d1));
      }
      _mm512_storeu_pd(nx, a0);
      _mm512_storeu_pd(nx + 8, a1);
    }
    for (int i = 0; i < ncand; i++) {
      const __m512 vc = _mm512_set1_ps(cand[i]), vnc = _mm512_set1_ps(-cand[i]);
      const __m512 vinv = _mm512_set1_ps(inv[i]), vstep = _mm512_set1_ps(step[i]);
      __m512d t0 = _mm512_loadu_pd(dot[i]), t1 = _mm512_loadu_pd(dot[i] + 8);
      __m512d h0 = _mm512_loadu_pd(nh[i]), h1 = _mm512_loadu_pd(nh[i] + 8);
      for (int64_t e = b0; e < b1; e += 16) {
        __m512 x = _mm512_loadu_ps(src + e);
        __m512 xh = avx512_qdq16(x, vc, vnc, vinv, vstep, vnq, vq);
        __m512d d0 = avx512_low_pd(x), d1 = avx512_high_pd(x);
        __m512d g0 = avx512_low_pd(xh), g1 = avx512_high_pd(xh);
        t0 = _mm512_add_pd(t0, _mm512_mul_pd(d0, g0));
        t1 = _mm512_add_pd(t1, _mm512_mul_pd(d1, g1));
        h0 = _mm512_add_pd(h0, _mm512_mul_pd(g0, g0));
        h1 = _mm512_add_pd(h1, _mm512_mul_pd(g1, g1));
      }
      _mm512_storeu_pd(dot[i], t0);
      _mm512_storeu_pd(dot[i] + 8, t1);
      _mm512_storeu_pd(nh[i], h0);
      _mm512_storeu_pd(nh[i] + 8, h1);
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

static void avx512_quantize_transposed(const int8k_quant_desc *d, const float *src_t, const float *s,
                                       int8_t *dst, int *nonfinite) {
  avx512_quantize_transposed_into(d, src_t, s, dst, NULL, nonfinite);
}

static void avx512_quantize_transposed_both(const int8k_quant_desc *d, const float *src_t, const float *s,
                                            int8_t *dst, int8_t *dst_t, int *nonfinite) {
  avx512_quantize_transposed_into(d, src_t, s, dst, dst_t, nonfinite);
}

INT8K_TABLE_OVERRIDES_BEGIN
const int8k_misc_ops int8k_misc_ops_avx512vnni = {
    .isa = INT8K_ISA_AVX512VNNI,
#define INT8K_OP INT8K_GENERIC_ENTRY
#define INT8K_KERNEL INT8K_GENERIC_ENTRY
#include "int8k_ops.def"
    OPS_AVX2_KERNELS
    OPS_BN_AVX512_KERNELS
    OPS_CONV_DIRECT_AVX512_KERNELS
    OPS_STEM_BACKWARD_AVX512_KERNELS
    .quantize_transposed = avx512_quantize_transposed,
    .quantize_transposed_both = avx512_quantize_transposed_both,
    .clip_cosine_sums = avx512_clip_cosine_sums,
};
INT8K_TABLE_OVERRIDES_END
