/*
 * ops_stem_backward.h - the generic kernel of bn_max_pool_backward_moments (int8k_ops.def): the backward of a
 * network's stem (a direct convolution of the input image, whose input gradient nobody needs) followed by a
 * batch norm fused with a tiling max-pool. Included by ops_generic.h after ops_conv_direct.h.
 *
 * Why: run apart, that backward reads the stem's output x three times and writes and reads its full-size
 * input gradient (the largest tensor of the step) only to reduce it to kh*kw*c x oc weight gradients. The
 * input gradient is affine in the error and in xhat per channel, so the weight gradient is a combination
 * of two moments of the image window, one against the (sparse) error and one against xhat, both taken in
 * the pass that computes the batch norm's sums; neither the input gradient nor a second pass exists.
 */
#ifndef INT8K_OPS_STEM_BACKWARD_H
#define INT8K_OPS_STEM_BACKWARD_H

_Static_assert((INT8K_DIRECT_GRAD_BLOCK & (INT8K_DIRECT_GRAD_BLOCK - 1)) == 0,
               "the block test below needs a power of two");

/* Whether row r is the last of its block of INT8K_DIRECT_GRAD_BLOCK rows (or of all rows). */
static inline int ops_stem_block_ends(int64_t r, int64_t rows) {
  return ((r + 1) & (INT8K_DIRECT_GRAD_BLOCK - 1)) == 0 || r + 1 == rows;
}

/* Runs the statements for every output pixel of the stem window d in row order, with r its row, (b, oy, ox)
 * its place, base = r * oc its first element in x, and o0 the pooled index of the first channel of the pool
 * x pool window holding it, or -1 for a pixel in no window (rows and columns past the last whole window);
 * no division per pixel. The statements must not `continue` (the window counters advance after them). */
#define OPS_STEM_FOR_EACH_PIXEL(d, oc, pool, ...)                                                          \
  do {                                                                                                     \
    const int64_t soh_ = ops_out_h(d), sow_ = ops_out_w(d), sph_ = soh_ / (pool), spw_ = sow_ / (pool);   \
    int64_t r = 0;                                                                                         \
    for (int64_t b = 0; b < (d)->n; b++)                                                                   \
      for (int64_t oy = 0, py_ = 0, ry_ = 0; oy < soh_; oy++) {                                            \
        const int64_t orow_ = py_ < sph_ ? (b * sph_ + py_) * spw_ * (oc) : -1;                            \
        for (int64_t ox = 0, px_ = 0, rx_ = 0; ox < sow_; ox++, r++) {                                     \
          const int64_t base = r * (oc);                                                                   \
          const int64_t o0 = orow_ >= 0 && px_ < spw_ ? orow_ + px_ * (oc) : -1;                           \
          __VA_ARGS__                                                                                      \
          if (++rx_ == (pool)) {                                                                           \
            rx_ = 0;                                                                                       \
            px_++;                                                                                         \
          }                                                                                                \
        }                                                                                                  \
        if (++ry_ == (pool)) {                                                                             \
          ry_ = 0;                                                                                         \
          py_++;                                                                                           \
        }                                                                                                  \
      }                                                                                                    \
  } while (0)

/* The parts of out (see int8k_ops.def). */
typedef struct ops_stem_sums {
  double *sum_g, *sum_gh, *moment_g, *moment_h, *window_sum;
} ops_stem_sums;

static inline ops_stem_sums ops_stem_sums_of(double *out, int64_t oc, int64_t patch) {
  ops_stem_sums s = {out, out + oc, out + 2 * oc, out + 2 * oc + oc * patch, out + 2 * oc + 2 * oc * patch};
  return s;
}

/* window_sum: the image's window cells summed per column, in the blocks' order. */
static inline void ops_stem_window_sums(const int8k_conv_desc *d, const float *src, double *window_sum) {
  int64_t oh = ops_out_h(d), ow = ops_out_w(d), patch = d->kh * d->kw * d->c, rows = d->n * oh * ow;
  float xs[INT8K_DIRECT_MAX_PATCH], part[INT8K_DIRECT_MAX_PATCH];
  ops_direct_window win;
  ops_direct_window_init(d, &win);
  for (int64_t t = 0; t < patch; t++) window_sum[t] = 0.0, part[t] = 0.0f;
  int64_t r = 0;
  for (int64_t b = 0; b < d->n; b++)
    for (int64_t oy = 0; oy < oh; oy++)
      for (int64_t ox = 0; ox < ow; ox++, r++) {
        ops_direct_patch_f32(d, &win, src, b, oy, ox, xs);
        for (int64_t t = 0; t < patch; t++) part[t] = part[t] + xs[t];
        if (ops_stem_block_ends(r, rows)) {
          for (int64_t t = 0; t < patch; t++) {
            window_sum[t] += (double)part[t];
            part[t] = 0.0f;
          }
        }
      }
}

