/*
 * ops_bn_avx512.h - AVX-512 kernels of batch norm, for ops_avx512vnni.c: fused with its max-pool
 * (bn_max_pool and its two backward ops), the statistics and the unfused backward sums (int8k_ops.def and
 * ops_generic.h define them all). The fused ones do what ops_bn_pool_avx2.h does on sixteen channels per
 * vector: the backward ops do their per-element arithmetic in double, where eight lanes per vector halve
 * the work of the AVX2 version. Every per-channel sum is held in registers for up to 64 channels at a time
 * (a sum kept in memory and reloaded by the next row set the speed of the generic kernels). Channels past
 * the last multiple of sixteen get the generic kernel's scalar expressions, so every element gets the
 * generic kernel's operations in its order and the results are bit-identical.
 */
#ifndef OPS_BN_AVX512_H
#define OPS_BN_AVX512_H

#include <immintrin.h>

#include "ops_bn_pool_avx2.h"

/* ones where the bits of v lie in [1, 0x7f800000] (v > 0, +inf included): ops_positive_mask */
static inline __mmask16 bnq_positive(__m512 v) {
  __m512i b = _mm512_castps_si512(v);
  return _mm512_cmpgt_epi32_mask(b, _mm512_setzero_si512()) &
         _mm512_cmpgt_epi32_mask(_mm512_set1_epi32(0x7f800001), b);
}

static inline __m512 bnq_xhat(__m512 x, __m512 mean, __m512 inv) { return _mm512_mul_ps(_mm512_sub_ps(x, mean), inv); }

static inline __m512 bnq_affine(__m512 h, __m512 gamma, __m512 beta) {
  return _mm512_add_ps(_mm512_mul_ps(gamma, h), beta);
}

