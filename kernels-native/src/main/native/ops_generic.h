/*
 * ops_generic.h - plain-C kernels generic_<name> of every op and kernel of int8k_ops.def (the GEMM's
 * excepted), written as int8k_ops.def and int8k.h specify them: the same floating-point operations in the
 * same order. They are the semantic reference of the native side; each ops_<isa>.c includes this header
 * (so the code is compiled with that ISA's flags), opens its table with all of them and replaces hot ones
 * with hand-vectorized equivalents that must be bit-identical to them.
 *
 * Everything here is `static` so each translation unit gets its own copy built for its own ISA; the
 * unused attribute keeps -Wall quiet in units that override some of them.
 */
#ifndef INT8K_OPS_GENERIC_H
#define INT8K_OPS_GENERIC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "int8k_isa.h"

#define OPS_GENERIC_FN static __attribute__((unused))

/* ---------------------------------------------------------------------------------------------------- */
/* Shared helpers                                                                                         */
/* ---------------------------------------------------------------------------------------------------- */

static inline int ops_qmax(int bits) { return (1 << (bits - 1)) - 1; }

/* Every quantization group is one contiguous run of the row-major matrix (ld == cols), so groups are
 * described by (first flat index, length); the flat index is also the RNG counter e. */
static inline int64_t ops_group_count(const int8k_quant_desc *d) {
  switch (d->granularity) {
  case INT8K_PER_TENSOR: return 1;
  case INT8K_PER_ROW: return d->rows;
  default: return d->rows * ((d->cols + d->group - 1) / d->group);
  }
}

static inline void ops_group_range(const int8k_quant_desc *d, int64_t g, int64_t *start, int64_t *len) {
  switch (d->granularity) {
  case INT8K_PER_TENSOR:
    *start = 0;
    *len = d->rows * d->cols;
    break;
  case INT8K_PER_ROW:
    *start = g * d->cols;
    *len = d->cols;
    break;
  default: {
    int64_t per_row = (d->cols + d->group - 1) / d->group;
    int64_t r = g / per_row, gi = g % per_row;
    int64_t c0 = gi * d->group;
    *start = r * d->cols + c0;
    *len = d->cols - c0 < d->group ? d->cols - c0 : d->group;
    break;
  }
  }
}

/* Java's (int) cast followed by the clamp to [-qmax, qmax]. C leaves the cast of NaN or of out-of-range
 * values undefined, Java defines it (NaN -> 0, saturation), and saturating then clamping is the same as
 * clamping in float first, so this is exactly `min(max((int) r, -qmax), qmax)` with Java semantics. */
static inline int ops_code_of(float r, int qmax) {
  if (r != r) return 0;
  if (r > (float)qmax) return qmax;
  if (r < (float)-qmax) return -qmax;
  return (int)r;
}

/* The clamp of int8k.h, including its treatment of NaN (passes through) and of -0.0 (kept). */
static inline float ops_clamp(float x, float s) { return x > s ? s : (x < -s ? -s : x); }

/* max |x| with NaN propagation: once a NaN is seen it is kept, since no comparison with it is true. */
static inline float ops_absmax_step(float m, float x) {
  float a = fabsf(x);
  return (a > m || a != a) ? a : m;
}

/* Sliding-window geometry of int8k_conv_desc. */
static inline int64_t ops_out_h(const int8k_conv_desc *d) { return (d->h + 2 * d->pad_h - d->kh) / d->stride_h + 1; }
static inline int64_t ops_out_w(const int8k_conv_desc *d) { return (d->w + 2 * d->pad_w - d->kw) / d->stride_w + 1; }

/* The j range [*jlo, *jhi) of window column offsets that land inside the image for output column ox. */
static inline void ops_window_cols(const int8k_conv_desc *d, int64_t ox, int64_t *jlo, int64_t *jhi) {
  int64_t x0 = ox * d->stride_w - d->pad_w;
  int64_t lo = x0 < 0 ? -x0 : 0;
  int64_t hi = d->w - x0 < d->kw ? d->w - x0 : d->kw;
  if (hi < lo) hi = lo;
  *jlo = lo;
  *jhi = hi;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Quantization                                                                                           */
/* ---------------------------------------------------------------------------------------------------- */

OPS_GENERIC_FN void generic_group_absmax(const int8k_quant_desc *d, const float *src, float *amax) {
  int64_t groups = ops_group_count(d);
  for (int64_t g = 0; g < groups; g++) {
    int64_t start, len;
    ops_group_range(d, g, &start, &len);
    float m = 0.0f;
    for (int64_t k = 0; k < len; k++) m = ops_absmax_step(m, src[start + k]);
    amax[g] = m;
  }
}

/* One element's code; shared with the vector paths for their tails. */
static inline int8_t ops_quant_one(float x, float s, float inv, int qmax, int stochastic, uint64_t key,
                                   int64_t e) {
  float y = ops_clamp(x, s) * inv;
  float r = stochastic ? floorf(y + int8k_sr_uniform(key, e)) : rintf(y);
  return (int8_t)ops_code_of(r, qmax);
}

OPS_GENERIC_FN void generic_quantize_groups(const int8k_quant_desc *d, const float *src, const float *s,
                                            int8_t *dst) {
  int qmax = ops_qmax(d->bits);
  int stochastic = d->rounding == INT8K_ROUND_STOCHASTIC;
  uint64_t key = stochastic ? int8k_sr_key(d->seed, d->stream) : 0;
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
    for (int64_t k = 0; k < len; k++)
      dst[start + k] = ops_quant_one(src[start + k], sg, inv, qmax, stochastic, key, start + k);
  }
}

