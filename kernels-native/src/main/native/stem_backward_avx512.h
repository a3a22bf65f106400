/*
 * stem_backward_avx512.h - the AVX-512 kernel of bn_max_pool_backward_moments (int8k_ops.def; the generic
 * kernel and the reasons are in ops_stem_backward.h), included by ops_avx512vnni.c after ops_bn_avx512.h and
 * conv_direct_avx512.h, whose error, sum and flush helpers it uses. Sixteen channels per pass over the
 * pixels, with every chain of the pass in registers: per tap one moment against the error and one against
 * xhat, plus the batch norm's two sums on the first tap pass. Each lane runs the generic
 * kernel's operations on its channel in its order (fmadd is fmaf lane-wise; the passes over channels and
 * taps only regroup independent chains), so the results are bit-identical; channels past the last multiple
 * of sixteen get the generic kernel itself.
 */
#ifndef INT8K_STEM_BACKWARD_AVX512_H
#define INT8K_STEM_BACKWARD_AVX512_H

#include <immintrin.h>

/* Taps per pass: 2 x 9 moments, the two sums' chains and the batch norm's two per-channel vectors take 22
 * of the 32 registers. */
#define AVX512_STEM_TAPS 9
/* Channel groups of sixteen whose chains one walk over the pixels carries (their registers are saved per
 * image row): 128 channels. */
#define AVX512_STEM_GROUPS 8

/* The chains of one group of sixteen channels between two image rows. */
typedef struct avx512_stem_state {
  __m512 part_g[AVX512_STEM_TAPS], part_h[AVX512_STEM_TAPS], part_sg, part_sgh;
  double total_g[AVX512_STEM_TAPS][16] __attribute__((aligned(64)));
  double total_h[AVX512_STEM_TAPS][16] __attribute__((aligned(64)));
  double total_sg[16] __attribute__((aligned(64)));
  double total_sgh[16] __attribute__((aligned(64)));
} avx512_stem_state;

/* The first group of a segment fetches every channel of the pixel `ahead` elements of x further on and, on
 * the first row of a window row, of the window `pooled_ahead` elements of argmax and grad_pooled further on
 * (the caller: two rows of each), so that they are in cache when the groups reach them: a pass over sixteen
 * of the channels reads one cache line of each pixel's two or more, a pattern the hardware prefetchers did
 * not follow. */
static inline void avx512_stem_prefetch(const float *x, const int32_t *argmax, const float *grad_pooled,
                                        int64_t oc, int64_t base, int64_t ahead, int64_t o0, int64_t pooled_ahead,
                                        int window_start) {
  for (int64_t ch = 0; ch < oc; ch += 16) _mm_prefetch((const char *)(x + base + ahead + ch), _MM_HINT_T0);
  if (o0 >= 0 && window_start)
    for (int64_t ch = 0; ch < oc; ch += 16) {
      _mm_prefetch((const char *)(argmax + o0 + pooled_ahead + ch), _MM_HINT_T0);
      _mm_prefetch((const char *)(grad_pooled + o0 + pooled_ahead + ch), _MM_HINT_T0);
    }
}

/* Pixels per segment of an image row: their window cells are gathered once, for every group. */
#define AVX512_STEM_SEGMENT 64

/* window_sum's chains, taps in lanes (up to 64 taps in four registers), between segments. */
typedef struct avx512_stem_window {
  __m512 part[INT8K_DIRECT_MAX_PATCH / 16];
  double total[INT8K_DIRECT_MAX_PATCH] __attribute__((aligned(64)));
} avx512_stem_window;

/* Gathers the window cells of pixels [ox0, ox0 + n) of image row (b, oy) into cells (one row of
 * INT8K_DIRECT_MAX_PATCH per pixel) and, when w is not NULL, runs window_sum's chains over them (a
 * lane per tap; ends the block after row r when it ends). */
