/*
 * conv_direct_avx2.h - AVX2 kernels of the direct stem convolution ops (conv_s8_direct,
 * conv_grad_weight_f32_direct), included by ops_avx2.c. The same scheme as conv_direct_avx512.h with 8
 * lanes a register and 16 registers: both keep 32 output channels in 4 registers, the gradient for 2
 * window cells at a time (8 accumulators). Partial channel blocks go through small zero-padded copies
 * instead of masked loads and stores. Bit-identical to the generic kernels of ops_conv_direct.h for the reasons
 * given on the AVX-512 versions.
 */
#ifndef INT8K_CONV_DIRECT_AVX2_H
#define INT8K_CONV_DIRECT_AVX2_H

#include <immintrin.h>

#include "ops_generic.h"

#define AVX2_DIRECT_OC 32 /* output channels per pass: 4 registers */


static inline void avx2_direct_next(int64_t oh, int64_t ow, int64_t *b, int64_t *oy, int64_t *ox) {
  if (++*ox == ow) {
    *ox = 0;
    if (++*oy == oh) {
      *oy = 0;
      ++*b;
    }
  }
}

/* Lane-wise in int8k_epilogue_apply's order; the exact window sum s is acc itself (see the AVX-512 note). */
static inline __m256 avx2_direct_epilogue(__m256 acc, __m256 alpha, const float *row_scale, int64_t r,
                                          const float *col, const float *bias, float beta, const float *old) {
  __m256 v = _mm256_mul_ps(acc, alpha);
  if (row_scale) v = _mm256_mul_ps(v, _mm256_set1_ps(row_scale[r]));
  if (col) v = _mm256_mul_ps(v, _mm256_loadu_ps(col));
  if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias));
  if (beta != 0.0f) v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(old)));
  return v;
}

static __attribute__((unused)) void avx2_conv_s8_direct(const int8k_conv_desc *d, const int8_t *src, int oc,
                                                        const int8_t *wei, float alpha, const float *row_scale,
                                                        const float *col_scale, const float *bias, float beta,
                                                        float *dst) {
  int64_t oh = ops_out_h(d), ow = ops_out_w(d), patch = d->kh * d->kw * d->c, rows = d->n * oh * ow;
  float xs[INT8K_DIRECT_MAX_PATCH];
  float wt[INT8K_DIRECT_MAX_PATCH][AVX2_DIRECT_OC] __attribute__((aligned(32)));
  float col[AVX2_DIRECT_OC], bia[AVX2_DIRECT_OC], part[AVX2_DIRECT_OC];
  ops_direct_window win;
  ops_direct_window_init(d, &win);
  const __m256 alpha_v = _mm256_set1_ps(alpha);
  memset(part, 0, sizeof part);
  for (int64_t o0 = 0; o0 < oc; o0 += AVX2_DIRECT_OC) {
    int64_t on = oc - o0 < AVX2_DIRECT_OC ? oc - o0 : AVX2_DIRECT_OC;
    int64_t nv = (on + 7) / 8; /* registers in use */
    for (int64_t t = 0; t < patch; t++)
      for (int64_t o = 0; o < AVX2_DIRECT_OC; o++) wt[t][o] = o < on ? (float)wei[(o0 + o) * patch + t] : 0.0f;
    for (int64_t o = 0; o < AVX2_DIRECT_OC; o++) {
      col[o] = col_scale && o < on ? col_scale[o0 + o] : 0.0f;
      bia[o] = bias && o < on ? bias[o0 + o] : 0.0f;
    }
    int64_t b = 0, oy = 0, ox = 0;
    for (int64_t r = 0; r < rows; r++, avx2_direct_next(oh, ow, &b, &oy, &ox)) {
      ops_direct_patch_s8(d, &win, src, b, oy, ox, xs);
      __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
      for (int64_t t = 0; t < patch; t++) {
        __m256 x = _mm256_set1_ps(xs[t]);
        for (int v = 0; v < 4; v++)
          if (v < nv) acc[v] = _mm256_fmadd_ps(x, _mm256_load_ps(wt[t] + 8 * v), acc[v]);
      }
      float *out = dst + r * oc + o0;
      /* a partial block works on a padded copy, so that no lane past the channels is read or written */
      float *io = on == AVX2_DIRECT_OC ? out : part;
      if (io == part && beta != 0.0f) memcpy(part, out, (size_t)on * sizeof(float));
      for (int v = 0; v < 4; v++)
        if (v < nv)
          _mm256_storeu_ps(io + 8 * v, avx2_direct_epilogue(acc[v], alpha_v, row_scale, r,
                                                            col_scale ? col + 8 * v : NULL,
                                                            bias ? bia + 8 * v : NULL, beta, io + 8 * v));
      if (io == part) memcpy(out, part, (size_t)on * sizeof(float));
    }
  }
}