/* Tiles of 64 x 64: the transposed source is read along its rows (the matrix's columns) and the codes are
 * written 64 bytes a row, so both sides stay in cache; each element keeps its draw index r * cols + c. When
 * dst_t is not NULL each code is also stored at dst_t[c * rows + r], beside the element it came from. */
static inline void ops_quantize_transposed_into(const int8k_quant_desc *d, const float *src_t, const float *s,
                                                int8_t *dst, int8_t *dst_t, int *nonfinite) {
  int qmax = ops_qmax(d->bits);
  int stochastic = d->rounding == INT8K_ROUND_STOCHASTIC;
  uint64_t key = stochastic ? int8k_sr_key(d->seed, d->stream) : 0;
  int per_row = d->granularity == INT8K_PER_ROW;
  int64_t rows = d->rows, cols = d->cols;
  const int64_t tile = 64;
  int bad = 0;
  for (int64_t r0 = 0; r0 < rows; r0 += tile) {
    int64_t r1 = r0 + tile < rows ? r0 + tile : rows;
    for (int64_t c0 = 0; c0 < cols; c0 += tile) {
      int64_t c1 = c0 + tile < cols ? c0 + tile : cols;
      for (int64_t c = c0; c < c1; c++) {
        const float *col = src_t + c * rows;
        for (int64_t r = r0; r < r1; r++) {
          float x = col[r];
          bad |= !isfinite(x);
          float sg = s[per_row ? r : 0];
          int8_t q = sg == 0.0f ? 0
              : ops_quant_one(x, sg, (float)qmax / sg, qmax, stochastic, key, r * cols + c);
          dst[r * cols + c] = q;
          if (dst_t != NULL) dst_t[c * rows + r] = q;
        }
      }
    }
  }
  *nonfinite = bad;
}

OPS_GENERIC_FN void generic_quantize_transposed(const int8k_quant_desc *d, const float *src_t, const float *s,
                                                int8_t *dst, int *nonfinite) {
  ops_quantize_transposed_into(d, src_t, s, dst, NULL, nonfinite);
}

OPS_GENERIC_FN void generic_quantize_transposed_both(const int8k_quant_desc *d, const float *src_t,
                                                     const float *s, int8_t *dst, int8_t *dst_t,
                                                     int *nonfinite) {
  ops_quantize_transposed_into(d, src_t, s, dst, dst_t, nonfinite);
}

OPS_GENERIC_FN void generic_dequantize(const int8k_quant_desc *d, const int8_t *codes, const float *scale,
                                       float *dst) {
  int64_t groups = ops_group_count(d);
  for (int64_t g = 0; g < groups; g++) {
    int64_t start, len;
    ops_group_range(d, g, &start, &len);
    float sc = scale[g];
    for (int64_t k = 0; k < len; k++) dst[start + k] = (float)codes[start + k] * sc;
  }
}

/* ShiftQuant's alignment of a group's partial sums; the product by a power of two is the shift, without
 * the undefined behaviour of shifting a negative value (gcc vectorizes it across j). */
