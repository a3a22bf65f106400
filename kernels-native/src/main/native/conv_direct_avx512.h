/*
 * conv_direct_avx512.h - AVX-512 kernels of the direct stem convolution ops (conv_s8_direct,
 * conv_grad_weight_f32_direct), included by ops_avx512vnni.c. Both vectorize across output channels, 16 per
 * zmm register, in blocks of 32 (two registers, masked at the tail), and keep every per-channel sum in
 * registers; they are bit-identical to the generic kernels of ops_conv_direct.h (see the notes there and on
 * each function).
 */
#ifndef INT8K_CONV_DIRECT_AVX512_H
#define INT8K_CONV_DIRECT_AVX512_H

#include <immintrin.h>

#include "ops_generic.h"

/* Output channels per pass: two registers of 16 lanes. */
#define AVX512_DIRECT_OC 32

/* Lanes [0, n) of a 16-lane register (n may be <= 0 or > 16). */
static inline __mmask16 avx512_direct_lanes(int64_t n) {
  return n <= 0 ? 0 : n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}

/* The output pixel after (b, oy, ox) in row order. */
static inline void avx512_direct_next(int64_t oh, int64_t ow, int64_t *b, int64_t *oy, int64_t *ox) {
  if (++*ox == ow) {
    *ox = 0;
    if (++*oy == oh) {
      *oy = 0;
      ++*b;
    }
  }
}

/* The forward's window sums are FMAs of integer-valued floats whose exact results are integers below 2^20
 * in magnitude (see generic_conv_s8_direct), so each FMA is exact and the sum is the spec's integer s,
 * whatever the order; (float) s is then the register itself. The epilogue applies int8k_epilogue_apply's
 * operations one by one, lane-wise, in its order (separate multiplies and adds: no contraction). */
static inline __attribute__((always_inline)) void avx512_conv_s8_direct_impl(
    const int8k_conv_desc *d, const int8_t *src, int oc, const int8_t *wei, float alpha, const float *row_scale,
    const float *col_scale, const float *bias, float beta, float *dst, double *col_sums) {
  int64_t oh = ops_out_h(d), ow = ops_out_w(d), patch = d->kh * d->kw * d->c;
  float xs[INT8K_DIRECT_MAX_PATCH];
  float wt[INT8K_DIRECT_MAX_PATCH][AVX512_DIRECT_OC] __attribute__((aligned(64)));
  ops_direct_window win;
  ops_direct_window_init(d, &win);
  const __m512 alpha_v = _mm512_set1_ps(alpha), beta_v = _mm512_set1_ps(beta);
  for (int64_t o0 = 0; o0 < oc; o0 += AVX512_DIRECT_OC) {
    int64_t on = oc - o0 < AVX512_DIRECT_OC ? oc - o0 : AVX512_DIRECT_OC;
    const __mmask16 m0 = avx512_direct_lanes(on), m1 = avx512_direct_lanes(on - 16);
    const int two = on > 16;
    for (int64_t t = 0; t < patch; t++)
      for (int64_t o = 0; o < AVX512_DIRECT_OC; o++) wt[t][o] = o < on ? (float)wei[(o0 + o) * patch + t] : 0.0f;
    __m512 col0 = _mm512_setzero_ps(), col1 = col0, bias0 = col0, bias1 = col0;
    if (col_scale) {
      col0 = _mm512_maskz_loadu_ps(m0, col_scale + o0);
      col1 = _mm512_maskz_loadu_ps(m1, col_scale + o0 + 16);
    }
    if (bias) {
      bias0 = _mm512_maskz_loadu_ps(m0, bias + o0);
      bias1 = _mm512_maskz_loadu_ps(m1, bias + o0 + 16);
    }
    int64_t b = 0, oy = 0, ox = 0, rows = d->n * oh * ow;
    __m512d sum[4] = {_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd()};
    for (int64_t r = 0; r < rows; r++, avx512_direct_next(oh, ow, &b, &oy, &ox)) {
      ops_direct_patch_s8(d, &win, src, b, oy, ox, xs);
      __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0;
      for (int64_t t = 0; t < patch; t++) {
        __m512 x = _mm512_set1_ps(xs[t]);
        acc0 = _mm512_fmadd_ps(x, _mm512_load_ps(wt[t]), acc0);
        if (two) acc1 = _mm512_fmadd_ps(x, _mm512_load_ps(wt[t] + 16), acc1);
      }
      float *out = dst + r * oc + o0;
      __m512 v0 = _mm512_mul_ps(acc0, alpha_v), v1 = _mm512_mul_ps(acc1, alpha_v);
      if (row_scale) {
        __m512 s = _mm512_set1_ps(row_scale[r]);
        v0 = _mm512_mul_ps(v0, s);
        v1 = _mm512_mul_ps(v1, s);
      }
      if (col_scale) {
        v0 = _mm512_mul_ps(v0, col0);
        v1 = _mm512_mul_ps(v1, col1);
      }
      if (bias) {
        v0 = _mm512_add_ps(v0, bias0);
        v1 = _mm512_add_ps(v1, bias1);
      }
      if (beta != 0.0f) {
        v0 = _mm512_add_ps(v0, _mm512_mul_ps(beta_v, _mm512_maskz_loadu_ps(m0, out)));
        v1 = _mm512_add_ps(v1, _mm512_mul_ps(beta_v, _mm512_maskz_loadu_ps(m1, out + 16)));
      }
      if (on == AVX512_DIRECT_OC) { // whole registers: plain stores, which are much faster than masked ones
        _mm512_storeu_ps(out, v0);
        _mm512_storeu_ps(out + 16, v1);
      } else {
        _mm512_mask_storeu_ps(out, m0, v0);
        if (two) _mm512_mask_storeu_ps(out + 16, m1, v1);
      }
      if (col_sums) { /* sums[o] += (double)dst[r][o], rows ascending: lane-wise the generic sums */
        sum[0] = _mm512_add_pd(sum[0], _mm512_cvtps_pd(_mm512_castps512_ps256(v0)));
        sum[1] = _mm512_add_pd(sum[1], _mm512_cvtps_pd(_mm512_extractf32x8_ps(v0, 1)));
        sum[2] = _mm512_add_pd(sum[2], _mm512_cvtps_pd(_mm512_castps512_ps256(v1)));
        sum[3] = _mm512_add_pd(sum[3], _mm512_cvtps_pd(_mm512_extractf32x8_ps(v1, 1)));
      }
    }
    if (col_sums) {
      double lanes[AVX512_DIRECT_OC] __attribute__((aligned(64)));
      for (int k = 0; k < 4; k++) _mm512_store_pd(lanes + 8 * k, sum[k]);
      for (int64_t o = 0; o < on; o++) col_sums[o0 + o] = lanes[o];
    }
  }
}