static inline void avx2_direct_flush(__m256 part, double *total) {
  __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(part)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(part, 1));
  _mm256_storeu_pd(total, _mm256_add_pd(_mm256_loadu_pd(total), lo));
  _mm256_storeu_pd(total + 4, _mm256_add_pd(_mm256_loadu_pd(total + 4), hi));
}

/* One pass of the float chains of window cells [t, t + tn) (tn 1 or 2) over the rows of a sub-block:
 * xs holds the rows' patches, g their error rows (32 channels, zero-padded when fewer), part the chains
 * (row t of it for cell t), loaded into registers for the pass and stored back after it. */
static inline void avx2_direct_grad_pass(int tn, int64_t t, int64_t n, const float *xs, int64_t patch,
                                         const float *g, int64_t ldg, float (*part)[AVX2_DIRECT_OC]) {
  __m256 a[2][4];
  for (int k = 0; k < 4; k++) {
    a[0][k] = _mm256_loadu_ps(part[t] + 8 * k);
    a[1][k] = tn == 2 ? _mm256_loadu_ps(part[t + 1] + 8 * k) : a[0][k];
  }
  for (int64_t r = 0; r < n; r++) {
    const float *gr = g + r * ldg;
    __m256 g0 = _mm256_loadu_ps(gr), g1 = _mm256_loadu_ps(gr + 8), g2 = _mm256_loadu_ps(gr + 16),
           g3 = _mm256_loadu_ps(gr + 24);
    __m256 x = _mm256_set1_ps(xs[r * patch + t]);
    a[0][0] = _mm256_fmadd_ps(g0, x, a[0][0]);
    a[0][1] = _mm256_fmadd_ps(g1, x, a[0][1]);
    a[0][2] = _mm256_fmadd_ps(g2, x, a[0][2]);
    a[0][3] = _mm256_fmadd_ps(g3, x, a[0][3]);
    if (tn == 2) {
      x = _mm256_set1_ps(xs[r * patch + t + 1]);
      a[1][0] = _mm256_fmadd_ps(g0, x, a[1][0]);
      a[1][1] = _mm256_fmadd_ps(g1, x, a[1][1]);
      a[1][2] = _mm256_fmadd_ps(g2, x, a[1][2]);
      a[1][3] = _mm256_fmadd_ps(g3, x, a[1][3]);
    }
  }
  for (int k = 0; k < 4; k++) {
    _mm256_storeu_ps(part[t] + 8 * k, a[0][k]);
    if (tn == 2) _mm256_storeu_ps(part[t + 1] + 8 * k, a[1][k]);
  }
}

/* Rows per sub-block: their patches (up to 64 cells) and padded error rows stay in L1 while every pass
 * over the window's cells reads them. */
#define AVX2_DIRECT_SUB 64

/* The spec's chains, 32 channels at a time: a block of INT8K_DIRECT_GRAD_BLOCK rows is cut into sub-blocks
 * whose passes (two window cells each) continue each chain where the previous sub-block left it, in
 * ascending rows, so every chain is the spec's; the bias chain is one more pass. */