static inline void avx512_stem_cells(const int8k_conv_desc *d, const ops_direct_window *win, const float *src,
                                     int64_t b, int64_t oy, int64_t ox0, int64_t n, int64_t r0, int64_t rows,
                                     float (*cells)[INT8K_DIRECT_MAX_PATCH], avx512_stem_window *w) {
  const int64_t patch = win->patch, c = d->c, kw = d->kw, sw = d->stride_w;
  /* cell by cell along the segment: a strided copy per cell, where a gather per pixel (ops_direct_patch_f32)
   * took as long as the rest of the kernel; the values are the same (+0 outside the image) */
  for (int64_t ki = 0; ki < d->kh; ki++) {
    const int64_t y = oy * d->stride_h - d->pad_h + ki;
    const float *line = y >= 0 && y < d->h ? src + (b * d->h + y) * d->w * c : NULL;
    for (int64_t kj = 0; kj < kw; kj++)
      for (int64_t ch = 0; ch < c; ch++) {
        const int64_t t = (ki * kw + kj) * c + ch, x0 = ox0 * sw - d->pad_w + kj;
        /* pixels [lo, hi) of the segment read inside the image row: x0 + i * sw in [0, w) */
        int64_t lo = x0 >= 0 ? 0 : (-x0 + sw - 1) / sw, hi = x0 >= d->w ? 0 : (d->w - x0 + sw - 1) / sw;
        if (line == NULL) lo = hi = n;
        if (hi > n) hi = n;
        if (lo > hi) lo = hi;
        for (int64_t i = 0; i < lo; i++) cells[i][t] = 0.0f;
        for (int64_t i = lo; i < hi; i++) cells[i][t] = line[(x0 + i * sw) * c + ch];
        for (int64_t i = hi; i < n; i++) cells[i][t] = 0.0f;
      }
  }
  if (w == NULL) return;
  for (int64_t k = 0; k < (patch + 15) / 16; k++) {
    /* one chain per lane, in a register for the segment (kept in memory it was a store-to-load chain) */
    const __mmask16 lanes = avx512_direct_lanes(patch - 16 * k);
    __m512 part = w->part[k];
    for (int64_t i = 0; i < n; i++) {
      part = _mm512_add_ps(part, _mm512_maskz_load_ps(lanes, cells[i] + 16 * k));
      if (ops_stem_block_ends(r0 + i, rows)) {
        avx512_direct_flush(part, w->total + 16 * k);
        part = _mm512_setzero_ps();
      }
    }
    w->part[k] = part;
  }
}

/* One walk over every pixel for the channel groups [q0, q1) (group q: channels 16q .. 16q + 15) and the
 * taps [t0, t0 + TN). Segment of an image row by segment, the pixels' window cells are gathered once and
 * then each group in turn runs the segment with its chains in registers: the group after it finds the
 * segment's x, argmax and error lines in cache, where a walk per group waited on memory for every pixel.
 * TN is a constant at each call (avx512_stem_taps). */