static inline __m512i bnq_lane_index(int64_t first) {
  return _mm512_add_epi32(_mm512_set1_epi32((int32_t)first),
                          _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/* as bnp_max_pool (row by row, the same comparisons per window), sixteen channels at a time */
static inline __attribute__((always_inline)) void bnq_max_pool(const int8k_conv_desc *d, const float *x,
                                                               const float *mean, const float *inv_scale,
                                                               const float *gamma, const float *beta, int relu,
                                                               float *pooled, int32_t *argmax) {
  const int64_t oh = ops_out_h(d), ow = ops_out_w(d), c = d->c, c16 = c & ~(int64_t)15;
  const int64_t kh = d->kh, kw = d->kw, h = d->h, w = d->w, n = d->n;
  for (int64_t b = 0; b < n; b++)
    for (int64_t oy = 0; oy < oh; oy++) {
      float *prow = pooled + (b * oh + oy) * ow * c;
      int32_t *arow = argmax + (b * oh + oy) * ow * c;
      for (int64_t i = 0; i < kh; i++) {
        int64_t row = ((b * h + oy * kh + i) * w) * c;
        for (int64_t ox = 0; ox < ow; ox++) {
          float *out = prow + ox * c;
          int32_t *am = arow + ox * c;
          for (int64_t j = 0; j < kw; j++) {
            int64_t base = row + (ox * kw + j) * c;
            int seed = i == 0 && j == 0;
            for (int64_t ch = 0; ch < c16; ch += 16) {
              __m512 v = bnq_affine(bnq_xhat(_mm512_loadu_ps(x + base + ch), _mm512_loadu_ps(mean + ch),
                                             _mm512_loadu_ps(inv_scale + ch)),
                                    _mm512_loadu_ps(gamma + ch), _mm512_loadu_ps(beta + ch));
              if (relu) v = _mm512_maskz_mov_ps(bnq_positive(v), v);
              __m512i at = bnq_lane_index(base + ch);
              if (seed) {
                _mm512_storeu_ps(out + ch, v);
                _mm512_storeu_si512(am + ch, at);
              } else {
                __m512 cur = _mm512_loadu_ps(out + ch);
                __mmask16 win = _mm512_cmp_ps_mask(v, cur, _CMP_GT_OQ); /* v > cur: false with a NaN */
                _mm512_mask_storeu_ps(out + ch, win, v);
                _mm512_mask_storeu_epi32(am + ch, win, at);
              }
            }
            for (int64_t ch = c16; ch < c; ch++) {
              float v = ops_bn_value(x[base + ch], mean[ch], inv_scale[ch], gamma[ch], beta[ch], relu);
              if (seed || v > out[ch]) {
                out[ch] = v;
                am[ch] = (int32_t)(base + ch);
              }
            }
          }
        }
      }
    }
}

static void avx512_bn_max_pool(const int8k_conv_desc *d, const float *x, const float *mean, const float *inv_scale,
                               const float *gamma, const float *beta, int relu, float *pooled, int32_t *argmax) {
  if (relu) {
    bnq_max_pool(d, x, mean, inv_scale, gamma, beta, 1, pooled, argmax);
  } else {
    bnq_max_pool(d, x, mean, inv_scale, gamma, beta, 0, pooled, argmax);
  }
}

/* bnq_error with gamma and beta in registers: the error of the sixteen elements from `at` on, grad_pooled
 * and argmax pointing at the sixteen channels' entries of the first window (o0 its offset, < 0: none) */
static inline __m512 bnq_error_v(int64_t o0, int64_t at, const float *grad_pooled, const int32_t *argmax, __m512 h,
                                 __m512 gamma, __m512 beta, int relu) {
  if (o0 < 0) return _mm512_setzero_ps();
  __mmask16 hit = _mm512_cmpeq_epi32_mask(_mm512_loadu_si512(argmax + o0), bnq_lane_index(at));
  if (relu) hit &= bnq_positive(bnq_affine(h, gamma, beta));
  return _mm512_maskz_add_ps(hit, _mm512_setzero_ps(), _mm512_loadu_ps(grad_pooled + o0));
}

/* the error of sixteen elements, as bnp_error */
static inline __m512 bnq_error(int64_t o0, int64_t base, int64_t ch, const float *grad_pooled,
                               const int32_t *argmax, __m512 h, const float *gamma, const float *beta, int relu) {
  return bnq_error_v(o0, base + ch, grad_pooled + ch, argmax + ch, h, _mm512_loadu_ps(gamma + ch),
                     _mm512_loadu_ps(beta + ch), relu);
}

static inline __m512d bnq_lo(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
static inline __m512d bnq_hi(__m512 v) {
  return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

/* Calls fn(c0, nb, ...) for each group [c0, c0 + 16 nb) of up to 64 channels among the first c16 (a
 * multiple of 16), nb a constant at each call so that the callee's loops over blocks unroll and its
 * per-block values stay in registers. */
#define BNQ_CHANNEL_GROUPS(c16, fn, ...)                                                                   \
  for (int64_t c0_ = 0; c0_ < (c16); c0_ += 64) {                                                          \
    switch (((c16)-c0_) / 16 < 4 ? ((c16)-c0_) / 16 : 4) {                                                 \
    case 1: fn(c0_, 1, __VA_ARGS__); break;                                                                \
    case 2: fn(c0_, 2, __VA_ARGS__); break;                                                                \
    case 3: fn(c0_, 3, __VA_ARGS__); break;                                                                \
    default: fn(c0_, 4, __VA_ARGS__); break;                                                               \
    }                                                                                                      \
  }

/* acc[0..1] += (double)g, acc[2..3] += (double)g * (double)h: one row's terms of sum_g and sum_gh for
 * sixteen channels (low eight, high eight), in the generic kernels' operations */
static inline void bnq_add_sums(__m512d *acc, __m512 g, __m512 h) {
  __m512d g0 = bnq_lo(g), g1 = bnq_hi(g);
  acc[0] = _mm512_add_pd(acc[0], g0);
  acc[1] = _mm512_add_pd(acc[1], g1);
  acc[2] = _mm512_add_pd(acc[2], _mm512_mul_pd(g0, bnq_lo(h)));
  acc[3] = _mm512_add_pd(acc[3], _mm512_mul_pd(g1, bnq_hi(h)));
}

static inline void bnq_store_sums(const __m512d *acc, int64_t ch, double *sum_g, double *sum_gh) {
  _mm512_storeu_pd(sum_g + ch, acc[0]);
  _mm512_storeu_pd(sum_g + ch + 8, acc[1]);
  _mm512_storeu_pd(sum_gh + ch, acc[2]);
  _mm512_storeu_pd(sum_gh + ch + 8, acc[3]);
}

/* The sums of channels [c0, c0 + 16 * NB) over every pixel, ascending, with the accumulators in registers: an
 * accumulator kept in memory is reloaded by the next pixel right after its store, and that store-to-load
 * chain, not the arithmetic, set the speed. NB is a constant of each instance, so the loops over blocks
 * unroll and acc stays in registers. */
static inline __attribute__((always_inline)) void bnq_sums_blocks(
    int64_t c0, const int NB, const int8k_conv_desc *d, const float *grad_pooled, const int32_t *argmax,
    const float *x, const float *mean, const float *inv_scale, const float *gamma, const float *beta, int relu,
    double *sum_g, double *sum_gh) {
  __m512d acc[4][4];
  for (int q = 0; q < NB; q++)
    for (int r = 0; r < 4; r++) acc[q][r] = _mm512_setzero_pd();
  OPS_BN_POOL_FOR_EACH_PIXEL(d, {
    for (int q = 0; q < NB; q++) {
      int64_t ch = c0 + 16 * q;
      __m512 h = bnq_xhat(_mm512_loadu_ps(x + base + ch), _mm512_loadu_ps(mean + ch), _mm512_loadu_ps(inv_scale + ch));
      bnq_add_sums(acc[q], bnq_error(o0, base, ch, grad_pooled, argmax, h, gamma, beta, relu), h);
    }
  });
  for (int q = 0; q < NB; q++) bnq_store_sums(acc[q], c0 + 16 * q, sum_g, sum_gh);
}

static inline __attribute__((always_inline)) void bnq_backward_sums(
    const int8k_conv_desc *d, const float *grad_pooled, const int32_t *argmax, const float *x, const float *mean,
    const float *inv_scale, const float *gamma, const float *beta, int relu, double *sum_g, double *sum_gh) {
  const int64_t c = d->c, c16 = c & ~(int64_t)15;
  BNQ_CHANNEL_GROUPS(c16, bnq_sums_blocks, d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, relu, sum_g,
                     sum_gh);
  if (c16 < c) ops_bn_max_pool_backward_sums(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, c16, relu, sum_g,
                                             sum_gh);
}

static void avx512_bn_max_pool_backward_sums(const int8k_conv_desc *d, const float *grad_pooled,
                                             const int32_t *argmax, const float *x, const float *mean,
                                             const float *inv_scale, const float *gamma, const float *beta,
                                             int relu, double *sum_g, double *sum_gh) {
  if (relu) {
    bnq_backward_sums(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 1, sum_g, sum_gh);
  } else {
    bnq_backward_sums(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 0, sum_g, sum_gh);
  }
}

/* grad_in of channels [c0, c0 + 16 * NB) over every pixel, with the per-channel numbers in registers */
static inline __attribute__((always_inline)) void bnq_input_blocks(
    int64_t c0, const int NB, const int8k_conv_desc *d, const float *grad_pooled, const int32_t *argmax,
    const float *x, const float *mean, const float *inv_scale, const float *gamma, const float *beta, int relu,
    const double *a, const double *bq, const double *k, float *grad_in) {
  __m512 vm[4], vs[4], vg[4], vb[4];
  __m512d va[4][2], vq[4][2], vk[4][2];
  for (int q = 0; q < NB; q++) {
    int64_t ch = c0 + 16 * q;
    vm[q] = _mm512_loadu_ps(mean + ch);
    vs[q] = _mm512_loadu_ps(inv_scale + ch);
    vg[q] = _mm512_loadu_ps(gamma + ch);
    vb[q] = _mm512_loadu_ps(beta + ch);
    for (int e = 0; e < 2; e++) {
      va[q][e] = _mm512_loadu_pd(a + ch + 8 * e);
      vq[q][e] = _mm512_loadu_pd(bq + ch + 8 * e);
      vk[q][e] = _mm512_loadu_pd(k + ch + 8 * e);
    }
  }
  OPS_BN_POOL_FOR_EACH_PIXEL(d, {
    for (int q = 0; q < NB; q++) {
      int64_t ch = c0 + 16 * q;
      __m512 h = bnq_xhat(_mm512_loadu_ps(x + base + ch), vm[q], vs[q]);
      __m512 g = _mm512_setzero_ps();
      if (o0 >= 0) {
        __mmask16 hit = _mm512_cmpeq_epi32_mask(_mm512_loadu_si512(argmax + o0 + ch), bnq_lane_index(base + ch));
        if (relu) hit &= bnq_positive(bnq_affine(h, vg[q], vb[q]));
        g = _mm512_maskz_add_ps(hit, _mm512_setzero_ps(), _mm512_loadu_ps(grad_pooled + o0 + ch));
      }
      __m512d g0 = bnq_lo(g), g1 = bnq_hi(g), h0 = bnq_lo(h), h1 = bnq_hi(h);
      __m512d v0 = _mm512_sub_pd(_mm512_sub_pd(g0, va[q][0]), _mm512_mul_pd(h0, vq[q][0]));
      __m512d v1 = _mm512_sub_pd(_mm512_sub_pd(g1, va[q][1]), _mm512_mul_pd(h1, vq[q][1]));
      __m256 lo = _mm512_cvtpd_ps(_mm512_mul_pd(vk[q][0], v0));
      __m256 hi = _mm512_cvtpd_ps(_mm512_mul_pd(vk[q][1], v1));
      _mm512_storeu_ps(grad_in + base + ch,
                       _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(lo)),
                                                          _mm256_castps_pd(hi), 1)));
    }
  });
}

static inline __attribute__((always_inline)) void bnq_backward_input(
    const int8k_conv_desc *d, const float *grad_pooled, const int32_t *argmax, const float *x, const float *mean,
    const float *inv_scale, const float *gamma, const float *beta, int relu, const double *a, const double *bq,
    const double *k, float *grad_in) {
  const int64_t c = d->c, c16 = c & ~(int64_t)15;
  BNQ_CHANNEL_GROUPS(c16, bnq_input_blocks, d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, relu, a, bq, k,
                     grad_in);
  if (c16 < c) ops_bn_max_pool_backward_input(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, c16, relu, a, bq,
                                              k, grad_in);
}

static void avx512_bn_max_pool_backward_input(const int8k_conv_desc *d, const float *grad_pooled,
                                              const int32_t *argmax, const float *x, const float *mean,
                                              const float *inv_scale, const float *gamma, const float *beta,
                                              int relu, const double *a, const double *b, const double *k,
                                              float *grad_in) {
  if (relu) {
    bnq_backward_input(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 1, a, b, k, grad_in);
  } else {
    bnq_backward_input(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 0, a, b, k, grad_in);
  }
}

/* bn_statistics' second pass (bn_deviations) with the same register-held sums: channels [c0, c0 + 16 * NB)
 * over every row, ascending, around the means given (the generic kernel's operations). */
static inline __attribute__((always_inline)) void bnq_deviation_blocks(int64_t c0, const int NB, int64_t rows,
                                                                       int64_t c, const float *x, const double *mean,
                                                                       double *m2, double *absdev) {
  __m512d mu[4][2], sq[4][2], ab[4][2];
  for (int q = 0; q < NB; q++)
    for (int e = 0; e < 2; e++) {
      mu[q][e] = _mm512_loadu_pd(mean + c0 + 16 * q + 8 * e);
      sq[q][e] = ab[q][e] = _mm512_setzero_pd();
    }
  const __m512d no_sign = _mm512_castsi512_pd(_mm512_set1_epi64(0x7fffffffffffffffLL));
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * c + c0;
    for (int q = 0; q < NB; q++) {
      __m512 v = _mm512_loadu_ps(xr + 16 * q);
      __m512d d0 = _mm512_sub_pd(bnq_lo(v), mu[q][0]), d1 = _mm512_sub_pd(bnq_hi(v), mu[q][1]);
      sq[q][0] = _mm512_add_pd(sq[q][0], _mm512_mul_pd(d0, d0));
      sq[q][1] = _mm512_add_pd(sq[q][1], _mm512_mul_pd(d1, d1));
      ab[q][0] = _mm512_add_pd(ab[q][0], _mm512_and_pd(d0, no_sign));
      ab[q][1] = _mm512_add_pd(ab[q][1], _mm512_and_pd(d1, no_sign));
    }
  }
  for (int q = 0; q < NB; q++)
    for (int e = 0; e < 2; e++) {
      _mm512_storeu_pd(m2 + c0 + 16 * q + 8 * e, sq[q][e]);
      _mm512_storeu_pd(absdev + c0 + 16 * q + 8 * e, ab[q][e]);
    }
}

