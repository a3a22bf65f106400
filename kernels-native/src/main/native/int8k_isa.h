/*
 * int8k_isa.h - internal: what each ISA translation unit provides to the dispatcher (int8k_dispatch.c).
 *
 * The dispatcher validates every argument, splits work over threads, splits K beyond INT8K_KMAX and sets
 * error messages. ISA functions receive valid arguments only, run on the calling thread and never fail
 * except for a scratch allocation (they then return INT8K_ERR_NOMEM). Each ISA lives in its own
 * translation units compiled with that ISA's flags: gemm_s8_<isa>.c, sgemm_<isa>.c and ops_<isa>.c.
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

/* One single-threaded fp32 core call (sgemm.h): C[i][j] = acc (alpha = 1, beta = 0) for i < m, j < n. */
typedef struct int8k_sgemm_call {
  int trans_a, trans_b;
  int64_t m, n, k;
  const float *a; /* A[i][p] = trans_a ? a[p * lda + i] : a[i * lda + p] */
  int64_t lda;
  const float *b; /* B[p][j] = trans_b ? b[j * ldb + p] : b[p * ldb + j] */
  int64_t ldb;
  float *c; /* C[i][j] = c[i * ldc + j] */
  int64_t ldc;
} int8k_sgemm_call;

/* The tables of kernels, one per ISA, generated from int8k_ops.def: the GEMM's (gemm_s8_<isa>.c) and
 * everything else's (ops_<isa>.c). An op's kernel takes the op's parameters. */
typedef struct int8k_gemm_ops {
  int isa;
#define INT8K_GEMM_KERNEL(ret, name, params) ret(*name) params;
#include "int8k_ops.def"
} int8k_gemm_ops;

typedef struct int8k_misc_ops {
  int isa;
#define INT8K_OP(name, java, shape, ...) void (*name)(INT8K_OP_PARAMS(shape, __VA_ARGS__));
#define INT8K_KERNEL(name, params) void(*name) params;
#include "int8k_ops.def"
} int8k_misc_ops;

/* An entry of an ISA's table initializer: the op's generic kernel (ops_generic.h). An ISA file opens its
 * table with every generic entry, by defining INT8K_OP and INT8K_KERNEL as this and including
 * int8k_ops.def, then lists its own kernels, which replace those entries (C11 6.7.9: a later designated
 * initializer of a member overrides an earlier one; INT8K_TABLE_OVERRIDES_BEGIN silences gcc's
 * -Woverride-init about exactly that). */
#define INT8K_GENERIC_ENTRY(name, ...) .name = generic_##name,
#define INT8K_TABLE_OVERRIDES_BEGIN \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Woverride-init\"")
#define INT8K_TABLE_OVERRIDES_END _Pragma("GCC diagnostic pop")

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
