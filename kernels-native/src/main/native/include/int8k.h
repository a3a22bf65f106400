/*
 * int8k.h - the C ABI of the spark-int8 CPU kernels.
 *
 * Every function returns INT8K_OK (0) or an error status; the message of the last error of the calling
 * thread is in int8k_last_error(). No function aborts, throws or prints.
 *
 * Conventions shared by all ops
 *  - Matrices are row-major. A "rows x cols" matrix X with leading dimension ld has X[i][j] = x[i*ld + j].
 *  - Tensors of images are NHWC (channels innermost): element (b, y, x, ch) of an n x h x w x c tensor
 *    is at ((b*h + y)*w + x)*c + ch.
 *  - Floating point follows IEEE-754 binary32/binary64 with round-to-nearest-even, evaluated in exactly the
 *    order written here (the library is built with -ffp-contract=off and without -ffast-math; fma() below
 *    is the fused multiply-add with one rounding). The pure-Java reference (package io.sparkint8.kernels.ref)
 *    computes the same expressions in the same order, so every op is bit-identical to it on every ISA path
 *    and for every thread count.
 *  - qmax(bits) = 2^(bits-1) - 1 (127 for 8 bits). Codes never take the value -qmax-1.
 *  - rint(x) is round-half-to-even (Java Math.rint). floor(x) is the usual floor.
 *  - "float(v)" of an integer is the conversion with round-to-nearest-even.
 */
#ifndef INT8K_H
#define INT8K_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum int8k_status {
  INT8K_OK = 0,
  INT8K_ERR_ARG = 1,   /* invalid argument: size, dimension, null pointer, value out of range */
  INT8K_ERR_NOMEM = 2, /* scratch allocation failed */
  INT8K_ERR_STATE = 3  /* e.g. a packed operand made for another ISA */
};

enum int8k_isa { INT8K_ISA_SCALAR = 0, INT8K_ISA_AVX2 = 1, INT8K_ISA_AVX512VNNI = 2 };

/* Message of the last failed call on this thread ("" if none). */
const char *int8k_last_error(void);

/* The ISA path in use: the best one the CPU supports, capped by the environment variable
 * INT8K_MAX_ISA=scalar|avx2|avx512vnni (read once, at the first call). */
int int8k_selected_isa(void);
/* The best ISA the CPU supports, ignoring INT8K_MAX_ISA. */
int int8k_cpu_isa(void);
const char *int8k_isa_name(int isa);

/* The kernels' temporaries (packing buffers, partial sums) come from here: 64-byte aligned and counted,
 * so that a caller can see the most bytes they held at once (NULL when out of memory). */
void *int8k_scratch_alloc(size_t bytes);
/* the same, zero-filled */
void *int8k_scratch_calloc(size_t bytes);
/* frees what int8k_scratch_alloc returned (NULL allowed) */
void int8k_scratch_free(void *p);
/* the most bytes of scratch held at once since the library loaded or since the last reset */
int64_t int8k_scratch_peak_bytes(void);
/* starts the peak over from what is held now */
void int8k_scratch_reset_peak(void);

/* ---------------------------------------------------------------------------------------------------- */
/* GEMM                                                                                                   */
/* ---------------------------------------------------------------------------------------------------- */

/*
 * C[m x n] = op(A)[m x k] * op(B)[k x n].
 *  trans_a = 0: A is stored m x k, A[i][p] = a[i*lda + p] (lda >= k)
 *  trans_a = 1: A is stored k x m, A[i][p] = a[p*lda + i] (lda >= m)
 *  trans_b = 0: B is stored k x n, B[p][j] = b[p*ldb + j] (ldb >= n)
 *  trans_b = 1: B is stored n x k, B[p][j] = b[j*ldb + p] (ldb >= k)
 *  C[i][j] = c[i*ldc + j] (ldc >= n)
 * m, n, k >= 1. threads >= 1: the call splits its work over that many threads; the result does not
 * depend on it.
 */
typedef struct int8k_gemm_desc {
  int trans_a, trans_b;
  int64_t m, n, k;
  int64_t lda, ldb, ldc;
  int threads;
} int8k_gemm_desc;

/*
 * Fused dequantization epilogue of the s8 x s8 GEMM with fp32 output. With S the exact integer sum
 * S = sum_p A[i][p] * B[p][j] (computed exactly, in 64 bits where K needs it):
 *   v = float(S)
 *   v = v * alpha
 *   if (row_scale) v = v * row_scale[i]
 *   if (col_scale) v = v * col_scale[j]
 *   if (bias)      v = v + bias[j]
 *   if (beta != 0) v = v + beta * C_old[i][j]          (C_old is not read when beta == 0)
 *   C[i][j] = v
 */
