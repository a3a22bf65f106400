/*
 * ops_conv_direct.h - the generic kernels of the direct (no im2col matrix) convolution ops of a network's
 * stem: conv_s8_direct (forward on codes) and conv_grad_weight_f32_direct (fp32 weight and bias gradient).
 * Included by ops_generic.h, so compiled once per ISA with that ISA's flags; the loops over output
 * channels are innermost and independent, which the compiler vectorizes without changing any result
 * (the forward's sums are exact, the gradient's chains run along rows, not channels).
 */
#ifndef INT8K_OPS_CONV_DIRECT_H
#define INT8K_OPS_CONV_DIRECT_H

/* Output channels handled per pass over the image: bounds the transposed weights and the sums kept on the
 * stack (64 x 64 floats = 16 KiB, 32 KiB of doubles for the gradient). */
#define OPS_DIRECT_OC_BLOCK 64

/* The im2col row of output pixel (b, oy, ox) as floats: xs[(i*kw + j)*c + ch] = src(b, y, x, ch) for the
 * window cell (i, j), +0 outside the image. T is the element type of src (int8_t codes or float). */
#define OPS_DIRECT_PATCH_BODY(T)                                                                           \
  do {                                                                                                     \
    int64_t c = d->c, kw = d->kw;                                                                          \
    int64_t y0 = oy * d->stride_h - d->pad_h, x0 = ox * d->stride_w - d->pad_w;                            \
    for (int64_t i = 0; i < d->kh; i++) {                                                                  \
      int64_t y = y0 + i;                                                                                  \
      for (int64_t j = 0; j < kw; j++) {                                                                   \
        int64_t x = x0 + j;                                                                                \
        float *o = xs + (i * kw + j) * c;                                                                  \
        if (y < 0 || y >= d->h || x < 0 || x >= d->w) {                                                   \
          for (int64_t ch = 0; ch < c; ch++) o[ch] = 0.0f;                                                 \
        } else {                                                                                           \
          const T *p = src + ((b * d->h + y) * d->w + x) * c;                                              \
          for (int64_t ch = 0; ch < c; ch++) o[ch] = (float)p[ch];                                         \
        }                                                                                                  \
      }                                                                                                    \
    }                                                                                                      \
  } while (0)

/* Where the window's cells lie relative to its top-left cell in the image, in im2col's column order: most
 * windows are inside the image (all but the border rows and columns), and for those the patch is a
 * gather at these offsets, without the per-cell bounds checks of the border. */
typedef struct ops_direct_window {
  int64_t offset[INT8K_DIRECT_MAX_PATCH];
  int64_t patch;
} ops_direct_window;

static inline void ops_direct_window_init(const int8k_conv_desc *d, ops_direct_window *win) {
  win->patch = d->kh * d->kw * d->c;
  for (int64_t i = 0; i < d->kh; i++)
    for (int64_t j = 0; j < d->kw; j++)
      for (int64_t ch = 0; ch < d->c; ch++) win->offset[(i * d->kw + j) * d->c + ch] = (i * d->w + j) * d->c + ch;
}

/* The first element of output pixel (b, oy, ox)'s window when the window lies inside the image, else NULL.
 */
#define OPS_DIRECT_INSIDE_BODY(T)                                                                            do {                                                                                                         int64_t y0 = oy * d->stride_h - d->pad_h, x0 = ox * d->stride_w - d->pad_w;                                if (y0 < 0 || x0 < 0 || y0 + d->kh > d->h || x0 + d->kw > d->w) return NULL;                              return src + ((b * d->h + y0) * d->w + x0) * d->c;                                                       } while (0)

static inline const int8_t *ops_direct_inside_s8(const int8k_conv_desc *d, const int8_t *src, int64_t b,
                                                 int64_t oy, int64_t ox) {
  OPS_DIRECT_INSIDE_BODY(int8_t);
}

static inline const float *ops_direct_inside_f32(const int8k_conv_desc *d, const float *src, int64_t b,
                                                 int64_t oy, int64_t ox) {
  OPS_DIRECT_INSIDE_BODY(float);
}

static inline void ops_direct_patch_s8(const int8k_conv_desc *d, const ops_direct_window *win,
                                       const int8_t *src, int64_t b, int64_t oy, int64_t ox, float *xs) {
  const int8_t *at = ops_direct_inside_s8(d, src, b, oy, ox);
  if (at != NULL) {
    for (int64_t t = 0; t < win->patch; t++) xs[t] = (float)at[win->offset[t]];
  } else {
    OPS_DIRECT_PATCH_BODY(int8_t);
  }
}

