/*
 * int8k_isa.h - internal: what each ISA translation unit provides to the dispatcher (int8k_dispatch.c).
 *
 * The dispatcher validates every argument, splits work over threads, splits K beyond INT8K_KMAX and sets
 * error messages. ISA functions receive valid arguments only, run on the calling thread and never fail
 * except for a scratch allocation (they then return INT8K_ERR_NOMEM). Each ISA lives in its own
 * translation units compiled with that ISA's flags: gemm_s8_<isa>.c and ops_<isa>.c.
 */
#ifndef INT8K_ISA_H
#define INT8K_ISA_H

#include "int8k.h"

/* One single-threaded GEMM over rows [0, m) of the caller's sub-problem; k <= INT8K_KMAX. Pointers of A,
 * C and ep->row_scale are already offset to the sub-problem's first row. */
typedef struct int8k_gemm_call {
  int trans_a, trans_b;
  int64_t m, n, k;
  const int8_t *a;
  int64_t lda;
  const int8_t *b; /* used when packed_b == NULL */
  int64_t ldb;
  const uint8_t *packed_b;  /* body (after the 64-byte header) of B packed for exactly (k, n), or NULL */
  const int8k_epilogue *ep; /* NULL: write c_s32; else apply the epilogue into c_f32 */
  int32_t *c_s32;
  float *c_f32;
  int64_t ldc;
} int8k_gemm_call;

typedef struct int8k_gemm_ops {
  int isa;
  /* bytes of the packed body for (k, n) */
  int64_t (*packed_b_body_size)(int64_t k, int64_t n);
  void (*pack_b)(int trans_b, int64_t k, int64_t n, const int8_t *b, int64_t ldb, uint8_t *body);
  int (*gemm_s8s8)(const int8k_gemm_call *call);
} int8k_gemm_ops;

typedef struct int8k_misc_ops {
  int isa;
  /* amax per quantization group (see int8k_quantize), NaN-propagating */
  void (*group_absmax)(const int8k_quant_desc *d, const float *src, float *amax);
  /* codes from final per-group clip values s (s >= 0, finite; codes 0 where s == 0) */
  void (*quantize_groups)(const int8k_quant_desc *d, const float *src, const float *s, int8_t *dst);
  void (*dequantize)(const int8k_quant_desc *d, const int8_t *codes, const float *scale, float *dst);
  void (*absmax)(int64_t rows, int64_t cols, const float *src, int axis, float *out);
  void (*channel_fraction_above_std)(int64_t rows, int64_t cols, const float *src, float *out);
  void (*clip_cosine_deviation)(int64_t count, const float *src, int bits, int ncand, const float *cand,
                                double *out);
  void (*im2col_s8)(const int8k_conv_desc *d, const int8_t *src, int8_t *cols);
  void (*im2col_f32)(const int8k_conv_desc *d, const float *src, float *cols);
  void (*col2im_f32)(const int8k_conv_desc *d, const float *cols, float *dst);
  void (*col2im_s32)(const int8k_conv_desc *d, const int32_t *cols, int32_t *dst);
  void (*maxpool_s8)(const int8k_conv_desc *d, const int8_t *src, int8_t *dst, int32_t *argmax);
  /* argmax already validated */
  void (*maxpool_backward_f32)(const int8k_conv_desc *d, const float *grad_out, const int32_t *argmax,
                               float *grad_in);
  void (*relu_s8)(int64_t count, const int8_t *src, int8_t *dst, uint8_t *mask);
  void (*relu_backward_f32)(int64_t count, const float *grad, const uint8_t *mask, float *dst);
  void (*bn_statistics)(int64_t rows, int64_t c, const float *x, double *mean, double *m2, double *absdev);
  void (*bn_normalize)(int64_t rows, int64_t c, const float *x, const float *mean, const float *inv_scale,
                       const float *gamma, const float *beta, float *xhat, float *y);
  void (*bn_backward_sums)(int64_t rows, int64_t c, const float *g, const float *xhat, double *sum_g,
                           double *sum_gh);
  void (*bn_backward_input)(int64_t rows, int64_t c, const float *g, const float *xhat, const double *a,
                            const double *b, const double *k, float *grad_in);
  void (*relu_f32)(int64_t count, const float *src, float *dst);
  void (*column_sums_f32)(int64_t rows, int64_t cols, const float *m, float *out);
  void (*add_row_vector_f32)(int64_t rows, int64_t cols, float *m, const float *v);
  void (*transpose_f32)(int64_t rows, int64_t cols, const float *src, float *dst);
  void (*maxpool_f32)(const int8k_conv_desc *d, const float *src, float *dst, int32_t *argmax);
  void (*relu_backward_by_output_f32)(int64_t count, const float *grad, const float *y, float *dst);
} int8k_misc_ops;

extern const int8k_gemm_ops int8k_gemm_ops_scalar, int8k_gemm_ops_avx2, int8k_gemm_ops_avx512vnni;
extern const int8k_misc_ops int8k_misc_ops_scalar, int8k_misc_ops_avx2, int8k_misc_ops_avx512vnni;

/* The epilogue of int8k.h for one element, in exactly its order (the build uses -ffp-contract=off, so
 * no FMA); s is the exact integer sum, whose conversion to float rounds once. */
static inline float int8k_epilogue_apply(const int8k_epilogue *ep, int64_t s, int64_t i, int64_t j,
                                         const float *cold) {
  float v = (float)s;
  v = v * ep->alpha;
  if (ep->row_scale) v = v * ep->row_scale[i];
  if (ep->col_scale) v = v * ep->col_scale[j];
  if (ep->bias) v = v + ep->bias[j];
  if (ep->beta != 0.0f) v = v + ep->beta * *cold;
  return v;
}

/* The counter-based uniform draw of int8k.h, shared by every path. */
static inline uint64_t int8k_splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
static inline uint32_t int8k_fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}
static inline uint64_t int8k_sr_key(uint64_t seed, uint64_t stream) {
  return int8k_splitmix64(seed ^ int8k_splitmix64(stream));
}
static inline float int8k_sr_uniform(uint64_t key, int64_t e) {
  uint32_t h = int8k_fmix32((uint32_t)e ^ (uint32_t)key);
  h = int8k_fmix32(h ^ (uint32_t)(key >> 32) ^ (uint32_t)((uint64_t)e >> 32));
  return (float)(h >> 8) * 0x1p-24f;
}

#endif /* INT8K_ISA_H */