typedef struct int8k_epilogue {
  float alpha;
  const float *row_scale; /* m entries or NULL */
  const float *col_scale; /* n entries or NULL */
  const float *bias;      /* n entries or NULL */
  float beta;
} int8k_epilogue;

/* Largest K whose int32 dot products cannot overflow: |a*b| <= 128*128, so K * 16384 <= 2^31 - 1 holds for
 * K <= 131071. Longer reductions are split into chunks of INT8K_KMAX (a multiple of 64) whose exact int32
 * sums are added in int64. */
#define INT8K_KMAX 131008

/* s32 output: C[i][j] = (int32_t) S, i.e. the exact sum reduced modulo 2^32 (exact whenever it fits,
 * which is always the case for K <= INT8K_KMAX). packed_b may be NULL; when it is not, b is ignored and
 * packed_b must come from int8k_pack_b with the same (k, n) and the same ISA. */
int int8k_gemm_s8s8s32(const int8k_gemm_desc *d, const int8_t *a, const int8_t *b, const void *packed_b,
                       int32_t *c);

/* fp32 output with the fused epilogue above. */
int int8k_gemm_s8s8f32(const int8k_gemm_desc *d, const int8_t *a, const int8_t *b, const void *packed_b,
                       const int8k_epilogue *ep, float *c);

/* Packing of B for reuse across calls (weights are packed once per step and used by forward and
 * grad_input). The layout is private to the ISA path that made it; the first 64 bytes hold a header
 * (magic, isa, k, n) that the GEMM checks. k <= INT8K_KMAX. */
int int8k_packed_b_size(int64_t k, int64_t n, int64_t *bytes);
int int8k_pack_b(int trans_b, int64_t k, int64_t n, const int8_t *b, int64_t ldb, void *packed,
                 int64_t packed_bytes);

/*
 * fp32 GEMM on the library's own kernels (no BLAS). Each output is one fused multiply-add chain over k in
 * ascending order, then alpha and beta:
 *   acc = +0.0f;  for p = 0 .. k-1:  acc = fma(A[i][p], B[p][j], acc)
 *   C[i][j] = alpha * acc                           when beta == 0 (C is not read)
 *   C[i][j] = alpha * acc + beta * C_old[i][j]     otherwise (two products and a sum, each rounded)
 * The kernels vectorize across i and j only and split the threads (d->threads) by output rows or columns,
 * never by k, so the bits do not depend on the ISA path, the thread count or the host.
 */
int int8k_gemm_f32(const int8k_gemm_desc *d, float alpha, const float *a, const float *b, float beta,
                   float *c);
/* "int8k-sgemm" */
const char *int8k_gemm_f32_route(void);

/* ---------------------------------------------------------------------------------------------------- */
/* Quantization                                                                                           */
/* ---------------------------------------------------------------------------------------------------- */

enum int8k_granularity { INT8K_PER_TENSOR = 0, INT8K_PER_ROW = 1, INT8K_PER_GROUP = 2 };
enum int8k_rounding { INT8K_ROUND_NEAREST = 0, INT8K_ROUND_STOCHASTIC = 1 };

/*
 * A rows x cols fp32 matrix (contiguous, ld = cols) quantized to codes of `bits` bits (2..8, stored one
 * per int8) with one scale per group:
 *   PER_TENSOR: one group, all elements.                          groups = 1
 *   PER_ROW:    one group per row.                                groups = rows
 *   PER_GROUP:  row r, columns [g*group, min((g+1)*group, cols)). groups = rows * ceil(cols / group),
 *               numbered r * ceil(cols/group) + g.
 * For each group:
 *   amax = max |x| over the group (NaN if any element is NaN).  amax not finite -> INT8K_ERR_ARG.
 *   s    = clip ? clip[group] : amax        (clip values must be finite and >= 0, else INT8K_ERR_ARG)
 *   if (pow2 && s > 0) s = the smallest power of two >= s   (exact, by exponent arithmetic)
 *   scale_out[group] = s / (float) qmax               (0 when s == 0)
 *   if s == 0: every code of the group is 0
 *   else: inv = (float) qmax / s;  for each element x with flat index e = r*cols + col:
 *     y = (x > s ? s : (x < -s ? -s : x)) * inv
 *     nearest:    q = (int) rint(y)
 *     stochastic: q = (int) floor(y + u(seed, stream, e))          (float add)
 *     q = min(max(q, -qmax), qmax)
 *
 * u(seed, stream, e) in [0, 1) is a counter-based draw, independent of threads and call order:
 *   splitmix64(z): z += 0x9E3779B97F4A7C15; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
 *                  z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31);     (uint64)
 *   fmix32(h):     h ^= h >> 16; h *= 0x85EBCA6B; h ^= h >> 13; h *= 0xC2B2AE35; h ^= h >> 16;  (uint32)
 *   key = splitmix64(seed ^ splitmix64(stream)); k0 = (uint32) key; k1 = (uint32) (key >> 32)
 *   h = fmix32((uint32) e ^ k0);  h = fmix32(h ^ k1 ^ (uint32) (e >> 32))
 *   u = (float) (h >> 8) * 0x1p-24f
 */