static inline void ops_direct_patch_f32(const int8k_conv_desc *d, const ops_direct_window *win,
                                        const float *src, int64_t b, int64_t oy, int64_t ox, float *xs) {
  const float *at = ops_direct_inside_f32(d, src, b, oy, ox);
  if (at != NULL) {
    for (int64_t t = 0; t < win->patch; t++) xs[t] = at[win->offset[t]];
  } else {
    OPS_DIRECT_PATCH_BODY(float);
  }
}

/* Each output's window sum is built in float by products and additions of integers: |code| <= 128, so a
 * product is at most 2^14 and any partial sum of at most INT8K_DIRECT_MAX_PATCH = 64 of them at most 2^20 in
 * magnitude; every integer below 2^24 is a float, so no step rounds and the float holds exactly the
 * integer s of the spec (never -0: x + (-0) is +0 for x = +0 in round-to-nearest, and the sum starts at
 * +0). The epilogue is int8k_epilogue_apply itself, the GEMM's expression. */
OPS_GENERIC_FN void generic_conv_s8_direct(const int8k_conv_desc *d, const int8_t *src, int oc,
                                           const int8_t *wei, float alpha, const float *row_scale,
                                           const float *col_scale, const float *bias, float beta,
                                           float *dst) {
  const int8k_epilogue ep = {alpha, row_scale, col_scale, bias, beta};
  int64_t oh = ops_out_h(d), ow = ops_out_w(d), patch = d->kh * d->kw * d->c;
  float xs[INT8K_DIRECT_MAX_PATCH];
  float wt[INT8K_DIRECT_MAX_PATCH][OPS_DIRECT_OC_BLOCK];
  ops_direct_window win;
  ops_direct_window_init(d, &win);
  for (int64_t o0 = 0; o0 < oc; o0 += OPS_DIRECT_OC_BLOCK) {
    int64_t on = oc - o0 < OPS_DIRECT_OC_BLOCK ? oc - o0 : OPS_DIRECT_OC_BLOCK;
    for (int64_t t = 0; t < patch; t++)
      for (int64_t o = 0; o < on; o++) wt[t][o] = (float)wei[(o0 + o) * patch + t];
    int64_t r = 0;
    for (int64_t b = 0; b < d->n; b++)
      for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++, r++) {
          ops_direct_patch_s8(d, &win, src, b, oy, ox, xs);
          float acc[OPS_DIRECT_OC_BLOCK];
          for (int64_t o = 0; o < on; o++) acc[o] = 0.0f;
          for (int64_t t = 0; t < patch; t++) {
            float x = xs[t];
            for (int64_t o = 0; o < on; o++) acc[o] = acc[o] + x * wt[t][o];
          }
          float *out = dst + r * oc + o0;
          for (int64_t o = 0; o < on; o++)
            out[o] = int8k_epilogue_apply(&ep, (int64_t)acc[o], r, o0 + o, &out[o]);
        }
  }
}

/* sums[o] += (double)x[r][o] for rows ascending: bn_statistics' first pass, continued from the sums given.
 * Thirty-two channels at a time, their sums in locals: independent chains the compiler keeps in vector
 * registers (a sum kept in memory and reloaded by the next row is a store-to-load chain, and a pass over
 * fewer channels waits on its one add chain per row). */
static inline void ops_add_column_sums(int64_t rows, int64_t c, const float *restrict x, double *restrict sums) {
  int64_t c0 = 0;
  for (; c0 + 32 <= c; c0 += 32) {
    double s[32];
    for (int j = 0; j < 32; j++) s[j] = sums[c0 + j];
    for (int64_t r = 0; r < rows; r++)
      for (int j = 0; j < 32; j++) s[j] += (double)x[r * c + c0 + j];
    for (int j = 0; j < 32; j++) sums[c0 + j] = s[j];
  }
  for (int64_t r = 0; r < rows; r++)
    for (int64_t ch = c0; ch < c; ch++) sums[ch] += (double)x[r * c + ch];
}

/* conv_s8_direct_sums on top of an ISA's conv_s8_direct: one image at a time, its output summed per channel
 * right after it is written, while it is in cache. */