/* bn_statistics: the means of channels [c0, c0 + 16 * NB) with register-held sums, then their deviations. */
static inline __attribute__((always_inline)) void bnq_statistics_blocks(int64_t c0, const int NB, int64_t rows,
                                                                        int64_t c, const float *x, double *mean,
                                                                        double *m2, double *absdev) {
  __m512d s[4][2];
  for (int q = 0; q < NB; q++) s[q][0] = s[q][1] = _mm512_setzero_pd();
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * c + c0;
    for (int q = 0; q < NB; q++) {
      __m512 v = _mm512_loadu_ps(xr + 16 * q);
      s[q][0] = _mm512_add_pd(s[q][0], bnq_lo(v));
      s[q][1] = _mm512_add_pd(s[q][1], bnq_hi(v));
    }
  }
  const __m512d n = _mm512_set1_pd((double)rows);
  for (int q = 0; q < NB; q++)
    for (int e = 0; e < 2; e++) _mm512_storeu_pd(mean + c0 + 16 * q + 8 * e, _mm512_div_pd(s[q][e], n));
  bnq_deviation_blocks(c0, NB, rows, c, x, mean, m2, absdev);
}

/* the deviations of the channels past the last multiple of sixteen: the generic loops, restricted to them */
static inline void bnq_deviations_tail(int64_t rows, int64_t c, int64_t from, const float *x, const double *mean,
                                       double *m2, double *absdev) {
  for (int64_t ch = from; ch < c; ch++) m2[ch] = absdev[ch] = 0.0;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t ch = from; ch < c; ch++) {
      double dv = (double)x[r * c + ch] - mean[ch];
      m2[ch] += dv * dv;
      absdev[ch] += fabs(dv);
    }
}