typedef struct int8k_quant_desc {
  int64_t rows, cols;
  int bits;
  int granularity;
  int64_t group; /* PER_GROUP only, >= 1 */
  int rounding;
  int pow2;
  uint64_t seed, stream;
} int8k_quant_desc;

int int8k_quant_groups(const int8k_quant_desc *d, int64_t *groups);
int int8k_quantize(const int8k_quant_desc *d, const float *src, const float *clip, int8_t *dst,
                   float *scale_out);
/* int8k_quantize of the d->rows x d->cols matrix whose transpose src_t (d->cols x d->rows) is given, in one
 * pass: element (r, c) is src_t[c * rows + r]; codes, scales and stochastic draws are those of the matrix.
 * Per-tensor or per-row groups; clip required. */
int int8k_quantize_transposed(const int8k_quant_desc *d, const float *src_t, const float *clip, int8_t *dst,
                              float *scale_out);
/* int8k_quantize_transposed that also writes dst_t (d->cols x d->rows, src_t's layout) = dst transposed:
 * dst_t[c * rows + r] = dst[r * cols + c], the same codes from the same pass. */
int int8k_quantize_transposed_both(const int8k_quant_desc *d, const float *src_t, const float *clip, int8_t *dst,
                                   int8_t *dst_t, float *scale_out);
/* dst[e] = (float) q[e] * scale[group of e] */
int int8k_dequantize(const int8k_quant_desc *d, const int8_t *codes, const float *scale, float *dst);

/*
 * ShiftQuant (ALGORITHMS.md section 5): PER_GROUP with pow2 (group <= INT8K_SHIFT_MAX_GROUP), codes and one
 * power-of-two exponent per group (the group's value of a code q is q * 2^e / qmax). For row r, group g:
 *   m = min(amax of the group, row_clip ? row_clip[r] : +inf)    (row_clip finite >= 0, amax finite)
 *   e = m > 0 ? the smallest e with 2^e >= m, clamped to [INT8K_SHIFT_MIN_EXP, INT8K_SHIFT_MAX_EXP]
 *             : INT8K_SHIFT_MIN_EXP
 *   e = max(e, (max over the row's groups of e) - INT8K_SHIFT_SPAN)
 *   codes: as int8k_quantize with the group's s = 2^e
 */
#define INT8K_SHIFT_SPAN 24
#define INT8K_SHIFT_MIN_EXP (-120)
#define INT8K_SHIFT_MAX_EXP 127
#define INT8K_SHIFT_MAX_GROUP 65536
#define INT8K_SHIFT_MAX_K (1 << 24)
int int8k_shift_quantize(const int8k_quant_desc *d, const float *src, const float *row_clip, int8_t *dst,
                         int32_t *exponents);

/*
 * The GEMM of ShiftQuant codes: row i of op(A) holds groups of `group` consecutive elements along k (the
 * last one shorter), group g with exponent exps[i * ceil(k / group) + g]. Each group's partial sum is an
 * exact int32 GEMM (the ISA's kernel over that k range); the partials are aligned by shifts in int64:
 *   emin = min_g e[i][g];  s = sum over g ascending of (int64) P_g * 2^(e[i][g] - emin)
 *   C[i][j] = (float) ((double) ((float) s * alpha) * 2^emin)
 * A row's exponents must lie within INT8K_SHIFT_SPAN of each other; 1 <= group <= INT8K_SHIFT_MAX_GROUP,
 * k <= INT8K_SHIFT_MAX_K (so s is exact: |P_g| < 2^30, |s| < 2^62).
 */
