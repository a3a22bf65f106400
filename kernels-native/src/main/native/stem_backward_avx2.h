/*
 * stem_backward_avx2.h - the AVX2 kernel of bn_max_pool_backward_moments (int8k_ops.def; the generic kernel
 * and the reasons are in ops_stem_backward.h), included by ops_avx2.c after ops_bn_pool_avx2.h, whose error
 * helpers it uses. Per pixel, eight channels per vector compute xhat, the error and the batch norm's two sums;
 * then every tap's moments are updated, channels innermost, with the chains in an L1-resident block (sixteen
 * registers hold too few of them). Each lane runs the generic kernel's operations on its channel in its
 * order, so the results are bit-identical; channels past the last multiple of eight get the generic kernel.
 */
#ifndef INT8K_STEM_BACKWARD_AVX2_H
#define INT8K_STEM_BACKWARD_AVX2_H

#include <immintrin.h>

/* Channels [from, to) (a multiple of eight of them, at most OPS_DIRECT_OC_BLOCK) in one walk over the
 * pixels; with_window: window_sum's chains ride along. */
static inline __attribute__((always_inline)) void avx2_stem_channels(
    const int8k_conv_desc *d, const float *src, int64_t oc, int64_t pool, const float *grad_pooled,
    const int32_t *argmax, const float *x, const float *mean, const float *inv_scale, const float *gamma,
    const float *beta, int relu, int64_t from, int64_t to, int with_window, const ops_stem_sums *s) {
  const int64_t patch = d->kh * d->kw * d->c, rows = d->n * ops_out_h(d) * ops_out_w(d), on = to - from;
  float xs[INT8K_DIRECT_MAX_PATCH] __attribute__((aligned(32)));
  float part_g[INT8K_DIRECT_MAX_PATCH][OPS_DIRECT_OC_BLOCK] __attribute__((aligned(32)));
  float part_h[INT8K_DIRECT_MAX_PATCH][OPS_DIRECT_OC_BLOCK] __attribute__((aligned(32)));
  float part_sg[OPS_DIRECT_OC_BLOCK] __attribute__((aligned(32)));
  float part_sgh[OPS_DIRECT_OC_BLOCK] __attribute__((aligned(32)));
  float part_w[INT8K_DIRECT_MAX_PATCH] __attribute__((aligned(32)));
  float hv[OPS_DIRECT_OC_BLOCK] __attribute__((aligned(32))), gv[OPS_DIRECT_OC_BLOCK] __attribute__((aligned(32)));
  memset(part_g, 0, sizeof part_g);
  memset(part_h, 0, sizeof part_h);
  memset(part_sg, 0, sizeof part_sg);
  memset(part_sgh, 0, sizeof part_sgh);
  memset(part_w, 0, sizeof part_w);
  for (int64_t ch = from; ch < to; ch++) {
    s->sum_g[ch] = s->sum_gh[ch] = 0.0;
    for (int64_t t = 0; t < patch; t++) s->moment_g[ch * patch + t] = s->moment_h[ch * patch + t] = 0.0;
  }
  if (with_window)
    for (int64_t t = 0; t < patch; t++) s->window_sum[t] = 0.0;
  ops_direct_window win;
  ops_direct_window_init(d, &win);
  OPS_STEM_FOR_EACH_PIXEL(d, oc, pool, {
    ops_direct_patch_f32(d, &win, src, b, oy, ox, xs);
    for (int64_t o = 0; o < on; o += 8) {
      const int64_t ch = from + o;
      __m256 h = bnp_xhat(_mm256_loadu_ps(x + base + ch), _mm256_loadu_ps(mean + ch), _mm256_loadu_ps(inv_scale + ch));
      __m256 g = bnp_error(o0, base, ch, grad_pooled, argmax, h, _mm256_loadu_ps(gamma + ch), _mm256_loadu_ps(beta + ch),
                           relu);
      _mm256_store_ps(part_sg + o, _mm256_add_ps(_mm256_load_ps(part_sg + o), g));
      _mm256_store_ps(part_sgh + o, _mm256_fmadd_ps(g, h, _mm256_load_ps(part_sgh + o)));
      _mm256_store_ps(hv + o, h);
      _mm256_store_ps(gv + o, g);
    }
    for (int64_t t = 0; t < patch; t++) {
      const __m256 cell = _mm256_set1_ps(xs[t]);
      for (int64_t o = 0; o < on; o += 8) {
        _mm256_store_ps(part_g[t] + o, _mm256_fmadd_ps(_mm256_load_ps(gv + o), cell, _mm256_load_ps(part_g[t] + o)));
        _mm256_store_ps(part_h[t] + o, _mm256_fmadd_ps(_mm256_load_ps(hv + o), cell, _mm256_load_ps(part_h[t] + o)));
      }
    }
    if (with_window)
      for (int64_t t = 0; t < patch; t++) part_w[t] = part_w[t] + xs[t];
    if (ops_stem_block_ends(r, rows)) {
      for (int64_t o = 0; o < on; o++) {
        const int64_t ch = from + o;
        s->sum_g[ch] += (double)part_sg[o];
        s->sum_gh[ch] += (double)part_sgh[o];
        part_sg[o] = part_sgh[o] = 0.0f;
        for (int64_t t = 0; t < patch; t++) {
          s->moment_g[ch * patch + t] += (double)part_g[t][o];
          s->moment_h[ch * patch + t] += (double)part_h[t][o];
          part_g[t][o] = part_h[t][o] = 0.0f;
        }
      }
      if (with_window)
        for (int64_t t = 0; t < patch; t++) {
          s->window_sum[t] += (double)part_w[t];
          part_w[t] = 0.0f;
        }
    }
  });
}

static inline __attribute__((always_inline)) void avx2_stem_moments(
    const int8k_conv_desc *d, const float *src, int oc, int pool, const float *grad_pooled, const int32_t *argmax,
    const float *x, const float *mean, const float *inv_scale, const float *gamma, const float *beta, int relu,
    double *out) {
  const int64_t patch = d->kh * d->kw * d->c, c8 = oc & ~(int64_t)7;
  ops_stem_sums s = ops_stem_sums_of(out, oc, patch);
  for (int64_t from = 0; from < c8; from += OPS_DIRECT_OC_BLOCK) {
    int64_t to = c8 - from < OPS_DIRECT_OC_BLOCK ? c8 : from + OPS_DIRECT_OC_BLOCK;
    avx2_stem_channels(d, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, relu, from, to,
                       from == 0, &s);
  }
  if (c8 < oc)
    ops_stem_moments_channels(d, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, relu, c8, oc,
                              &s);
  if (c8 == 0) ops_stem_window_sums(d, src, s.window_sum); /* else the first block summed it */
}

static __attribute__((unused)) void avx2_bn_max_pool_backward_moments(const int8k_conv_desc *d, const float *src, int oc, int pool,
                                              const float *grad_pooled, const int32_t *argmax, const float *x,
                                              const float *mean, const float *inv_scale, const float *gamma,
                                              const float *beta, int relu, double *out) {
  if (relu) {
    avx2_stem_moments(d, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 1, out);
  } else {
    avx2_stem_moments(d, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 0, out);
  }
}

#endif /* INT8K_STEM_BACKWARD_AVX2_H */