static void avx512_bn_statistics(int64_t rows, int64_t c, const float *x, double *mean, double *m2,
                                 double *absdev) {
  const int64_t c16 = c & ~(int64_t)15;
  BNQ_CHANNEL_GROUPS(c16, bnq_statistics_blocks, rows, c, x, mean, m2, absdev);
  if (c16 == c) return;
  for (int64_t ch = c16; ch < c; ch++) mean[ch] = 0.0;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t ch = c16; ch < c; ch++) mean[ch] += (double)x[r * c + ch];
  for (int64_t ch = c16; ch < c; ch++) mean[ch] /= (double)rows;
  bnq_deviations_tail(rows, c, c16, x, mean, m2, absdev);
}

static void avx512_bn_deviations(int64_t rows, int64_t c, const float *x, const double *mean, double *m2,
                                 double *absdev) {
  const int64_t c16 = c & ~(int64_t)15;
  BNQ_CHANNEL_GROUPS(c16, bnq_deviation_blocks, rows, c, x, mean, m2, absdev);
  if (c16 < c) bnq_deviations_tail(rows, c, c16, x, mean, m2, absdev);
}

/* The unfused batch-norm backward (a bn not followed by a tiling max-pool) with the same register-held
 * sums and per-channel numbers: bn_backward_sums and bn_backward_input of ops_generic.h, rows ascending. */