#define OPS_CONV_S8_DIRECT_SUMS(name, conv)                                                                \
  static __attribute__((unused)) void name(const int8k_conv_desc *d, const int8_t *src, int oc, const int8_t *wei, \
                                           float alpha, const float *row_scale, const float *col_scale,        \
                                           const float *bias, float beta, float *dst, double *col_sums) {      \
    const int8k_conv_desc one = {1, d->h, d->w, d->c, d->kh, d->kw, d->stride_h, d->stride_w, d->pad_h, d->pad_w}; \
    const int64_t pixels = ops_out_h(d) * ops_out_w(d), image = d->h * d->w * d->c;                     \
    for (int64_t o = 0; o < oc; o++) col_sums[o] = 0.0;                                                     \
    for (int64_t b = 0; b < d->n; b++) {                                                                   \
      float *out = dst + b * pixels * oc;                                                                  \
      conv(&one, src + b * image, oc, wei, alpha, row_scale ? row_scale + b * pixels : NULL, col_scale, bias, \
           beta, out);                                                                                     \
      ops_add_column_sums(pixels, oc, out, col_sums);                                                      \
    }                                                                                                      \
  }

OPS_CONV_S8_DIRECT_SUMS(generic_conv_s8_direct_sums, generic_conv_s8_direct)

/* The gradient in the spec's order: one float chain per (output channel, column) and block of rows, the
 * blocks' results added in double. Padding cells take part as x = +0 (fmaf(g, +0, part)), exactly as the
 * im2col matrix's zeros would, so even a non-finite error gives the spec's value. */
OPS_GENERIC_FN void generic_conv_grad_weight_f32_direct(const int8k_conv_desc *d, const float *src, int oc,
                                                        const float *grad_out, float *grad_wei,
                                                        float *grad_bias) {
  int64_t oh = ops_out_h(d), ow = ops_out_w(d), patch = d->kh * d->kw * d->c;
  int64_t rows = d->n * oh * ow;
  float xs[INT8K_DIRECT_MAX_PATCH];
  float part[INT8K_DIRECT_MAX_PATCH][OPS_DIRECT_OC_BLOCK], part_b[OPS_DIRECT_OC_BLOCK];
  ops_direct_window win;
  ops_direct_window_init(d, &win);
  double total[INT8K_DIRECT_MAX_PATCH][OPS_DIRECT_OC_BLOCK], total_b[OPS_DIRECT_OC_BLOCK];
  for (int64_t o0 = 0; o0 < oc; o0 += OPS_DIRECT_OC_BLOCK) {
    int64_t on = oc - o0 < OPS_DIRECT_OC_BLOCK ? oc - o0 : OPS_DIRECT_OC_BLOCK;
    for (int64_t o = 0; o < on; o++) {
      total_b[o] = 0.0;
      for (int64_t t = 0; t < patch; t++) total[t][o] = 0.0;
    }
    int64_t r = 0;
    for (int64_t b = 0; b < d->n; b++)
      for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++, r++) {
          if (r % INT8K_DIRECT_GRAD_BLOCK == 0) {
            for (int64_t o = 0; o < on; o++) {
              part_b[o] = 0.0f;
              for (int64_t t = 0; t < patch; t++) part[t][o] = 0.0f;
            }
          }
          ops_direct_patch_f32(d, &win, src, b, oy, ox, xs);
          const float *g = grad_out + r * oc + o0;
          for (int64_t t = 0; t < patch; t++) {
            float x = xs[t];
            for (int64_t o = 0; o < on; o++) part[t][o] = fmaf(g[o], x, part[t][o]);
          }
          for (int64_t o = 0; o < on; o++) part_b[o] = part_b[o] + g[o];
          if ((r + 1) % INT8K_DIRECT_GRAD_BLOCK == 0 || r + 1 == rows) {
            for (int64_t o = 0; o < on; o++) {
              total_b[o] += (double)part_b[o];
              for (int64_t t = 0; t < patch; t++) total[t][o] += (double)part[t][o];
            }
          }
        }
    for (int64_t o = 0; o < on; o++) {
      grad_bias[o0 + o] = (float)total_b[o];
      for (int64_t t = 0; t < patch; t++) grad_wei[(o0 + o) * patch + t] = (float)total[t][o];
    }
  }
}

#endif /* INT8K_OPS_CONV_DIRECT_H */