/* The per-channel sums and moments of channels [from, to), to - from <= OPS_DIRECT_OC_BLOCK, in one walk
 * over the pixels; the vectorized kernels hand it the channels past their last full vector. */
static inline void ops_stem_moments_channels(const int8k_conv_desc *d, const float *restrict src, int64_t oc,
                                             int64_t pool, const float *restrict grad_pooled,
                                             const int32_t *restrict argmax, const float *restrict x,
                                             const float *restrict mean, const float *restrict inv_scale,
                                             const float *restrict gamma, const float *restrict beta, int relu,
                                             int64_t from, int64_t to, const ops_stem_sums *s) {
  const int64_t patch = d->kh * d->kw * d->c, rows = d->n * ops_out_h(d) * ops_out_w(d), on = to - from;
  float xs[INT8K_DIRECT_MAX_PATCH];
  float part_g[INT8K_DIRECT_MAX_PATCH][OPS_DIRECT_OC_BLOCK], part_h[INT8K_DIRECT_MAX_PATCH][OPS_DIRECT_OC_BLOCK];
  float part_sg[OPS_DIRECT_OC_BLOCK], part_sgh[OPS_DIRECT_OC_BLOCK];
  ops_direct_window win;
  ops_direct_window_init(d, &win);
  for (int64_t o = 0; o < on; o++) {
    part_sg[o] = part_sgh[o] = 0.0f;
    for (int64_t t = 0; t < patch; t++) part_g[t][o] = part_h[t][o] = 0.0f;
  }
  for (int64_t ch = from; ch < to; ch++) {
    s->sum_g[ch] = s->sum_gh[ch] = 0.0;
    for (int64_t t = 0; t < patch; t++) s->moment_g[ch * patch + t] = s->moment_h[ch * patch + t] = 0.0;
  }
  float hv[OPS_DIRECT_OC_BLOCK], gv[OPS_DIRECT_OC_BLOCK];
  OPS_STEM_FOR_EACH_PIXEL(d, oc, pool, {
    ops_direct_patch_f32(d, &win, src, b, oy, ox, xs);
    for (int64_t o = 0; o < on; o++) {
      int64_t ch = from + o;
      float h = (x[base + ch] - mean[ch]) * inv_scale[ch];
      float g = ops_pooled_error(o0, base, ch, grad_pooled, argmax, h, gamma[ch], beta[ch], relu);
      part_sg[o] = part_sg[o] + g;
      part_sgh[o] = fmaf(g, h, part_sgh[o]);
      hv[o] = h;
      gv[o] = g;
    }
    /* channels innermost: independent chains the compiler vectorizes */
    for (int64_t t = 0; t < patch; t++) {
      const float cell = xs[t];
      for (int64_t o = 0; o < on; o++) {
        part_g[t][o] = fmaf(gv[o], cell, part_g[t][o]);
        part_h[t][o] = fmaf(hv[o], cell, part_h[t][o]);
      }
    }
    if (ops_stem_block_ends(r, rows)) {
      for (int64_t o = 0; o < on; o++) {
        int64_t ch = from + o;
        s->sum_g[ch] += (double)part_sg[o];
        s->sum_gh[ch] += (double)part_sgh[o];
        part_sg[o] = part_sgh[o] = 0.0f;
        for (int64_t t = 0; t < patch; t++) {
          s->moment_g[ch * patch + t] += (double)part_g[t][o];
          s->moment_h[ch * patch + t] += (double)part_h[t][o];
          part_g[t][o] = part_h[t][o] = 0.0f;
        }
      }
    }
  });
}

static inline void ops_stem_moments(const int8k_conv_desc *d, const float *src, int oc, int pool,
                                    const float *grad_pooled, const int32_t *argmax, const float *x,
                                    const float *mean, const float *inv_scale, const float *gamma,
                                    const float *beta, int relu, double *out) {
  const int64_t patch = d->kh * d->kw * d->c;
  ops_stem_sums s = ops_stem_sums_of(out, oc, patch);
  for (int64_t from = 0; from < oc; from += OPS_DIRECT_OC_BLOCK) {
    int64_t to = oc - from < OPS_DIRECT_OC_BLOCK ? oc : from + OPS_DIRECT_OC_BLOCK;
    ops_stem_moments_channels(d, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, relu, from,
                              to, &s);
  }
  ops_stem_window_sums(d, src, s.window_sum);
}

OPS_GENERIC_FN void generic_bn_max_pool_backward_moments(const int8k_conv_desc *d, const float *src, int oc,
                                                         int pool, const float *grad_pooled, const int32_t *argmax,
                                                         const float *x, const float *mean,
                                                         const float *inv_scale, const float *gamma,
                                                         const float *beta, int relu, double *out) {
  if (relu) {
    ops_stem_moments(d, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 1, out);
  } else {
    ops_stem_moments(d, src, oc, pool, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 0, out);
  }
}

#endif /* INT8K_OPS_STEM_BACKWARD_H */