static inline __attribute__((always_inline)) void bnq_plain_sums_blocks(
    int64_t c0, const int NB, int64_t rows, int64_t c, const float *g, const float *x, const float *mean,
    const float *inv_scale, const float *gamma, const float *beta, int relu, double *sum_g, double *sum_gh) {
  __m512d acc[4][4];
  for (int q = 0; q < NB; q++)
    for (int r = 0; r < 4; r++) acc[q][r] = _mm512_setzero_pd();
  for (int64_t r = 0; r < rows; r++) {
    for (int q = 0; q < NB; q++) {
      int64_t ch = c0 + 16 * q, at = r * c + ch;
      __m512 h = bnq_xhat(_mm512_loadu_ps(x + at), _mm512_loadu_ps(mean + ch), _mm512_loadu_ps(inv_scale + ch));
      __m512 gv = _mm512_loadu_ps(g + at);
      if (relu)
        gv = _mm512_maskz_mov_ps(bnq_positive(bnq_affine(h, _mm512_loadu_ps(gamma + ch), _mm512_loadu_ps(beta + ch))),
                                 gv);
      bnq_add_sums(acc[q], gv, h);
    }
  }
  for (int q = 0; q < NB; q++) bnq_store_sums(acc[q], c0 + 16 * q, sum_g, sum_gh);
}