OPS_GENERIC_FN void generic_shift_accumulate(int64_t m, int64_t n, const int32_t *part, const int32_t *shift,
                                             int64_t *sum) {
  for (int64_t i = 0; i < m; i++) {
    const int64_t f = (int64_t)1 << shift[i];
    const int32_t *p = part + i * n;
    int64_t *s = sum + i * n;
    for (int64_t j = 0; j < n; j++) s[j] += (int64_t)p[j] * f;
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* Statistics                                                                                             */
/* ---------------------------------------------------------------------------------------------------- */

OPS_GENERIC_FN void generic_absmax(int64_t rows, int64_t cols, const float *src, int axis, float *out) {
  if (axis == INT8K_AXIS_TENSOR) {
    float m = 0.0f;
    for (int64_t e = 0; e < rows * cols; e++) m = ops_absmax_step(m, src[e]);
    out[0] = m;
  } else if (axis == INT8K_AXIS_ROW) {
    for (int64_t r = 0; r < rows; r++) {
      float m = 0.0f;
      for (int64_t c = 0; c < cols; c++) m = ops_absmax_step(m, src[r * cols + c]);
      out[r] = m;
    }
  } else {
    /* Row-outer so the matrix is read sequentially; each column's running max is independent. */
    for (int64_t c = 0; c < cols; c++) out[c] = 0.0f;
    for (int64_t r = 0; r < rows; r++)
      for (int64_t c = 0; c < cols; c++) out[c] = ops_absmax_step(out[c], src[r * cols + c]);
  }
}

/* Columns are processed in blocks so the matrix is read row by row (sequentially) while every column's
 * sums still run over rows in ascending order, as the spec requires; the loops over a block's columns are
 * independent, which also lets the compiler vectorize them without reassociating anything. */
#define OPS_CF_BLOCK 128

OPS_GENERIC_FN void generic_channel_fraction_above_std(int64_t rows, int64_t cols, const float *src,
                                                       float *out) {
  double sum[OPS_CF_BLOCK], mean[OPS_CF_BLOCK], sq[OPS_CF_BLOCK], sd[OPS_CF_BLOCK];
  int64_t cnt[OPS_CF_BLOCK];
  for (int64_t c0 = 0; c0 < cols; c0 += OPS_CF_BLOCK) {
    int64_t nb = cols - c0 < OPS_CF_BLOCK ? cols - c0 : OPS_CF_BLOCK;
    for (int64_t j = 0; j < nb; j++) {
      sum[j] = 0.0;
      sq[j] = 0.0;
      cnt[j] = 0;
    }
    for (int64_t r = 0; r < rows; r++) {
      const float *x = src + r * cols + c0;
      for (int64_t j = 0; j < nb; j++) sum[j] += (double)x[j];
    }
    for (int64_t j = 0; j < nb; j++) mean[j] = sum[j] / (double)rows;
    for (int64_t r = 0; r < rows; r++) {
      const float *x = src + r * cols + c0;
      for (int64_t j = 0; j < nb; j++) {
        double dv = (double)x[j] - mean[j];
        sq[j] += dv * dv;
      }
    }
    for (int64_t j = 0; j < nb; j++) sd[j] = sqrt(sq[j] / (double)rows);
    for (int64_t r = 0; r < rows; r++) {
      const float *x = src + r * cols + c0;
      for (int64_t j = 0; j < nb; j++) cnt[j] += fabs((double)x[j]) > sd[j];
    }
    for (int64_t j = 0; j < nb; j++) out[c0 + j] = (float)((double)cnt[j] / (double)rows);
  }
}

/* The 16 -> 1 lane fold of int8k_clip_cosine_sums. */
static inline double ops_fold16(double *lane) {
  for (int w = 8; w >= 1; w >>= 1)
    for (int j = 0; j < w; j++) lane[j] += lane[j + w];
  return lane[0];
}

/* The folded sums of int8k_clip_cosine_sums: dot(c_i), then nh(c_i), then nx. */
static inline void ops_cosine_sums_out(int ncand, double dot[][16], double nh[][16], double *nx, double *out) {
  for (int i = 0; i < ncand; i++) {
    out[i] = ops_fold16(dot[i]);
    out[ncand + i] = ops_fold16(nh[i]);
  }
  out[2 * ncand] = ops_fold16(nx);
}

/* xh of one element for one candidate: the round-to-nearest quantize/dequantize of the spec. */
static inline float ops_qdq_nearest(float x, float c, float inv, float step, int qmax) {
  int q = ops_code_of(rintf(ops_clamp(x, c) * inv), qmax);
  return (float)q * step;
}

OPS_GENERIC_FN void generic_clip_cosine_sums(int64_t count, const float *src, int bits, int ncand,
                                             const float *cand, double *out) {
  int qmax = ops_qmax(bits);
  float inv[64], step[64];
  double dot[64][16], nh[64][16], nx[16];
  for (int i = 0; i < ncand; i++) {
    inv[i] = (float)qmax / cand[i];
    step[i] = cand[i] / (float)qmax;
    for (int l = 0; l < 16; l++) dot[i][l] = nh[i][l] = 0.0;
  }
  for (int l = 0; l < 16; l++) nx[l] = 0.0;
  for (int64_t e = 0; e < count; e++) {
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
/* Convolution helpers and pooling                                                                        */
/* ---------------------------------------------------------------------------------------------------- */

/* For a fixed (row, i) the in-image j's form one range whose source pixels are adjacent in NHWC and whose
 * destination columns are adjacent too, so each (row, i) is at most zero fill + one copy + zero fill. */
#define OPS_IM2COL_BODY(T)                                                                                 \
  do {                                                                                                     \
    int64_t oh = ops_out_h(d), ow = ops_out_w(d), c = d->c, kw = d->kw;                                   \
    int64_t kcols = d->kh * kw * c;                                                                        \
    T *row = cols;                                                                                         \
    for (int64_t b = 0; b < d->n; b++)                                                                     \
      for (int64_t oy = 0; oy < oh; oy++)                                                                  \
        for (int64_t ox = 0; ox < ow; ox++, row += kcols) {                                                \
          int64_t jlo, jhi;                                                                                \
          ops_window_cols(d, ox, &jlo, &jhi);                                                              \
          int64_t x0 = ox * d->stride_w - d->pad_w;                                                        \
          for (int64_t i = 0; i < d->kh; i++) {                                                            \
            int64_t y = oy * d->stride_h - d->pad_h + i;                                                   \
            T *out = row + i * kw * c;                                                                     \
            if (y < 0 || y >= d->h || jlo >= jhi) {                                                        \
              memset(out, 0, (size_t)(kw * c) * sizeof(T));                                               \
              continue;                                                                                    \
            }                                                                                              \
            if (jlo > 0) memset(out, 0, (size_t)(jlo * c) * sizeof(T));                                    \
            memcpy(out + jlo * c, src + ((b * d->h + y) * d->w + x0 + jlo) * c,                            \
                   (size_t)((jhi - jlo) * c) * sizeof(T));                                                 \
            if (jhi < kw) memset(out + jhi * c, 0, (size_t)((kw - jhi) * c) * sizeof(T));                  \
          }                                                                                                \
        }                                                                                                  \
  } while (0)

OPS_GENERIC_FN void generic_im2col_s8(const int8k_conv_desc *d, const int8_t *src, int8_t *cols) {
  OPS_IM2COL_BODY(int8_t);
}

OPS_GENERIC_FN void generic_im2col_f32(const int8k_conv_desc *d, const float *src, float *cols) {
  OPS_IM2COL_BODY(float);
}

/* col2im: r, i, j in the spec's order; only the channel loop (independent elements) is innermost, so each
 * dst element receives its contributions in exactly the spec's order. ADD is the element update. */
#define OPS_COL2IM_BODY(T, ADD)                                                                            \
  do {                                                                                                     \
    int64_t oh = ops_out_h(d), ow = ops_out_w(d), c = d->c, kw = d->kw;                                   \
    int64_t kcols = d->kh * kw * c;                                                                        \
    memset(dst, 0, (size_t)(d->n * d->h * d->w * c) * sizeof(T));                                          \
    const T *row = cols;                                                                                   \
    for (int64_t b = 0; b < d->n; b++)                                                                     \
      for (int64_t oy = 0; oy < oh; oy++)                                                                  \
        for (int64_t ox = 0; ox < ow; ox++, row += kcols) {                                                \
          int64_t jlo, jhi;                                                                                \
          ops_window_cols(d, ox, &jlo, &jhi);                                                              \
          int64_t x0 = ox * d->stride_w - d->pad_w;                                                        \
          for (int64_t i = 0; i < d->kh; i++) {                                                            \
            int64_t y = oy * d->stride_h - d->pad_h + i;                                                   \
            if (y < 0 || y >= d->h) continue;                                                              \
            for (int64_t j = jlo; j < jhi; j++) {                                                          \
              T *__restrict o = dst + ((b * d->h + y) * d->w + x0 + j) * c;                                \
              const T *__restrict in = row + (i * kw + j) * c;                                             \
              for (int64_t ch = 0; ch < c; ch++) ADD(o[ch], in[ch]);                                       \
            }                                                                                              \
          }                                                                                                \
        }                                                                                                  \
  } while (0)

#define OPS_ADD_F32(o, v) ((o) += (v))
/* Unsigned arithmetic: the spec's wrap modulo 2^32 without signed-overflow UB. */
#define OPS_ADD_S32(o, v) ((o) = (int32_t)((uint32_t)(o) + (uint32_t)(v)))

OPS_GENERIC_FN void generic_col2im_f32(const int8k_conv_desc *d, const float *cols, float *dst) {
  OPS_COL2IM_BODY(float, OPS_ADD_F32);
}

OPS_GENERIC_FN void generic_col2im_s32(const int8k_conv_desc *d, const int32_t *cols, int32_t *dst) {
  OPS_COL2IM_BODY(int32_t, OPS_ADD_S32);
}

/* Max-pool, one body for codes and fp32: the first in-image cell of a window is copied, later cells are
 * merged with a compare and two selects (no branch in the channel loop, so it vectorizes). pad < kernel
 * guarantees an in-image cell; a later cell wins only when strictly greater, so for floats a NaN never
 * wins after the first cell, as in the reference. */
#define OPS_MAXPOOL_BODY(T)                                                                                \
  do {                                                                                                     \
    int64_t oh = ops_out_h(d), ow = ops_out_w(d), c = d->c;                                                \
    int64_t o = 0;                                                                                         \
    for (int64_t b = 0; b < d->n; b++)                                                                     \
      for (int64_t oy = 0; oy < oh; oy++)                                                                  \
        for (int64_t ox = 0; ox < ow; ox++, o += c) {                                                      \
          int first = 1;                                                                                   \
          for (int64_t i = 0; i < d->kh; i++) {                                                            \
            int64_t y = oy * d->stride_h - d->pad_h + i;                                                   \
            if (y < 0 || y >= d->h) continue;                                                              \
            for (int64_t j = 0; j < d->kw; j++) {                                                          \
              int64_t x = ox * d->stride_w - d->pad_w + j;                                                 \
              if (x < 0 || x >= d->w) continue;                                                            \
              int64_t base = ((b * d->h + y) * d->w + x) * c;                                              \
              const T *__restrict s = src + base;                                                          \
              T *__restrict out = dst + o;                                                                 \
              int32_t *__restrict am = argmax + o;                                                         \
              /* 32-bit lanes only (an argmax is an int32 index): the channel loop vectorizes, about a  */ \
              /* third faster than with 64-bit indices on a Zen 3                                      */ \
              int32_t base32 = (int32_t)base, c32 = (int32_t)c;                                            \
              if (first) {                                                                                 \
                for (int32_t ch = 0; ch < c32; ch++) {                                                     \
                  out[ch] = s[ch];                                                                         \
                  am[ch] = base32 + ch;                                                                    \
                }                                                                                          \
              } else {                                                                                     \
                for (int32_t ch = 0; ch < c32; ch++) {                                                     \
                  T v = s[ch], cur = out[ch];                                                              \
                  int32_t win = -(int32_t)(v > cur);                                                       \
                  out[ch] = v > cur ? v : cur;                                                             \
                  am[ch] = (am[ch] & ~win) | ((base32 + ch) & win);                                        \
                }                                                                                          \
              }                                                                                            \
              first = 0;                                                                                   \
            }                                                                                              \
          }                                                                                                \
        }                                                                                                  \
  } while (0)

OPS_GENERIC_FN void generic_max_pool(const int8k_conv_desc *d, const int8_t *restrict src,
                                       int8_t *restrict dst, int32_t *restrict argmax) {
  OPS_MAXPOOL_BODY(int8_t);
}

OPS_GENERIC_FN void generic_max_pool_f32(const int8k_conv_desc *d, const float *restrict src,
                                        float *restrict dst, int32_t *restrict argmax) {
  OPS_MAXPOOL_BODY(float);
}

/* grad_in = 0, then grad_in[argmax[o]] += grad_out[o] for o ascending. Windows that tile the image
 * (stride == kernel, no padding: maxpool(2)) are handled one output row at a time: the input rows under
 * it are zeroed and scattered into while they are in cache, instead of zeroing the whole image first and
 * missing the cache on every scatter. Each input cell then receives at most one term, added to +0 as
 * in the general loop, so the bits are the same. An argmax outside its output row's window rows (not
 * what max_pool_f32 writes, but valid input) sends the whole op to the general loop. */
static inline void ops_max_pool_backward_scatter(const int8k_conv_desc *d, const float *grad_out,
                                                 const int32_t *argmax, float *grad_in) {
  int64_t total_out = d->n * ops_out_h(d) * ops_out_w(d) * d->c;
  memset(grad_in, 0, (size_t)(d->n * d->h * d->w * d->c) * sizeof(float));
  for (int64_t o = 0; o < total_out; o++) grad_in[argmax[o]] += grad_out[o];
}

OPS_GENERIC_FN void generic_max_pool_backward(const int8k_conv_desc *d, const float *grad_out,
                                                 const int32_t *argmax, float *grad_in) {
  int tiles = d->stride_h == d->kh && d->stride_w == d->kw && d->pad_h == 0 && d->pad_w == 0;
  if (!tiles) {
    ops_max_pool_backward_scatter(d, grad_out, argmax, grad_in);
    return;
  }
  int64_t oh = ops_out_h(d), ow = ops_out_w(d);
  int64_t row_cells = d->w * d->c, out_row = ow * d->c, band = d->kh * row_cells;
  for (int64_t b = 0; b < d->n; b++) {
    int64_t image = b * d->h * row_cells;
    for (int64_t y = 0; y < oh; y++) {
      int64_t lo = image + y * band;
      memset(grad_in + lo, 0, (size_t)band * sizeof(float));
      int64_t o0 = (b * oh + y) * out_row;
      for (int64_t o = o0; o < o0 + out_row; o++) {
        int64_t at = argmax[o];
        if (at < lo || at >= lo + band) {
          ops_max_pool_backward_scatter(d, grad_out, argmax, grad_in);
          return;
        }
        grad_in[at] += grad_out[o];
      }
    }
    /* rows below the last window get no gradient */
    memset(grad_in + image + oh * band, 0, (size_t)((d->h - oh * d->kh) * row_cells) * sizeof(float));
  }
}

/* relu and its backward are elementwise and safe in place (dst == src / dst == grad). */
OPS_GENERIC_FN void generic_relu(int64_t count, const int8_t *src, int8_t *dst, uint8_t *mask) {
  for (int64_t e = 0; e < count; e++) {
    int8_t v = src[e];
    dst[e] = v > 0 ? v : 0;
    mask[e] = v > 0 ? 1 : 0;
  }
}

OPS_GENERIC_FN void generic_relu_backward(int64_t count, const float *grad, const uint8_t *mask,
                                              float *dst) {
  for (int64_t e = 0; e < count; e++) dst[e] = mask[e] != 0 ? grad[e] : 0.0f;
}

/* Batch normalization over rows x c (NHWC). Each loop runs over rows outside and channels inside, so every
 * per-channel sum keeps the reference's row order while the compiler vectorizes across channels. */
/* bn_statistics' second pass (bn_deviations) */
static inline void ops_bn_deviations(int64_t rows, int64_t c, const float *restrict x, const double *restrict mean,
                                     double *restrict m2, double *restrict absdev) {
  for (int64_t ch = 0; ch < c; ch++) m2[ch] = absdev[ch] = 0.0;
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    for (int64_t ch = 0; ch < c; ch++) {
      double dv = (double)xr[ch] - mean[ch];
      m2[ch] += dv * dv;
      absdev[ch] += fabs(dv);
    }
  }
}

OPS_GENERIC_FN void generic_bn_deviations(int64_t rows, int64_t c, const float *restrict x,
                                          const double *restrict mean, double *restrict m2,
                                          double *restrict absdev) {
  ops_bn_deviations(rows, c, x, mean, m2, absdev);
}

OPS_GENERIC_FN void generic_bn_statistics(int64_t rows, int64_t c, const float *restrict x,
                                          double *restrict mean, double *restrict m2,
                                          double *restrict absdev) {
  for (int64_t ch = 0; ch < c; ch++) mean[ch] = 0.0;
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    for (int64_t ch = 0; ch < c; ch++) mean[ch] += (double)xr[ch];
  }
  for (int64_t ch = 0; ch < c; ch++) mean[ch] /= (double)rows;
  ops_bn_deviations(rows, c, x, mean, m2, absdev);
}

/* fp32 ReLU on the bit patterns: a float is > 0 exactly when its bits, read as a signed int, lie in
 * [1, 0x7f800000] (+inf included, NaN and -0 excluded); the result is the input's bits or +0's. */
static inline int32_t ops_positive_mask(int32_t b) {
  return -(int32_t)((b > 0) & (b <= 0x7f800000));
}

/* The BN kernels keep no xhat between forward and backward: the backward ones recompute it from the
 * forward input x (bit for bit what the forward computed, with -ffp-contract=off). With relu != 0 they
 * fuse the ReLU that follows BN: forward writes the rectified output, backward masks the error by the
 * forward output, recomputed the same way, so no mask or pre-ReLU buffer is kept either. Each kernel is
 * specialized on relu so the flag leaves the loops. */
static inline float ops_bn_rectify(float v) {
  int32_t bits;
  memcpy(&bits, &v, sizeof bits);
  bits &= ops_positive_mask(bits);
  memcpy(&v, &bits, sizeof bits);
  return v;
}

static inline void ops_bn_normalize(int64_t rows, int64_t c, const float *restrict x,
                                    const float *restrict mean, const float *restrict inv_scale,
                                    const float *restrict gamma, const float *restrict beta, int relu,
                                    float *restrict y) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    float *yr = y + r * c;
    for (int64_t ch = 0; ch < c; ch++) {
      float out = gamma[ch] * ((xr[ch] - mean[ch]) * inv_scale[ch]) + beta[ch];
      yr[ch] = relu ? ops_bn_rectify(out) : out;
    }
  }
}

