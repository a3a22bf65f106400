/*
 * ops_bn_pool_avx2.h - AVX2 kernels of batch norm fused with its max-pool (bn_max_pool and its two
 * backward ops; int8k_ops.def and ops_generic.h define them). Included by ops_avx2.c, so the AVX-512 path
 * gets them too (compiled with its flags), where ops_bn_avx512.h replaces them. Eight channels per vector,
 * the channels past the last multiple of eight by the scalar expressions of ops_generic.h; every float and
 * double operation is the one the generic kernel performs on that element, in the same order (no
 * contraction: -ffp-contract=off, and intrinsics are not reassociated), so the results are bit-identical.
 * The forward walks each output row's windows one window row at a time, so the input streams in order;
 * the backward walks input pixels in order (the order of every per-channel sum) with no division per
 * pixel. Measured on a Zen 5 with AVX2 flags only (cnn-small's first bn, batch 256): forward 1.9 ms
 * against 4.7 for bn_normalize + max_pool_f32, backward 6.5 against 8.5 with max_pool_backward.
 */
#ifndef OPS_BN_POOL_AVX2_H
#define OPS_BN_POOL_AVX2_H

#include <immintrin.h>

#include "ops_generic.h"

/* all ones where the bits of v lie in [1, 0x7f800000] (v > 0, +inf included), else 0: ops_positive_mask */
static inline __m256 bnp_positive_mask(__m256 v) {
  __m256i b = _mm256_castps_si256(v);
  return _mm256_castsi256_ps(_mm256_and_si256(_mm256_cmpgt_epi32(b, _mm256_setzero_si256()),
                                              _mm256_cmpgt_epi32(_mm256_set1_epi32(0x7f800001), b)));
}

static inline __m256 bnp_rectify(__m256 v) { return _mm256_and_ps(v, bnp_positive_mask(v)); }

/* xhat = (x - mean) * inv_scale, in float */
static inline __m256 bnp_xhat(__m256 x, __m256 mean, __m256 inv) {
  return _mm256_mul_ps(_mm256_sub_ps(x, mean), inv);
}

/* gamma * xhat + beta, in float */
static inline __m256 bnp_affine(__m256 h, __m256 gamma, __m256 beta) {
  return _mm256_add_ps(_mm256_mul_ps(gamma, h), beta);
}