static inline __attribute__((always_inline)) void bnq_plain_sums(int64_t rows, int64_t c, const float *g,
                                                                 const float *x, const float *mean,
                                                                 const float *inv_scale, const float *gamma,
                                                                 const float *beta, int relu, double *sum_g,
                                                                 double *sum_gh) {
  const int64_t c16 = c & ~(int64_t)15;
  BNQ_CHANNEL_GROUPS(c16, bnq_plain_sums_blocks, rows, c, g, x, mean, inv_scale, gamma, beta, relu, sum_g, sum_gh);
  for (int64_t ch = c16; ch < c; ch++) sum_g[ch] = sum_gh[ch] = 0.0;
  for (int64_t r = 0; r < rows && c16 < c; r++)
    for (int64_t ch = c16; ch < c; ch++) {
      float h = (x[r * c + ch] - mean[ch]) * inv_scale[ch];
      double gv = (double)ops_bn_error(g[r * c + ch], h, gamma[ch], beta[ch], relu);
      sum_g[ch] += gv;
      sum_gh[ch] += gv * (double)h;
    }
}

static void avx512_bn_backward_sums(int64_t rows, int64_t c, const float *g, const float *x, const float *mean,
                                    const float *inv_scale, const float *gamma, const float *beta, int relu,
                                    double *sum_g, double *sum_gh) {
  if (relu) {
    bnq_plain_sums(rows, c, g, x, mean, inv_scale, gamma, beta, 1, sum_g, sum_gh);
  } else {
    bnq_plain_sums(rows, c, g, x, mean, inv_scale, gamma, beta, 0, sum_g, sum_gh);
  }
}

#define OPS_BN_AVX512_KERNELS                                                                         \
  .bn_max_pool = avx512_bn_max_pool, .bn_max_pool_backward_sums = avx512_bn_max_pool_backward_sums,       \
  .bn_max_pool_backward_input = avx512_bn_max_pool_backward_input, .bn_statistics = avx512_bn_statistics,  \
  .bn_deviations = avx512_bn_deviations, .bn_backward_sums = avx512_bn_backward_sums,

#endif