OPS_GENERIC_FN void generic_bn_normalize(int64_t rows, int64_t c, const float *restrict x,
                                         const float *restrict mean, const float *restrict inv_scale,
                                         const float *restrict gamma, const float *restrict beta, int relu,
                                         float *restrict y) {
  if (relu) {
    ops_bn_normalize(rows, c, x, mean, inv_scale, gamma, beta, 1, y);
  } else {
    ops_bn_normalize(rows, c, x, mean, inv_scale, gamma, beta, 0, y);
  }
}

/* the error g of one element, masked by the ReLU when relu != 0; h is its xhat */
static inline float ops_bn_error(float g, float h, float gamma, float beta, int relu) {
  if (!relu) return g;
  float out = gamma * h + beta;
  int32_t ob, gb;
  memcpy(&ob, &out, sizeof ob);
  memcpy(&gb, &g, sizeof gb);
  gb &= ops_positive_mask(ob);
  memcpy(&g, &gb, sizeof gb);
  return g;
}

static inline void ops_bn_backward_sums(int64_t rows, int64_t c, const float *restrict g,
                                        const float *restrict x, const float *restrict mean,
                                        const float *restrict inv_scale, const float *restrict gamma,
                                        const float *restrict beta, int relu, double *restrict sum_g,
                                        double *restrict sum_gh) {
  for (int64_t ch = 0; ch < c; ch++) sum_g[ch] = sum_gh[ch] = 0.0;
  for (int64_t r = 0; r < rows; r++) {
    const float *gr = g + r * c, *xr = x + r * c;
    for (int64_t ch = 0; ch < c; ch++) {
      float h = (xr[ch] - mean[ch]) * inv_scale[ch];
      double gv = (double)ops_bn_error(gr[ch], h, gamma[ch], beta[ch], relu);
      sum_g[ch] += gv;
      sum_gh[ch] += gv * (double)h;
    }
  }
}