static __attribute__((unused)) void avx2_conv_grad_weight_f32_direct(const int8k_conv_desc *d, const float *src,
                                                                     int oc, const float *grad_out,
                                                                     float *grad_wei, float *grad_bias) {
  int64_t oh = ops_out_h(d), ow = ops_out_w(d), patch = d->kh * d->kw * d->c, rows = d->n * oh * ow;
  float xs[AVX2_DIRECT_SUB * INT8K_DIRECT_MAX_PATCH];
  float gpad[AVX2_DIRECT_SUB][AVX2_DIRECT_OC];
  float part[INT8K_DIRECT_MAX_PATCH][AVX2_DIRECT_OC], part_b[1][AVX2_DIRECT_OC];
  double total[INT8K_DIRECT_MAX_PATCH][AVX2_DIRECT_OC], total_b[AVX2_DIRECT_OC];
  ops_direct_window win;
  ops_direct_window_init(d, &win);
  memset(gpad, 0, sizeof gpad);
  for (int64_t o0 = 0; o0 < oc; o0 += AVX2_DIRECT_OC) {
    int64_t on = oc - o0 < AVX2_DIRECT_OC ? oc - o0 : AVX2_DIRECT_OC;
    memset(total, 0, sizeof total);
    memset(total_b, 0, sizeof total_b);
    int64_t b = 0, oy = 0, ox = 0;
    for (int64_t r0 = 0; r0 < rows; r0 += INT8K_DIRECT_GRAD_BLOCK) {
      int64_t r1 = rows - r0 < INT8K_DIRECT_GRAD_BLOCK ? rows : r0 + INT8K_DIRECT_GRAD_BLOCK;
      memset(part, 0, sizeof part);
      memset(part_b, 0, sizeof part_b);
      for (int64_t s0 = r0; s0 < r1; s0 += AVX2_DIRECT_SUB) {
        int64_t n = r1 - s0 < AVX2_DIRECT_SUB ? r1 - s0 : AVX2_DIRECT_SUB;
        for (int64_t r = 0; r < n; r++, avx2_direct_next(oh, ow, &b, &oy, &ox)) {
          ops_direct_patch_f32(d, &win, src, b, oy, ox, xs + r * patch);
          /* the next sub-block's error rows start streaming in now: the passes below would otherwise
           * wait on memory at every row of their first pass */
          if (s0 + n + r < rows)
            for (int64_t o = 0; o < on; o += 16)
              _mm_prefetch((const char *)(grad_out + (s0 + n + r) * oc + o0 + o), _MM_HINT_T0);
        }
        const float *g = grad_out + s0 * oc + o0;
        int64_t ldg = oc;
        if (on < AVX2_DIRECT_OC) { /* the padded lanes stay +0 */
          for (int64_t r = 0; r < n; r++) memcpy(gpad[r], g + r * oc, (size_t)on * sizeof(float));
          g = gpad[0];
          ldg = AVX2_DIRECT_OC;
        }
        for (int64_t t = 0; t < patch; t += 2) avx2_direct_grad_pass(patch - t >= 2 ? 2 : 1, t, n, xs, patch, g, ldg, part);
        /* the bias chains: part_b = part_b + g, rows ascending */
        for (int64_t r = 0; r < n; r++)
          for (int k = 0; k < 4; k++)
            _mm256_storeu_ps(part_b[0] + 8 * k,
                             _mm256_add_ps(_mm256_loadu_ps(part_b[0] + 8 * k), _mm256_loadu_ps(g + r * ldg + 8 * k)));
      }
      for (int64_t t = 0; t < patch; t++)
        for (int k = 0; k < 4; k++) avx2_direct_flush(_mm256_loadu_ps(part[t] + 8 * k), total[t] + 8 * k);
      for (int k = 0; k < 4; k++) avx2_direct_flush(_mm256_loadu_ps(part_b[0] + 8 * k), total_b + 8 * k);
    }
    for (int64_t o = 0; o < on; o++) {
      grad_bias[o0 + o] = (float)total_b[o];
      for (int64_t t = 0; t < patch; t++) grad_wei[(o0 + o) * patch + t] = (float)total[t][o];
    }
  }
}

OPS_CONV_S8_DIRECT_SUMS(avx2_conv_s8_direct_sums, avx2_conv_s8_direct)

#define OPS_CONV_DIRECT_AVX2_KERNELS                                                                       \
  .conv_s8_direct = avx2_conv_s8_direct, .conv_grad_weight_f32_direct = avx2_conv_grad_weight_f32_direct,        \
  .conv_s8_direct_sums = avx2_conv_s8_direct_sums,

#endif /* INT8K_CONV_DIRECT_AVX2_H */