static void avx512_conv_s8_direct(const int8k_conv_desc *d, const int8_t *src, int oc, const int8_t *wei,
                                  float alpha, const float *row_scale, const float *col_scale,
                                  const float *bias, float beta, float *dst) {
  avx512_conv_s8_direct_impl(d, src, oc, wei, alpha, row_scale, col_scale, bias, beta, dst, NULL);
}

/* conv_s8_direct_sums: the sums taken from the registers the outputs are stored from. */
static void avx512_conv_s8_direct_sums(const int8k_conv_desc *d, const int8_t *src, int oc, const int8_t *wei,
                                       float alpha, const float *row_scale, const float *col_scale,
                                       const float *bias, float beta, float *dst, double *col_sums) {
  avx512_conv_s8_direct_impl(d, src, oc, wei, alpha, row_scale, col_scale, bias, beta, dst, col_sums);
}

/* Adds a block's float partial sums (16 lanes) to their double totals, lane by lane. */
static inline void avx512_direct_flush(__m512 part, double *total) {
  __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(part));
  __m512d hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(part, 1));
  _mm512_store_pd(total, _mm512_add_pd(_mm512_load_pd(total), lo));
  _mm512_store_pd(total + 8, _mm512_add_pd(_mm512_load_pd(total + 8), hi));
}

/* Taps per pass of the gradient: 2 x TAPS accumulators stay in registers (24 of the 32). */
#define AVX512_DIRECT_TAPS 12

/* One block of rows [r0, r1) for the taps [t0, t0 + TN) of 32 output channels: the spec's float chains
 * (fmadd is fmaf lane-wise; padding cells multiply +0 as the generic kernel does), flushed to the double
 * totals at the block's end; the bias chain rides along on the first tap pass. TN is a compile-time
 * constant at every call (avx512_direct_grad_taps), so the accumulator arrays live in registers. */
static inline __attribute__((always_inline)) void avx512_direct_grad_block(
    const int TN, const int8k_conv_desc *d, const ops_direct_window *win, const float *src, int64_t oc,
    const float *grad_out, int64_t o0,
    __mmask16 m0, __mmask16 m1, int64_t t0, int with_bias, int64_t r0, int64_t r1, int64_t *b, int64_t *oy,
    int64_t *ox, double (*total)[AVX512_DIRECT_OC], double *total_b) {
  int64_t oh = ops_out_h(d), ow = ops_out_w(d);
  const int full = m0 == 0xFFFF && m1 == 0xFFFF;
  float xs[INT8K_DIRECT_MAX_PATCH];
  __m512 acc0[AVX512_DIRECT_TAPS], acc1[AVX512_DIRECT_TAPS];
  for (int t = 0; t < TN; t++) acc0[t] = acc1[t] = _mm512_setzero_ps();
  __m512 bias0 = _mm512_setzero_ps(), bias1 = bias0;
  for (int64_t r = r0; r < r1; r++, avx512_direct_next(oh, ow, b, oy, ox)) {
    ops_direct_patch_f32(d, win, src, *b, *oy, *ox, xs);
    const float *g = grad_out + r * oc + o0;
    // whole registers load plainly (masked loads are much slower); masked-off lanes read as +0
    __m512 g0 = full ? _mm512_loadu_ps(g) : _mm512_maskz_loadu_ps(m0, g);
    __m512 g1 = full ? _mm512_loadu_ps(g + 16) : _mm512_maskz_loadu_ps(m1, g + 16);
    for (int t = 0; t < TN; t++) {
      __m512 x = _mm512_set1_ps(xs[t0 + t]);
      acc0[t] = _mm512_fmadd_ps(g0, x, acc0[t]);
      acc1[t] = _mm512_fmadd_ps(g1, x, acc1[t]);
    }
    if (with_bias) {
      bias0 = _mm512_add_ps(bias0, g0);
      bias1 = _mm512_add_ps(bias1, g1);
    }
  }
  for (int t = 0; t < TN; t++) {
    avx512_direct_flush(acc0[t], total[t0 + t]);
    avx512_direct_flush(acc1[t], total[t0 + t] + 16);
  }
  if (with_bias) {
    avx512_direct_flush(bias0, total_b);
    avx512_direct_flush(bias1, total_b + 16);
  }
}