OPS_GENERIC_FN void generic_bn_backward_sums(int64_t rows, int64_t c, const float *restrict g,
                                             const float *restrict x, const float *restrict mean,
                                             const float *restrict inv_scale, const float *restrict gamma,
                                             const float *restrict beta, int relu,
                                             double *restrict sum_g, double *restrict sum_gh) {
  if (relu) {
    ops_bn_backward_sums(rows, c, g, x, mean, inv_scale, gamma, beta, 1, sum_g, sum_gh);
  } else {
    ops_bn_backward_sums(rows, c, g, x, mean, inv_scale, gamma, beta, 0, sum_g, sum_gh);
  }
}

static inline void ops_bn_backward_input(int64_t rows, int64_t c, const float *restrict g,
                                         const float *restrict x, const float *restrict mean,
                                         const float *restrict inv_scale, const float *restrict gamma,
                                         const float *restrict beta, int relu, const double *restrict a,
                                         const double *restrict b, const double *restrict k,
                                         float *restrict grad_in) {
  for (int64_t r = 0; r < rows; r++) {
    const float *gr = g + r * c, *xr = x + r * c;
    float *out = grad_in + r * c;
    for (int64_t ch = 0; ch < c; ch++) {
      float h = (xr[ch] - mean[ch]) * inv_scale[ch];
      float gv = ops_bn_error(gr[ch], h, gamma[ch], beta[ch], relu);
      double v = (double)gv - a[ch] - (double)h * b[ch];
      out[ch] = (float)(k[ch] * v);
    }
  }
}