static inline __attribute__((always_inline)) void avx512_stem_pass(
    const int TN, const int8k_conv_desc *d, const ops_direct_window *win, const float *src, int64_t oc,
    int64_t pool, const float *grad_pooled, const int32_t *argmax, const float *x, const float *mean,
    const float *inv_scale, const float *gamma, const float *beta, int relu, int64_t q0, int64_t q1, int64_t t0,
    const ops_stem_sums *s) {
  const int64_t patch = d->kh * d->kw * d->c, oh = ops_out_h(d), ow = ops_out_w(d), rows = d->n * oh * ow;
  const int64_t ph = oh / pool, pw = ow / pool;
  /* the per-channel sums and window_sum ride along on the first tap pass of the first groups */
  const int first = t0 == 0, with_window = first && q0 == 0;
  avx512_stem_state st[AVX512_STEM_GROUPS];
  for (int64_t q = q0; q < q1; q++) memset(&st[q - q0], 0, sizeof st[0]);
  avx512_stem_window wsum;
  memset(&wsum, 0, sizeof wsum);
  float cells[AVX512_STEM_SEGMENT][INT8K_DIRECT_MAX_PATCH] __attribute__((aligned(64)));
  const float *const cells_t0 = &cells[0][0] + t0;
  int64_t row = 0;
  for (int64_t b = 0; b < d->n; b++)
    for (int64_t oy = 0, py = 0, ry = 0; oy < oh; oy++, row += ow) {
      const int64_t orow = py < ph ? (b * ph + py) * pw * oc : -1;
      for (int64_t ox0 = 0; ox0 < ow; ox0 += AVX512_STEM_SEGMENT) {
        const int64_t n = ow - ox0 < AVX512_STEM_SEGMENT ? ow - ox0 : AVX512_STEM_SEGMENT;
        avx512_stem_cells(d, win, src, b, oy, ox0, n, row + ox0, rows, cells, with_window ? &wsum : NULL);
        for (int64_t q = q0; q < q1; q++) {
          avx512_stem_state *state = &st[q - q0];
          const int64_t c0 = 16 * q;
          const __m512 vmean = _mm512_loadu_ps(mean + c0), vinv = _mm512_loadu_ps(inv_scale + c0);
          const __m512 vgamma = _mm512_loadu_ps(gamma + c0), vbeta = _mm512_loadu_ps(beta + c0);
          __m512 part_g[AVX512_STEM_TAPS], part_h[AVX512_STEM_TAPS];
          __m512 part_sg = state->part_sg, part_sgh = state->part_sgh;
          for (int t = 0; t < TN; t++) {
            part_g[t] = state->part_g[t];
            part_h[t] = state->part_h[t];
          }
          for (int64_t i = 0, px = ox0 / pool, rx = ox0 % pool; i < n; i++) {
            const int64_t ox = ox0 + i, r = row + ox, base = r * oc;
            const int64_t o0 = orow >= 0 && px < pw ? orow + px * oc : -1;
            if (q == q0)
              avx512_stem_prefetch(x, argmax, grad_pooled, oc, base, 2 * ow * oc, o0, 2 * pw * oc, rx == 0 && ry == 0);
            __m512 h = bnq_xhat(_mm512_loadu_ps(x + base + c0), vmean, vinv);
            __m512 g = bnq_error_v(o0, base + c0, grad_pooled + c0, argmax + c0, h, vgamma, vbeta, relu);
            const float *cell = cells_t0 + i * INT8K_DIRECT_MAX_PATCH; /* the taps at constant offsets */
            if (first) {
              part_sg = _mm512_add_ps(part_sg, g);
              part_sgh = _mm512_fmadd_ps(g, h, part_sgh);
            }
            for (int t = 0; t < TN; t++) {
              __m512 v = _mm512_set1_ps(cell[t]);
              part_g[t] = _mm512_fmadd_ps(g, v, part_g[t]);
              part_h[t] = _mm512_fmadd_ps(h, v, part_h[t]);
            }
            if (ops_stem_block_ends(r, rows)) {
              for (int t = 0; t < TN; t++) {
                avx512_direct_flush(part_g[t], state->total_g[t]);
                avx512_direct_flush(part_h[t], state->total_h[t]);
                part_g[t] = part_h[t] = _mm512_setzero_ps();
              }
              if (first) {
                avx512_direct_flush(part_sg, state->total_sg);
                avx512_direct_flush(part_sgh, state->total_sgh);
                part_sg = part_sgh = _mm512_setzero_ps();
              }
            }
            if (++rx == pool) {
              rx = 0;
              px++;
            }
          }
          for (int t = 0; t < TN; t++) {
            state->part_g[t] = part_g[t];
            state->part_h[t] = part_h[t];
          }
          state->part_sg = part_sg;
          state->part_sgh = part_sgh;
        }
      }
      if (++ry == pool) {
        ry = 0;
        py++;
      }
    }
  for (int64_t q = q0; q < q1; q++) {
    const avx512_stem_state *state = &st[q - q0];
    for (int64_t lane = 0; lane < 16; lane++) {
      int64_t ch = 16 * q + lane;
      for (int t = 0; t < TN; t++) {
        s->moment_g[ch * patch + t0 + t] = state->total_g[t][lane];
        s->moment_h[ch * patch + t0 + t] = state->total_h[t][lane];
      }
      if (first) {
        s->sum_g[ch] = state->total_sg[lane];
        s->sum_gh[ch] = state->total_sgh[lane];
      }
    }
  }
  if (with_window)
    for (int64_t t = 0; t < patch; t++) s->window_sum[t] = wsum.total[t];
}