static inline __m256i bnp_lane_index(int64_t first) {
  return _mm256_add_epi32(_mm256_set1_epi32((int32_t)first), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* One window row (i) of every window of output row oy at a time, so x streams in order; the windows of the
 * output row (pooled and argmax, in L1) are combined cell by cell in the order max_pool_f32 scans them
 * (i, then j, ascending), so each window sees the same sequence of comparisons. */
static inline __attribute__((always_inline)) void bnp_max_pool(const int8k_conv_desc *d, const float *x,
                                                               const float *mean, const float *inv_scale,
                                                               const float *gamma, const float *beta, int relu,
                                                               float *pooled, int32_t *argmax) {
  const int64_t oh = ops_out_h(d), ow = ops_out_w(d), c = d->c, c8 = c & ~(int64_t)7;
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
            for (int64_t ch = 0; ch < c8; ch += 8) {
              __m256 v = bnp_affine(bnp_xhat(_mm256_loadu_ps(x + base + ch), _mm256_loadu_ps(mean + ch),
                                             _mm256_loadu_ps(inv_scale + ch)),
                                    _mm256_loadu_ps(gamma + ch), _mm256_loadu_ps(beta + ch));
              if (relu) v = bnp_rectify(v);
              __m256i at = bnp_lane_index(base + ch);
              if (seed) {
                _mm256_storeu_ps(out + ch, v);
                _mm256_storeu_si256((__m256i *)(am + ch), at);
              } else {
                __m256 cur = _mm256_loadu_ps(out + ch);
                __m256 win = _mm256_cmp_ps(v, cur, _CMP_GT_OQ); /* v > cur: false when either is NaN */
                _mm256_storeu_ps(out + ch, _mm256_blendv_ps(cur, v, win));
                __m256 a = _mm256_loadu_ps((const float *)(am + ch));
                _mm256_storeu_ps((float *)(am + ch), _mm256_blendv_ps(a, _mm256_castsi256_ps(at), win));
              }
            }
            for (int64_t ch = c8; ch < c; ch++) {
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

static void avx2_bn_max_pool(const int8k_conv_desc *d, const float *x, const float *mean, const float *inv_scale,
                             const float *gamma, const float *beta, int relu, float *pooled, int32_t *argmax) {
  if (relu) {
    bnp_max_pool(d, x, mean, inv_scale, gamma, beta, 1, pooled, argmax);
  } else {
    bnp_max_pool(d, x, mean, inv_scale, gamma, beta, 0, pooled, argmax);
  }
}

/* The error of the eight elements [base + ch, base + ch + 8) of a pixel in window o0 (its first channel's
 * pooled index; o0 < 0: in no window): 0.0f + grad_pooled where argmax names the element, else +0; then
 * masked by the forward output when relu. */
static inline __m256 bnp_error(int64_t o0, int64_t base, int64_t ch, const float *grad_pooled,
                               const int32_t *argmax, __m256 h, __m256 gamma, __m256 beta, int relu) {
  if (o0 < 0) return _mm256_setzero_ps();
  __m256i am = _mm256_loadu_si256((const __m256i *)(argmax + o0 + ch));
  __m256i hit = _mm256_cmpeq_epi32(am, bnp_lane_index(base + ch));
  __m256 g = _mm256_add_ps(_mm256_setzero_ps(), _mm256_loadu_ps(grad_pooled + o0 + ch));
  g = _mm256_and_ps(g, _mm256_castsi256_ps(hit));
  if (relu) g = _mm256_and_ps(g, bnp_positive_mask(bnp_affine(h, gamma, beta)));
  return g;
}

static inline __m256d bnp_lo(__m256 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
static inline __m256d bnp_hi(__m256 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }

static inline __attribute__((always_inline)) void bnp_backward_sums(
    const int8k_conv_desc *d, const float *grad_pooled, const int32_t *argmax, const float *x, const float *mean,
    const float *inv_scale, const float *gamma, const float *beta, int relu, double *sum_g, double *sum_gh) {
  const int64_t c = d->c, c8 = c & ~(int64_t)7;
  for (int64_t ch = 0; ch < c8; ch++) sum_g[ch] = sum_gh[ch] = 0.0;
  OPS_BN_POOL_FOR_EACH_PIXEL(d, {
    for (int64_t ch = 0; ch < c8; ch += 8) {
      __m256 h = bnp_xhat(_mm256_loadu_ps(x + base + ch), _mm256_loadu_ps(mean + ch),
                          _mm256_loadu_ps(inv_scale + ch));
      __m256 g = bnp_error(o0, base, ch, grad_pooled, argmax, h, _mm256_loadu_ps(gamma + ch),
                           _mm256_loadu_ps(beta + ch), relu);
      __m256d g0 = bnp_lo(g), g1 = bnp_hi(g);
      _mm256_storeu_pd(sum_g + ch, _mm256_add_pd(_mm256_loadu_pd(sum_g + ch), g0));
      _mm256_storeu_pd(sum_g + ch + 4, _mm256_add_pd(_mm256_loadu_pd(sum_g + ch + 4), g1));
      _mm256_storeu_pd(sum_gh + ch, _mm256_add_pd(_mm256_loadu_pd(sum_gh + ch), _mm256_mul_pd(g0, bnp_lo(h))));
      _mm256_storeu_pd(sum_gh + ch + 4,
                       _mm256_add_pd(_mm256_loadu_pd(sum_gh + ch + 4), _mm256_mul_pd(g1, bnp_hi(h))));
    }
  });
  /* the channels past the last multiple of eight: the generic kernel, restricted to them */
  if (c8 < c) ops_bn_max_pool_backward_sums(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, c8, relu, sum_g,
                                            sum_gh);
}

static void avx2_bn_max_pool_backward_sums(const int8k_conv_desc *d, const float *grad_pooled, const int32_t *argmax,
                                           const float *x, const float *mean, const float *inv_scale,
                                           const float *gamma, const float *beta, int relu, double *sum_g,
                                           double *sum_gh) {
  if (relu) {
    bnp_backward_sums(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 1, sum_g, sum_gh);
  } else {
    bnp_backward_sums(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 0, sum_g, sum_gh);
  }
}

/* (float)(k * ((double)g - a - (double)h * b)) for four channels */
static inline __m128 bnp_input4(__m256d g, __m256d h, const double *a, const double *b, const double *k) {
  __m256d v = _mm256_sub_pd(_mm256_sub_pd(g, _mm256_loadu_pd(a)), _mm256_mul_pd(h, _mm256_loadu_pd(b)));
  return _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_loadu_pd(k), v));
}

static inline __attribute__((always_inline)) void bnp_backward_input(
    const int8k_conv_desc *d, const float *grad_pooled, const int32_t *argmax, const float *x, const float *mean,
    const float *inv_scale, const float *gamma, const float *beta, int relu, const double *a, const double *bq,
    const double *k, float *grad_in) {
  const int64_t c = d->c, c8 = c & ~(int64_t)7;
  OPS_BN_POOL_FOR_EACH_PIXEL(d, {
    for (int64_t ch = 0; ch < c8; ch += 8) {
      __m256 h = bnp_xhat(_mm256_loadu_ps(x + base + ch), _mm256_loadu_ps(mean + ch),
                          _mm256_loadu_ps(inv_scale + ch));
      __m256 g = bnp_error(o0, base, ch, grad_pooled, argmax, h, _mm256_loadu_ps(gamma + ch),
                           _mm256_loadu_ps(beta + ch), relu);
      __m128 lo = bnp_input4(bnp_lo(g), bnp_lo(h), a + ch, bq + ch, k + ch);
      __m128 hi = bnp_input4(bnp_hi(g), bnp_hi(h), a + ch + 4, bq + ch + 4, k + ch + 4);
      _mm256_storeu_ps(grad_in + base + ch, _mm256_set_m128(hi, lo));
    }
  });
  if (c8 < c) ops_bn_max_pool_backward_input(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, c8, relu, a, bq, k,
                                             grad_in);
}

static void avx2_bn_max_pool_backward_input(const int8k_conv_desc *d, const float *grad_pooled,
                                            const int32_t *argmax, const float *x, const float *mean,
                                            const float *inv_scale, const float *gamma, const float *beta,
                                            int relu, const double *a, const double *b, const double *k,
                                            float *grad_in) {
  if (relu) {
    bnp_backward_input(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 1, a, b, k, grad_in);
  } else {
    bnp_backward_input(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 0, a, b, k, grad_in);
  }
}

#define OPS_BN_POOL_AVX2_KERNELS                                                                           \
  .bn_max_pool = avx2_bn_max_pool, .bn_max_pool_backward_sums = avx2_bn_max_pool_backward_sums,           \
  .bn_max_pool_backward_input = avx2_bn_max_pool_backward_input,

#endif