OPS_GENERIC_FN void generic_bn_backward_input(int64_t rows, int64_t c, const float *restrict g,
                                              const float *restrict x, const float *restrict mean,
                                              const float *restrict inv_scale, const float *restrict gamma,
                                              const float *restrict beta, int relu,
                                              const double *restrict a, const double *restrict b,
                                              const double *restrict k, float *restrict grad_in) {
  if (relu) {
    ops_bn_backward_input(rows, c, g, x, mean, inv_scale, gamma, beta, 1, a, b, k, grad_in);
  } else {
    ops_bn_backward_input(rows, c, g, x, mean, inv_scale, gamma, beta, 0, a, b, k, grad_in);
  }
}

/* Batch normalization fused with the max-pool that follows it, for windows that tile the image (stride ==
 * kernel, no padding; the dispatcher checks). The forward scans each window as max_pool_f32 does, on
 * values computed as bn_normalize computes them, so pooled and argmax are bit for bit those of the two ops
 * run apart while the normalized tensor is never written. The backward ops walk the input rows in
 * ascending order (the order of every per-channel sum) and take each element's error from the pooled
 * error of its window -- what max_pool_backward scatters for such an argmax, 0.0f + g, converting -0 as
 * that sum into +0 does -- instead of reading a scattered error tensor. */
static inline float ops_bn_value(float x, float mean, float inv_scale, float gamma, float beta, int relu) {
  float out = gamma * ((x - mean) * inv_scale) + beta;
  return relu ? ops_bn_rectify(out) : out;
}