/* avx512_stem_pass with its tap count as a constant. */
static inline __attribute__((always_inline)) void avx512_stem_taps(
    int tn, const int8k_conv_desc *d, const ops_direct_window *win, const float *src, int64_t oc, int64_t pool,
    const float *grad_pooled, const int32_t *argmax, const float *x, const float *mean, const float *inv_scale,
    const float *gamma, const float *beta, int relu, int64_t q0, int64_t q1, int64_t t0, const ops_stem_sums *s) {
  switch (tn) {
#define AVX512_STEM_TAPS_CASE(n)                                                                           \
  case n:                                                                                                  \
    avx512_stem_pass(n, d, win, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, relu, q0, \
                     q1, t0, s);                                                                           \
    break;
    AVX512_STEM_TAPS_CASE(1)
    AVX512_STEM_TAPS_CASE(2)
    AVX512_STEM_TAPS_CASE(3)
    AVX512_STEM_TAPS_CASE(4)
    AVX512_STEM_TAPS_CASE(5)
    AVX512_STEM_TAPS_CASE(6)
    AVX512_STEM_TAPS_CASE(7)
    AVX512_STEM_TAPS_CASE(8)
    AVX512_STEM_TAPS_CASE(9)
#undef AVX512_STEM_TAPS_CASE
  }
}

static inline __attribute__((always_inline)) void avx512_stem_moments(
    const int8k_conv_desc *d, const float *src, int oc, int pool, const float *grad_pooled, const int32_t *argmax,
    const float *x, const float *mean, const float *inv_scale, const float *gamma, const float *beta, int relu,
    double *out) {
  const int64_t patch = d->kh * d->kw * d->c, c16 = oc & ~(int64_t)15;
  ops_stem_sums s = ops_stem_sums_of(out, oc, patch);
  ops_direct_window win;
  ops_direct_window_init(d, &win);
  for (int64_t q0 = 0; q0 < c16 / 16; q0 += AVX512_STEM_GROUPS) {
    int64_t q1 = c16 / 16 - q0 < AVX512_STEM_GROUPS ? c16 / 16 : q0 + AVX512_STEM_GROUPS;
    for (int64_t t0 = 0; t0 < patch; t0 += AVX512_STEM_TAPS) {
      int tn = (int)(patch - t0 < AVX512_STEM_TAPS ? patch - t0 : AVX512_STEM_TAPS);
      avx512_stem_taps(tn, d, &win, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, relu, q0,
                       q1, t0, &s);
    }
  }
  if (c16 < oc)
    ops_stem_moments_channels(d, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, relu, c16,
                              oc, &s);
  if (c16 == 0) ops_stem_window_sums(d, src, s.window_sum); /* else the first pass summed it */
}

static void avx512_bn_max_pool_backward_moments(const int8k_conv_desc *d, const float *src, int oc, int pool,
                                                const float *grad_pooled, const int32_t *argmax, const float *x,
                                                const float *mean, const float *inv_scale, const float *gamma,
                                                const float *beta, int relu, double *out) {
  if (relu) {
    avx512_stem_moments(d, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 1, out);
  } else {
    avx512_stem_moments(d, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 0, out);
  }
}

#define OPS_STEM_BACKWARD_AVX512_KERNELS .bn_max_pool_backward_moments = avx512_bn_max_pool_backward_moments,

#endif /* INT8K_STEM_BACKWARD_AVX512_H */