/* avx512_direct_grad_block with its tap count as a constant. */
static void avx512_direct_grad_taps(int tn, const int8k_conv_desc *d, const ops_direct_window *win,
                                    const float *src, int64_t oc,
                                    const float *grad_out, int64_t o0, __mmask16 m0, __mmask16 m1, int64_t t0,
                                    int with_bias, int64_t r0, int64_t r1, int64_t *b, int64_t *oy, int64_t *ox,
                                    double (*total)[AVX512_DIRECT_OC], double *total_b) {
  switch (tn) {
#define AVX512_DIRECT_TAPS_CASE(n)                                                                         \
  case n:                                                                                                  \
    avx512_direct_grad_block(n, d, win, src, oc, grad_out, o0, m0, m1, t0, with_bias, r0, r1, b, oy, ox, total, \
                             total_b);                                                                     \
    break;
    AVX512_DIRECT_TAPS_CASE(1)
    AVX512_DIRECT_TAPS_CASE(2)
    AVX512_DIRECT_TAPS_CASE(3)
    AVX512_DIRECT_TAPS_CASE(4)
    AVX512_DIRECT_TAPS_CASE(5)
    AVX512_DIRECT_TAPS_CASE(6)
    AVX512_DIRECT_TAPS_CASE(7)
    AVX512_DIRECT_TAPS_CASE(8)
    AVX512_DIRECT_TAPS_CASE(9)
    AVX512_DIRECT_TAPS_CASE(10)
    AVX512_DIRECT_TAPS_CASE(11)
    AVX512_DIRECT_TAPS_CASE(12)
#undef AVX512_DIRECT_TAPS_CASE
  }
}

/* The spec's blocks and chains for each (channel, column); passes over taps and over channel blocks only
 * regroup independent chains, so the results are the generic kernel's. */
static void avx512_conv_grad_weight_f32_direct(const int8k_conv_desc *d, const float *src, int oc,
                                               const float *grad_out, float *grad_wei, float *grad_bias) {
  int64_t patch = d->kh * d->kw * d->c, rows = d->n * ops_out_h(d) * ops_out_w(d);
  double total[INT8K_DIRECT_MAX_PATCH][AVX512_DIRECT_OC] __attribute__((aligned(64)));
  double total_b[AVX512_DIRECT_OC] __attribute__((aligned(64)));
  ops_direct_window win;
  ops_direct_window_init(d, &win);
  for (int64_t o0 = 0; o0 < oc; o0 += AVX512_DIRECT_OC) {
    int64_t on = oc - o0 < AVX512_DIRECT_OC ? oc - o0 : AVX512_DIRECT_OC;
    const __mmask16 m0 = avx512_direct_lanes(on), m1 = avx512_direct_lanes(on - 16);
    memset(total, 0, sizeof total);
    memset(total_b, 0, sizeof total_b);
    for (int64_t t0 = 0; t0 < patch; t0 += AVX512_DIRECT_TAPS) {
      int tn = (int)(patch - t0 < AVX512_DIRECT_TAPS ? patch - t0 : AVX512_DIRECT_TAPS);
      int64_t b = 0, oy = 0, ox = 0;
      for (int64_t r0 = 0; r0 < rows; r0 += INT8K_DIRECT_GRAD_BLOCK) {
        int64_t r1 = rows - r0 < INT8K_DIRECT_GRAD_BLOCK ? rows : r0 + INT8K_DIRECT_GRAD_BLOCK;
        avx512_direct_grad_taps(tn, d, &win, src, oc, grad_out, o0, m0, m1, t0, t0 == 0, r0, r1, &b, &oy, &ox, total,
                                total_b);
      }
    }
    for (int64_t o = 0; o < on; o++) {
      grad_bias[o0 + o] = (float)total_b[o];
      for (int64_t t = 0; t < patch; t++) grad_wei[(o0 + o) * patch + t] = (float)total[t][o];
    }
  }
}

#define OPS_CONV_DIRECT_AVX512_KERNELS                                                                     \
  .conv_s8_direct = avx512_conv_s8_direct, .conv_grad_weight_f32_direct = avx512_conv_grad_weight_f32_direct,        \
  .conv_s8_direct_sums = avx512_conv_s8_direct_sums,

#endif /* INT8K_CONV_DIRECT_AVX512_H */