static inline void ops_bn_max_pool(const int8k_conv_desc *d, const float *restrict x, const float *restrict mean,
                                   const float *restrict inv_scale, const float *restrict gamma,
                                   const float *restrict beta, int relu, float *restrict pooled,
                                   int32_t *restrict argmax) {
  int64_t oh = ops_out_h(d), ow = ops_out_w(d);
  int32_t c32 = (int32_t)d->c;
  int64_t o = 0;
  for (int64_t b = 0; b < d->n; b++)
    for (int64_t oy = 0; oy < oh; oy++)
      for (int64_t ox = 0; ox < ow; ox++, o += d->c) {
        float *restrict out = pooled + o;
        int32_t *restrict am = argmax + o;
        for (int64_t i = 0; i < d->kh; i++)
          for (int64_t j = 0; j < d->kw; j++) {
            int64_t base = ((b * d->h + oy * d->kh + i) * d->w + ox * d->kw + j) * d->c;
            const float *restrict s = x + base;
            int32_t base32 = (int32_t)base;
            if (i == 0 && j == 0) {
              for (int32_t ch = 0; ch < c32; ch++) {
                out[ch] = ops_bn_value(s[ch], mean[ch], inv_scale[ch], gamma[ch], beta[ch], relu);
                am[ch] = base32 + ch;
              }
            } else {
              for (int32_t ch = 0; ch < c32; ch++) {
                float v = ops_bn_value(s[ch], mean[ch], inv_scale[ch], gamma[ch], beta[ch], relu);
                float cur = out[ch];
                int32_t win = -(int32_t)(v > cur);
                out[ch] = v > cur ? v : cur;
                am[ch] = (am[ch] & ~win) | ((base32 + ch) & win);
              }
            }
          }
      }
}

OPS_GENERIC_FN void generic_bn_max_pool(const int8k_conv_desc *d, const float *restrict x,
                                        const float *restrict mean, const float *restrict inv_scale,
                                        const float *restrict gamma, const float *restrict beta, int relu,
                                        float *restrict pooled, int32_t *restrict argmax) {
  if (relu) {
    ops_bn_max_pool(d, x, mean, inv_scale, gamma, beta, 1, pooled, argmax);
  } else {
    ops_bn_max_pool(d, x, mean, inv_scale, gamma, beta, 0, pooled, argmax);
  }
}

/* The error of element (pixel base, channel ch) as the batch norm sees it: 0.0f + grad_pooled[o0 + ch] when
 * argmax of its window (first channel o0; o0 < 0: the pixel is in no window) names it, else +0, then
 * masked by the forward output when relu. */
static inline float ops_pooled_error(int64_t o0, int64_t base, int64_t ch, const float *grad_pooled,
                                     const int32_t *argmax, float h, float gamma, float beta, int relu) {
  float g = o0 >= 0 && argmax[o0 + ch] == (int32_t)(base + ch) ? 0.0f + grad_pooled[o0 + ch] : 0.0f;
  return ops_bn_error(g, h, gamma, beta, relu);
}

/* Runs the statements for every input pixel of a tiling window d in ascending order, with base its first
 * element and o0 the pooled index of its window's first channel, or -1 for a pixel in no window (rows and
 * columns past the last whole window); one division per image row, none per pixel. */
#define OPS_BN_POOL_FOR_EACH_PIXEL(d, ...)                                                                \
  do {                                                                                                     \
    const int64_t oh_ = ops_out_h(d), ow_ = ops_out_w(d), c_ = (d)->c, kh_ = (d)->kh, kw_ = (d)->kw;     \
    const int64_t h_ = (d)->h, w_ = (d)->w;                                                               \
    for (int64_t b_ = 0; b_ < (d)->n; b_++)                                                                \
      for (int64_t y_ = 0; y_ < h_; y_++) {                                                                \
        int64_t oy_ = y_ / kh_;                                                                            \
        int64_t row_ = (b_ * h_ + y_) * w_ * c_;                                                           \
        int64_t orow_ = oy_ < oh_ ? (b_ * oh_ + oy_) * ow_ * c_ : -1;                                      \
        for (int64_t ox_ = 0; ox_ < ow_; ox_++)                                                            \
          for (int64_t j_ = 0; j_ < kw_; j_++) {                                                           \
            int64_t base = row_ + (ox_ * kw_ + j_) * c_;                                                    \
            int64_t o0 = orow_ < 0 ? -1 : orow_ + ox_ * c_;                                                \
            __VA_ARGS__                                                                                    \
          }                                                                                                \
        for (int64_t xx_ = ow_ * kw_; xx_ < w_; xx_++) {                                                   \
          int64_t base = row_ + xx_ * c_;                                                                  \
          int64_t o0 = -1;                                                                                 \
          __VA_ARGS__                                                                                      \
        }                                                                                                  \
      }                                                                                                    \
  } while (0)

/* The sums of channels [from, c) (the vectorized kernels pass the channels past their last full vector). */
static inline void ops_bn_max_pool_backward_sums(const int8k_conv_desc *d, const float *restrict grad_pooled,
                                                 const int32_t *restrict argmax, const float *restrict x,
                                                 const float *restrict mean, const float *restrict inv_scale,
                                                 const float *restrict gamma, const float *restrict beta,
                                                 int64_t from, int relu, double *restrict sum_g,
                                                 double *restrict sum_gh) {
  const int64_t c = d->c;
  for (int64_t ch = from; ch < c; ch++) sum_g[ch] = sum_gh[ch] = 0.0;
  OPS_BN_POOL_FOR_EACH_PIXEL(d, {
    for (int64_t ch = from; ch < c; ch++) {
      float h = (x[base + ch] - mean[ch]) * inv_scale[ch];
      double gv = (double)ops_pooled_error(o0, base, ch, grad_pooled, argmax, h, gamma[ch], beta[ch], relu);
      sum_g[ch] += gv;
      sum_gh[ch] += gv * (double)h;
    }
  });
}