int int8k_gemm_s8s8f32_shift(const int8k_gemm_desc *d, const int8_t *a, const int8_t *b, int64_t group,
                             const int32_t *exps, float alpha, float *c);

/* ---------------------------------------------------------------------------------------------------- */
/* Statistics                                                                                             */
/* ---------------------------------------------------------------------------------------------------- */

enum int8k_axis { INT8K_AXIS_TENSOR = 0, INT8K_AXIS_ROW = 1, INT8K_AXIS_COLUMN = 2 };

/*
 * The sums behind the DSGC deviation d(c) = 1 - cos<x, xhat(c)> of count elements against their per-tensor
 * quantization with round-to-nearest at `bits`, for each of ncand clip values (finite, > 0), in one pass over x:
 *   inv = (float) qmax / c;  step = c / (float) qmax
 *   q = clamp((int) rint((x > c ? c : (x < -c ? -c : x)) * inv), -qmax, qmax);  xh = (float) q * step
 *   dot += (double) x * (double) xh;  nh += (double) xh * xh;  nx += (double) x * x
 * Summation order (so every path agrees bit for bit): element e goes into lane e % 16 of 16 double
 * accumulators per sum; the lanes are then folded as: for w in 8, 4, 2, 1: lane[j] += lane[j + w] for j < w.
 *   out[i] = dot(c_i), out[ncand + i] = nh(c_i) for i < ncand, out[2 * ncand] = nx (2 * ncand + 1 values).
 * The caller forms d = (nx == 0 || nh == 0) ? 1 : 1 - dot / (sqrt(nx) * sqrt(nh)); the sums themselves are
 * returned so that partitions can add them before the deviation of their union is formed.
 * 1 <= ncand <= 64.
 */
int int8k_clip_cosine_sums(int64_t count, const float *src, int bits, int ncand, const float *cand,
                           double *out);

/* ---------------------------------------------------------------------------------------------------- */
/* Sliding windows (NHWC)                                                                                 */
/* ---------------------------------------------------------------------------------------------------- */

/*
 * A sliding window over an n x h x w x c tensor: kernel kh x kw, strides, zero padding.
 *   oh = (h + 2*pad_h - kh) / stride_h + 1,  ow = (w + 2*pad_w - kw) / stride_w + 1   (both >= 1)
 * All sizes >= 1, pads >= 0 and (for pooling) pad_h < kh, pad_w < kw.
 */
typedef struct int8k_conv_desc {
  int64_t n, h, w, c, kh, kw, stride_h, stride_w, pad_h, pad_w;
} int8k_conv_desc;

/* Positions of the pool x pool windows at stride pool that tile the output of window d (n * (oh / pool) *
 * (ow / pool); rows and columns past the last whole window are in none); 0 for pool < 1. */
static inline int64_t int8k_tiled_pool_outputs(const int8k_conv_desc *d, int64_t pool) {
  if (pool < 1) return 0;
  int64_t oh = (d->h + 2 * d->pad_h - d->kh) / d->stride_h + 1, ow = (d->w + 2 * d->pad_w - d->kw) / d->stride_w + 1;
  return d->n * (oh / pool) * (ow / pool);
}

/* The direct convolution ops (conv_s8_direct, conv_grad_weight_f32_direct in int8k_ops.def) take windows
 * of at most this many cells (kh*kw*c): the stem of a network (3x3 over 1..3 channels, 5x5 over 1..2). The
 * bound keeps the window's integer sums below 2^24 and its patch in a small stack array. */
#define INT8K_DIRECT_MAX_PATCH 64
/* Rows per fp32 partial sum of conv_grad_weight_f32_direct (the blocks are then added in double). */
#define INT8K_DIRECT_GRAD_BLOCK 256

/* ---------------------------------------------------------------------------------------------------- */
/* The ops of int8k_ops.def: absmax and the GVQ channel test, im2col / col2im, max-pool, ReLU, batch     */
/* normalization, fp32 matrix glue. Their semantics are documented there, one comment per line.          */
/* ---------------------------------------------------------------------------------------------------- */

#include "int8k_ops.h"
#define INT8K_OP(name, java, shape, ...) int int8k_##name(INT8K_OP_PARAMS(shape, __VA_ARGS__));
#include "int8k_ops.def"

#ifdef __cplusplus
}
#endif
#endif /* INT8K_H */