OPS_GENERIC_FN void generic_bn_max_pool_backward_sums(const int8k_conv_desc *d, const float *restrict grad_pooled,
                                                      const int32_t *restrict argmax, const float *restrict x,
                                                      const float *restrict mean, const float *restrict inv_scale,
                                                      const float *restrict gamma, const float *restrict beta,
                                                      int relu, double *restrict sum_g, double *restrict sum_gh) {
  if (relu) {
    ops_bn_max_pool_backward_sums(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 0, 1, sum_g, sum_gh);
  } else {
    ops_bn_max_pool_backward_sums(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 0, 0, sum_g, sum_gh);
  }
}

/* The input gradient of channels [from, c). */
static inline void ops_bn_max_pool_backward_input(const int8k_conv_desc *d, const float *restrict grad_pooled,
                                                  const int32_t *restrict argmax, const float *restrict x,
                                                  const float *restrict mean, const float *restrict inv_scale,
                                                  const float *restrict gamma, const float *restrict beta,
                                                  int64_t from, int relu, const double *restrict a,
                                                  const double *restrict bq, const double *restrict k,
                                                  float *restrict grad_in) {
  const int64_t c = d->c;
  OPS_BN_POOL_FOR_EACH_PIXEL(d, {
    for (int64_t ch = from; ch < c; ch++) {
      float h = (x[base + ch] - mean[ch]) * inv_scale[ch];
      float gv = ops_pooled_error(o0, base, ch, grad_pooled, argmax, h, gamma[ch], beta[ch], relu);
      double v = (double)gv - a[ch] - (double)h * bq[ch];
      grad_in[base + ch] = (float)(k[ch] * v);
    }
  });
}

OPS_GENERIC_FN void generic_bn_max_pool_backward_input(const int8k_conv_desc *d, const float *restrict grad_pooled,
                                                       const int32_t *restrict argmax, const float *restrict x,
                                                       const float *restrict mean, const float *restrict inv_scale,
                                                       const float *restrict gamma, const float *restrict beta,
                                                       int relu, const double *restrict a, const double *restrict b,
                                                       const double *restrict k, float *restrict grad_in) {
  if (relu) {
    ops_bn_max_pool_backward_input(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 0, 1, a, b, k, grad_in);
  } else {
    ops_bn_max_pool_backward_input(d, grad_pooled, argmax, x, mean, inv_scale, gamma, beta, 0, 0, a, b, k, grad_in);
  }
}

/* fp32 matrix glue. Column sums keep each column's row order (vectorized across columns); the transpose
 * moves 32 x 32 tiles so both sides stay in cache. */
OPS_GENERIC_FN void generic_column_sums_f32(int64_t rows, int64_t cols, const float *restrict m,
                                            float *restrict out) {
  for (int64_t j = 0; j < cols; j++) out[j] = 0.0f;
  for (int64_t r = 0; r < rows; r++) {
    const float *mr = m + r * cols;
    for (int64_t j = 0; j < cols; j++) out[j] += mr[j];
  }
}

OPS_GENERIC_FN void generic_add_row_vector_f32(int64_t rows, int64_t cols, float *restrict m,
                                               const float *restrict v) {
  for (int64_t r = 0; r < rows; r++) {
    float *mr = m + r * cols;
    for (int64_t j = 0; j < cols; j++) mr[j] += v[j];
  }
}

/* 32 x 32 tiles, so both sides stay in cache */
#define OPS_TRANSPOSE_BODY                                                                             \
  const int64_t tile = 32;                                                                             \
  for (int64_t r0 = 0; r0 < rows; r0 += tile) {                                                        \
    int64_t r1 = r0 + tile < rows ? r0 + tile : rows;                                                  \
    for (int64_t c0 = 0; c0 < cols; c0 += tile) {                                                      \
      int64_t c1 = c0 + tile < cols ? c0 + tile : cols;                                                \
      for (int64_t c = c0; c < c1; c++)                                                                \
        for (int64_t r = r0; r < r1; r++) dst[c * rows + r] = src[r * cols + c];                        \
    }                                                                                                  \
  }

OPS_GENERIC_FN void generic_transpose_f32(int64_t rows, int64_t cols, const float *restrict src,
                                          float *restrict dst) {
  OPS_TRANSPOSE_BODY
}

OPS_GENERIC_FN void generic_transpose_s8(int64_t rows, int64_t cols, const int8_t *restrict src,
                                         int8_t *restrict dst) {
  OPS_TRANSPOSE_BODY
}

OPS_GENERIC_FN void generic_relu_f32(int64_t count, const float *src, float *dst) {
  const int32_t *s = (const int32_t *)src;
  int32_t *d = (int32_t *)dst;
  for (int64_t e = 0; e < count; e++) d[e] = s[e] & ops_positive_mask(s[e]);
}

OPS_GENERIC_FN void generic_relu_backward_f32(int64_t count, const float *grad, const float *y,
                                                        float *dst) {
  const int32_t *g = (const int32_t *)grad, *yb = (const int32_t *)y;
  int32_t *d = (int32_t *)dst;
  for (int64_t e = 0; e < count; e++) d[e] = g[e] & ops_positive_mask(yb[e]);
}

/* the direct convolution ops of a network's stem */
#include "ops_conv_direct.h"
/* the stem's backward through the batch norm and max-pool after it */
#include "ops_stem_backward.h"

#endif /* INT8K_OPS_GENERIC_H */
