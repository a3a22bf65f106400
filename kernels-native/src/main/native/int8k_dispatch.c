/*
 * int8k_dispatch.c - the public entry points of int8k.h: argument validation, ISA selection (cpuid capped by
 * INT8K_MAX_ISA), thread splitting, K splitting beyond INT8K_KMAX, error messages. The kernels themselves
 * live in the per-ISA translation units (gemm_s8_<isa>.c, sgemm_<isa>.c, ops_<isa>.c); the fp32 GEMM's
 * alpha/beta and thread split are in sgemm_driver.c.
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "int8k_isa.h"
#include "sgemm.h"

/* ------------------------------------------------------------------------------------------------ */
/* errors                                                                                             */

static __thread char last_error[512];

const char *int8k_last_error(void) { return last_error; }

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return status;
}

#define CHECK(cond, ...)                       \
  do {                                         \
    if (!(cond)) return fail(INT8K_ERR_ARG, __VA_ARGS__); \
  } while (0)

/* ------------------------------------------------------------------------------------------------ */
/* ISA selection                                                                                      */

static pthread_once_t isa_once = PTHREAD_ONCE_INIT;
static int cpu_isa = INT8K_ISA_SCALAR;
static int selected_isa = -1;
static char isa_error[256];

static const char *const isa_names[] = {"scalar", "avx2", "avx512vnni"};

const char *int8k_isa_name(int isa) {
  return isa >= 0 && isa <= INT8K_ISA_AVX512VNNI ? isa_names[isa] : "unknown";
}

static void select_isa(void) {
  __builtin_cpu_init();
  cpu_isa = INT8K_ISA_SCALAR;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) cpu_isa = INT8K_ISA_AVX2;
  if (cpu_isa == INT8K_ISA_AVX2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vnni"))
    cpu_isa = INT8K_ISA_AVX512VNNI;
  int cap = INT8K_ISA_AVX512VNNI;
  const char *env = getenv("INT8K_MAX_ISA");
  if (env != NULL && *env != '\0') {
    cap = -1;
    for (int i = 0; i <= INT8K_ISA_AVX512VNNI; i++)
      if (strcmp(env, isa_names[i]) == 0) cap = i;
    if (cap < 0) {
      snprintf(isa_error, sizeof isa_error, "INT8K_MAX_ISA=%.64s: expected one of scalar, avx2, avx512vnni", env);
      return;
    }
  }
  selected_isa = cpu_isa < cap ? cpu_isa : cap;
}

int int8k_cpu_isa(void) {
  pthread_once(&isa_once, select_isa);
  return cpu_isa;
}

int int8k_selected_isa(void) {
  pthread_once(&isa_once, select_isa);
  if (selected_isa < 0) fail(INT8K_ERR_STATE, "%s", isa_error);
  return selected_isa;
}

static const int8k_gemm_ops *const gemm_tables[] = {&int8k_gemm_ops_scalar, &int8k_gemm_ops_avx2,
                                                    &int8k_gemm_ops_avx512vnni};
static const int8k_misc_ops *const misc_tables[] = {&int8k_misc_ops_scalar, &int8k_misc_ops_avx2,
                                                    &int8k_misc_ops_avx512vnni};

#define SELECT(var, tables)                         \
  int isa_ = int8k_selected_isa();                  \
  if (isa_ < 0) return INT8K_ERR_STATE;             \
  const __typeof__(*tables[0]) *var = tables[isa_];

/* ------------------------------------------------------------------------------------------------ */
/* threads                                                                                            */

typedef struct {
  void (*fn)(void *ctx, int part, int parts);
  void *ctx;
  int part, parts;
} worker_arg;

static void *worker_main(void *p) {
  worker_arg *w = p;
  w->fn(w->ctx, w->part, w->parts);
  return NULL;
}

/* Runs fn(ctx, part, parts) for every part; part 0 on the calling thread. Falls back to running the parts
 * in sequence when a thread cannot be started, so the result never depends on thread availability. */
static void parallel_for(int parts, void (*fn)(void *, int, int), void *ctx) {
  if (parts <= 1) {
    fn(ctx, 0, 1);
    return;
  }
  pthread_t tid[64];
  worker_arg args[64];
  int started[64] = {0};
  if (parts > 64) parts = 64;
  for (int p = 1; p < parts; p++) {
    args[p] = (worker_arg){fn, ctx, p, parts};
    started[p] = pthread_create(&tid[p], NULL, worker_main, &args[p]) == 0;
  }
  fn(ctx, 0, parts);
  for (int p = 1; p < parts; p++) {
    if (started[p])
      pthread_join(tid[p], NULL);
    else
      fn(ctx, p, parts);
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* GEMM                                                                                               */

#define PACK_HEADER 64
#define PACK_MAGIC 0x4938504B /* "KP8I" */

typedef struct {
  uint32_t magic;
  int32_t isa;
  int64_t k, n, body;
} pack_header;

static int check_gemm_desc(const int8k_gemm_desc *d) {
  CHECK(d != NULL, "gemm: null descriptor");
  CHECK(d->trans_a == 0 || d->trans_a == 1, "gemm: trans_a=%d, expected 0 or 1", d->trans_a);
  CHECK(d->trans_b == 0 || d->trans_b == 1, "gemm: trans_b=%d, expected 0 or 1", d->trans_b);
  CHECK(d->m >= 1 && d->n >= 1 && d->k >= 1, "gemm: m=%lld n=%lld k=%lld, expected all >= 1", (long long)d->m,
        (long long)d->n, (long long)d->k);
  CHECK(d->m <= INT32_MAX && d->n <= INT32_MAX && d->k <= INT32_MAX, "gemm: dimensions above 2^31-1");
  int64_t rows_a = d->trans_a ? d->k : d->m, cols_a = d->trans_a ? d->m : d->k;
  int64_t rows_b = d->trans_b ? d->n : d->k, cols_b = d->trans_b ? d->k : d->n;
  (void)rows_a;
  (void)rows_b;
  CHECK(d->lda >= cols_a, "gemm: lda=%lld < %lld", (long long)d->lda, (long long)cols_a);
  CHECK(d->ldb >= cols_b, "gemm: ldb=%lld < %lld", (long long)d->ldb, (long long)cols_b);
  CHECK(d->ldc >= d->n, "gemm: ldc=%lld < n=%lld", (long long)d->ldc, (long long)d->n);
  CHECK(d->threads >= 1 && d->threads <= 64, "gemm: threads=%d, expected 1..64", d->threads);
  return INT8K_OK;
}

int int8k_packed_b_size(int64_t k, int64_t n, int64_t *bytes) {
  SELECT(ops, gemm_tables);
  CHECK(bytes != NULL, "packed_b_size: null output");
  CHECK(k >= 1 && k <= INT8K_KMAX, "pack_b: k=%lld, expected 1..%d", (long long)k, INT8K_KMAX);
  CHECK(n >= 1 && n <= INT32_MAX, "pack_b: n=%lld, expected 1..2^31-1", (long long)n);
  *bytes = PACK_HEADER + ops->packed_b_body_size(k, n);
  return INT8K_OK;
}

int int8k_pack_b(int trans_b, int64_t k, int64_t n, const int8_t *b, int64_t ldb, void *packed,
                 int64_t packed_bytes) {
  int64_t need;
  int st = int8k_packed_b_size(k, n, &need);
  if (st) return st;
  SELECT(ops, gemm_tables);
  CHECK(trans_b == 0 || trans_b == 1, "pack_b: trans_b=%d, expected 0 or 1", trans_b);
  CHECK(ldb >= (trans_b ? k : n), "pack_b: ldb=%lld too small", (long long)ldb);
  CHECK(b != NULL && packed != NULL, "pack_b: null buffer");
  CHECK(packed_bytes >= need, "pack_b: packed buffer holds %lld bytes, %lld needed", (long long)packed_bytes,
        (long long)need);
  pack_header h = {PACK_MAGIC, isa_, k, n, need - PACK_HEADER};
  memset(packed, 0, PACK_HEADER);
  memcpy(packed, &h, sizeof h);
  ops->pack_b(trans_b, k, n, b, ldb, (uint8_t *)packed + PACK_HEADER);
  return INT8K_OK;
}

typedef struct {
  const int8k_gemm_ops *ops;
  const int8k_gemm_desc *d;
  const int8_t *a, *b;
  const uint8_t *packed;
  const int8k_epilogue *ep;
  int32_t *c32;
  float *cf;
  int by_columns;       /* parts split the columns (each packs its own B), else the rows */
  int64_t per_part;     /* rows or columns per part */
  int status[64];
} gemm_job;

static void gemm_part(void *p, int part, int parts) {
  gemm_job *job = p;
  const int8k_gemm_desc *d = job->d;
  const int64_t total = job->by_columns ? d->n : d->m;
  const int64_t lo = (int64_t)part * job->per_part;
  const int64_t hi = lo + job->per_part < total ? lo + job->per_part : total;
  job->status[part] = INT8K_OK;
  if (lo >= hi) return;
  const int64_t i0 = job->by_columns ? 0 : lo, i1 = job->by_columns ? d->m : hi;
  const int64_t j0 = job->by_columns ? lo : 0, j1 = job->by_columns ? hi : d->n;
  int8k_epilogue ep;
  if (job->ep) {
    ep = *job->ep;
    if (ep.row_scale) ep.row_scale += i0;
    if (ep.col_scale) ep.col_scale += j0;
    if (ep.bias) ep.bias += j0;
  }
  int8k_gemm_call call = {
      .trans_a = d->trans_a,
      .trans_b = d->trans_b,
      .m = i1 - i0,
      .n = j1 - j0,
      .k = d->k,
      .a = d->trans_a ? job->a + i0 : job->a + i0 * d->lda,
      .lda = d->lda,
      .b = job->b == NULL ? NULL : d->trans_b ? job->b + j0 * d->ldb : job->b + j0,
      .ldb = d->ldb,
      .packed_b = job->packed,
      .ep = job->ep ? &ep : NULL,
      .c_s32 = job->c32 ? job->c32 + i0 * d->ldc + j0 : NULL,
      .c_f32 = job->cf ? job->cf + i0 * d->ldc + j0 : NULL,
      .ldc = d->ldc,
  };
  (void)parts;
  job->status[part] = job->ops->gemm_s8s8(&call);
}

/*
 * K <= KMAX, over d->threads threads. With B not packed yet and at least 4 panels of 64 columns per thread
 * and B about as large as A (n >= m / 2), the threads split the columns and each packs its own part of B
 * (1024^3 on 2 threads: packing all of B first, on one thread, held them to ~1.7-1.85x); otherwise they
 * split the rows and share one B, packed first when it is not. Every output is one exact integer sum
 * either way, so the bits do not depend on the split.
 */
static int gemm_rows(const int8k_gemm_ops *ops, const int8k_gemm_desc *d, const int8_t *a, const int8_t *b,
                     const uint8_t *packed, const int8k_epilogue *ep, int32_t *c32, float *cf) {
  int parts = d->threads;
  const int64_t col_units = (d->n + 63) / 64;
  if (parts > 1 && packed == NULL && col_units >= 4 * (int64_t)parts && d->n >= d->m / 2) {
    gemm_job job = {ops, d, a, b, NULL, ep, c32, cf, 1, (col_units + parts - 1) / parts * 64, {0}};
    parallel_for(parts, gemm_part, &job);
    for (int p = 0; p < parts; p++)
      if (job.status[p] != INT8K_OK) return fail(job.status[p], "gemm: scratch allocation failed");
    return INT8K_OK;
  }
  if (parts > 1 && d->m < 2 * (int64_t)parts) parts = (int)(d->m / 2 > 1 ? d->m / 2 : 1);
  uint8_t *own = NULL;
  if (parts > 1 && packed == NULL) {
    own = int8k_scratch_alloc((size_t)ops->packed_b_body_size(d->k, d->n));
    if (own == NULL) return fail(INT8K_ERR_NOMEM, "gemm: cannot allocate the packed B scratch");
    ops->pack_b(d->trans_b, d->k, d->n, b, d->ldb, own);
    packed = own;
  }
  gemm_job job = {ops, d, a, b, packed, ep, c32, cf, 0, 0, {0}};
  int64_t rows = (d->m + parts - 1) / parts;
  job.per_part = parts > 1 ? (rows + 7) / 8 * 8 : d->m;
  parallel_for(parts, gemm_part, &job);
  int8k_scratch_free(own);
  for (int p = 0; p < parts; p++)
    if (job.status[p] != INT8K_OK) return fail(job.status[p], "gemm: scratch allocation failed");
  return INT8K_OK;
}

/* K > KMAX: exact int32 sums per chunk of KMAX, added in int64, then converted once. */
static int gemm_long_k(const int8k_gemm_ops *ops, const int8k_gemm_desc *d, const int8_t *a, const int8_t *b,
                       const int8k_epilogue *ep, int32_t *c32, float *cf) {
  int64_t mn = d->m * d->n;
  int32_t *part = int8k_scratch_alloc((size_t)mn * sizeof *part);
  int64_t *sum = int8k_scratch_calloc((size_t)mn * sizeof *sum);
  if (part == NULL || sum == NULL) {
    int8k_scratch_free(part);
    int8k_scratch_free(sum);
    return fail(INT8K_ERR_NOMEM, "gemm: cannot allocate %lld bytes of K-split scratch", (long long)mn * 12);
  }
  int st = INT8K_OK;
  for (int64_t k0 = 0; k0 < d->k && st == INT8K_OK; k0 += INT8K_KMAX) {
    int8k_gemm_desc sub = *d;
    sub.k = d->k - k0 < INT8K_KMAX ? d->k - k0 : INT8K_KMAX;
    sub.ldc = d->n;
    const int8_t *ak = d->trans_a ? a + k0 * d->lda : a + k0;
    const int8_t *bk = d->trans_b ? b + k0 : b + k0 * d->ldb;
    st = gemm_rows(ops, &sub, ak, bk, NULL, NULL, part, NULL);
    for (int64_t e = 0; e < mn && st == INT8K_OK; e++) sum[e] += part[e];
  }
  if (st == INT8K_OK) {
    for (int64_t i = 0; i < d->m; i++)
      for (int64_t j = 0; j < d->n; j++) {
        int64_t s = sum[i * d->n + j];
        if (ep == NULL)
          c32[i * d->ldc + j] = (int32_t)(uint32_t)(uint64_t)s;
        else
          cf[i * d->ldc + j] = int8k_epilogue_apply(ep, s, i, j, &cf[i * d->ldc + j]);
      }
  }
  int8k_scratch_free(part);
  int8k_scratch_free(sum);
  return st;
}

static int gemm_s8(const int8k_gemm_desc *d, const int8_t *a, const int8_t *b, const void *packed_b,
                   const int8k_epilogue *ep, int32_t *c32, float *cf) {
  SELECT(ops, gemm_tables);
  int st = check_gemm_desc(d);
  if (st) return st;
  CHECK(a != NULL && (b != NULL || packed_b != NULL) && (c32 != NULL || cf != NULL), "gemm: null buffer");
  const uint8_t *body = NULL;
  if (packed_b != NULL) {
    pack_header h;
    memcpy(&h, packed_b, sizeof h);
    if (h.magic != PACK_MAGIC || h.isa != isa_)
      return fail(INT8K_ERR_STATE, "gemm: packed B was made by another ISA path (%s) or is not a packed B",
                  h.magic == PACK_MAGIC ? int8k_isa_name(h.isa) : "no header");
    CHECK(h.k == d->k && h.n == d->n, "gemm: packed B is %lld x %lld, the call needs %lld x %lld", (long long)h.k,
          (long long)h.n, (long long)d->k, (long long)d->n);
    body = (const uint8_t *)packed_b + PACK_HEADER;
  }
  if (d->k > INT8K_KMAX) return gemm_long_k(ops, d, a, b, ep, c32, cf);
  return gemm_rows(ops, d, a, b, body, ep, c32, cf);
}

int int8k_gemm_s8s8s32(const int8k_gemm_desc *d, const int8_t *a, const int8_t *b, const void *packed_b,
                       int32_t *c) {
  return gemm_s8(d, a, b, packed_b, NULL, c, NULL);
}

int int8k_gemm_s8s8f32(const int8k_gemm_desc *d, const int8_t *a, const int8_t *b, const void *packed_b,
                       const int8k_epilogue *ep, float *c) {
  CHECK(ep != NULL, "gemm: null epilogue");
  /* as the Java Epilogue: a NaN or infinite alpha or beta is a caller's error, not a result */
  CHECK(isfinite(ep->alpha) && isfinite(ep->beta), "epilogue: alpha=%g beta=%g, expected finite values",
        (double)ep->alpha, (double)ep->beta);
  return gemm_s8(d, a, b, packed_b, ep, NULL, c);
}

/* ---- ShiftQuant GEMM: one exact int32 GEMM per group of k (the ISA's kernel), aligned by shifts -------- */

int int8k_gemm_s8s8f32_shift(const int8k_gemm_desc *d, const int8_t *a, const int8_t *b, int64_t group,
                             const int32_t *exps, float alpha, float *c) {
  SELECT(ops, gemm_tables);
  const int8k_misc_ops *misc = misc_tables[isa_];
  int st = check_gemm_desc(d);
  if (st) return st;
  CHECK(a != NULL && b != NULL && exps != NULL && c != NULL, "gemm_shift: null buffer");
  CHECK(group >= 1 && group <= INT8K_SHIFT_MAX_GROUP, "gemm_shift: group=%lld, expected 1..%d", (long long)group,
        INT8K_SHIFT_MAX_GROUP);
  CHECK(d->k <= INT8K_SHIFT_MAX_K, "gemm_shift: k=%lld, expected at most %d", (long long)d->k, INT8K_SHIFT_MAX_K);
  CHECK(isfinite(alpha), "gemm_shift: alpha=%g, expected finite", alpha);
  const int64_t m = d->m, n = d->n, per_row = (d->k + group - 1) / group;
  for (int64_t i = 0; i < m; i++) {
    int32_t lo = exps[i * per_row], hi = lo;
    for (int64_t g = 1; g < per_row; g++) {
      int32_t e = exps[i * per_row + g];
      lo = e < lo ? e : lo;
      hi = e > hi ? e : hi;
    }
    CHECK((int64_t)hi - lo <= INT8K_SHIFT_SPAN, "gemm_shift: row %lld has exponents %d..%d, expected them within %d of each other",
          (long long)i, lo, hi, INT8K_SHIFT_SPAN);
  }
  int32_t *emin = int8k_scratch_alloc((size_t)m * sizeof *emin);
  int32_t *shift = int8k_scratch_alloc((size_t)m * sizeof *shift);
  int32_t *part = int8k_scratch_alloc((size_t)(m * n) * sizeof *part);
  int64_t *sum = int8k_scratch_calloc((size_t)(m * n) * sizeof *sum);
  if (emin == NULL || shift == NULL || part == NULL || sum == NULL) {
    st = fail(INT8K_ERR_NOMEM, "gemm_shift: cannot allocate %lld bytes of scratch", (long long)(m * n * 12 + m * 8));
  } else {
    for (int64_t i = 0; i < m; i++) {
      int32_t lo = exps[i * per_row];
      for (int64_t g = 1; g < per_row; g++) lo = exps[i * per_row + g] < lo ? exps[i * per_row + g] : lo;
      emin[i] = lo;
    }
    for (int64_t g = 0; g < per_row && st == INT8K_OK; g++) {
      const int64_t k0 = g * group;
      int8k_gemm_desc sub = *d;
      sub.k = d->k - k0 < group ? d->k - k0 : group;
      sub.ldc = n;
      const int8_t *ak = d->trans_a ? a + k0 * d->lda : a + k0;
      const int8_t *bk = d->trans_b ? b + k0 : b + k0 * d->ldb;
      st = gemm_rows(ops, &sub, ak, bk, NULL, NULL, part, NULL);
      if (st != INT8K_OK) break;
      for (int64_t i = 0; i < m; i++) shift[i] = exps[i * per_row + g] - emin[i];
      misc->shift_accumulate(m, n, part, shift, sum);
    }
    if (st == INT8K_OK) {
      for (int64_t i = 0; i < m; i++) {
        const double unit = ldexp(1.0, emin[i]);
        for (int64_t j = 0; j < n; j++) {
          float v = (float)sum[i * n + j];
          v = v * alpha;
          c[i * d->ldc + j] = (float)((double)v * unit);
        }
      }
    }
  }
  int8k_scratch_free(emin);
  int8k_scratch_free(shift);
  int8k_scratch_free(part);
  int8k_scratch_free(sum);
  return st;
}

/* ---- fp32 GEMM: our own cores (sgemm_<isa>.c), the same bits on every path and thread count ---- */

const char *int8k_gemm_f32_route(void) { return "int8k-sgemm"; }

int int8k_gemm_f32(const int8k_gemm_desc *d, float alpha, const float *a, const float *b, float beta, float *c) {
  SELECT(ops, gemm_tables);
  int st = check_gemm_desc(d);
  if (st) return st;
  CHECK(a != NULL && b != NULL && c != NULL, "gemm_f32: null buffer");
  st = int8k_sgemm_run(ops->sgemm, d, alpha, a, b, beta, c);
  if (st != INT8K_OK) return fail(st, "gemm_f32: cannot allocate the packing scratch");
  return INT8K_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* quantization and statistics                                                                       */

static int check_quant_desc(const int8k_quant_desc *d, int64_t *groups) {
  CHECK(d != NULL, "quantize: null descriptor");
  CHECK(d->rows >= 1 && d->cols >= 1, "quantize: rows=%lld cols=%lld, expected >= 1", (long long)d->rows,
        (long long)d->cols);
  CHECK(d->rows <= INT32_MAX && d->cols <= INT32_MAX && d->rows * d->cols <= INT32_MAX,
        "quantize: %lld x %lld elements exceed 2^31-1", (long long)d->rows, (long long)d->cols);
  CHECK(d->bits >= 2 && d->bits <= 8, "quantize: bits=%d, expected 2..8", d->bits);
  CHECK(d->rounding == INT8K_ROUND_NEAREST || d->rounding == INT8K_ROUND_STOCHASTIC,
        "quantize: rounding=%d, expected 0 (nearest) or 1 (stochastic)", d->rounding);
  switch (d->granularity) {
    case INT8K_PER_TENSOR: *groups = 1; break;
    case INT8K_PER_ROW: *groups = d->rows; break;
    case INT8K_PER_GROUP:
      CHECK(d->group >= 1, "quantize: group=%lld, expected >= 1", (long long)d->group);
      *groups = d->rows * ((d->cols + d->group - 1) / d->group);
      break;
    default: return fail(INT8K_ERR_ARG, "quantize: granularity=%d, expected 0, 1 or 2", d->granularity);
  }
  return INT8K_OK;
}

int int8k_quant_groups(const int8k_quant_desc *d, int64_t *groups) {
  CHECK(groups != NULL, "quant_groups: null output");
  return check_quant_desc(d, groups);
}

static float round_up_pow2(float s) {
  int e;
  float m = frexpf(s, &e); /* s = m * 2^e, m in [0.5, 1) */
  return m == 0.5f ? s : ldexpf(1.0f, e);
}

/* Group g's final clip value s[g] (the given clip value, which must be finite and >= 0, in place of its
 * max |x|; rounded up to a power of two with pow2) and its scale s[g] / qmax. */
static int group_scale(const int8k_quant_desc *d, int64_t g, const float *clip, float qmax, float *s,
                       float *scale_out) {
  if (clip != NULL) {
    if (!isfinite(clip[g]) || clip[g] < 0.0f)
      return fail(INT8K_ERR_ARG, "quantize: clip[%lld] = %g, expected a finite value >= 0", (long long)g, clip[g]);
    s[g] = clip[g];
  }
  if (d->pow2 && s[g] > 0.0f) s[g] = round_up_pow2(s[g]);
  scale_out[g] = s[g] / qmax;
  return INT8K_OK;
}

int int8k_quantize(const int8k_quant_desc *d, const float *src, const float *clip, int8_t *dst, float *scale_out) {
  SELECT(ops, misc_tables);
  int64_t groups = 0;
  int st = check_quant_desc(d, &groups);
  if (st) return st;
  CHECK(src != NULL && dst != NULL && scale_out != NULL, "quantize: null buffer");
  float *s = int8k_scratch_alloc((size_t)groups * sizeof *s);
  if (s == NULL) return fail(INT8K_ERR_NOMEM, "quantize: cannot allocate %lld scales", (long long)groups);
  ops->group_absmax(d, src, s);
  float qmax = (float)((1 << (d->bits - 1)) - 1);
  for (int64_t g = 0; g < groups; g++) {
    if (!isfinite(s[g])) {
      float bad = s[g];
      int8k_scratch_free(s);
      return fail(INT8K_ERR_ARG, "quantize: group %lld holds a non-finite value (max |x| = %g)", (long long)g, bad);
    }
    st = group_scale(d, g, clip, qmax, s, scale_out);
    if (st) {
      int8k_scratch_free(s);
      return st;
    }
  }
  ops->quantize_groups(d, src, s, dst);
  int8k_scratch_free(s);
  return INT8K_OK;
}

/* int8k_quantize_transposed, with dst_t (src_t's layout) also written when it is not NULL. */
static int quantize_transposed(const char *op, const int8k_quant_desc *d, const float *src_t, const float *clip,
                               int8_t *dst, int8_t *dst_t, float *scale_out) {
  SELECT(ops, misc_tables);
  int64_t groups = 0;
  int st = check_quant_desc(d, &groups);
  if (st) return st;
  CHECK(d->granularity == INT8K_PER_TENSOR || d->granularity == INT8K_PER_ROW,
        "%s: granularity=%d, expected 0 (per tensor) or 1 (per row)", op, d->granularity);
  CHECK(src_t != NULL && clip != NULL && dst != NULL && scale_out != NULL, "%s: null buffer", op);
  float *s = int8k_scratch_alloc((size_t)groups * sizeof *s);
  if (s == NULL) return fail(INT8K_ERR_NOMEM, "%s: cannot allocate %lld scales", op, (long long)groups);
  float qmax = (float)((1 << (d->bits - 1)) - 1);
  for (int64_t g = 0; g < groups; g++) {
    st = group_scale(d, g, clip, qmax, s, scale_out);
    if (st) {
      int8k_scratch_free(s);
      return st;
    }
  }
  int nonfinite = 0;
  if (dst_t != NULL)
    ops->quantize_transposed_both(d, src_t, s, dst, dst_t, &nonfinite);
  else
    ops->quantize_transposed(d, src_t, s, dst, &nonfinite);
  int8k_scratch_free(s);
  if (nonfinite) return fail(INT8K_ERR_ARG, "quantize: the source holds a non-finite value (NaN or infinity)");
  return INT8K_OK;
}

int int8k_quantize_transposed(const int8k_quant_desc *d, const float *src_t, const float *clip, int8_t *dst,
                              float *scale_out) {
  return quantize_transposed("quantize_transposed", d, src_t, clip, dst, NULL, scale_out);
}

int int8k_quantize_transposed_both(const int8k_quant_desc *d, const float *src_t, const float *clip, int8_t *dst,
                                   int8_t *dst_t, float *scale_out) {
  CHECK(dst_t != NULL, "quantize_transposed_both: null buffer");
  return quantize_transposed("quantize_transposed_both", d, src_t, clip, dst, dst_t, scale_out);
}

/* The exponent of the smallest power of two >= m (m > 0), within ShiftQuant's limits (as Java's
 * ShiftQuant.ceilExponent). */
static int shift_ceil_exponent(float m) {
  if (m < 0x1p-120f) return INT8K_SHIFT_MIN_EXP;
  int e;
  float f = frexpf(m, &e); /* m = f * 2^e, f in [0.5, 1) */
  int r = f == 0.5f ? e - 1 : e;
  return r > INT8K_SHIFT_MAX_EXP ? INT8K_SHIFT_MAX_EXP : r;
}

/* ShiftQuant's exponents of every group from its max |x| (in s on entry; the clip value 2^e on return). */
static int shift_exponents(const int8k_quant_desc *d, const float *row_clip, float *s, int32_t *exps) {
  const int64_t per_row = (d->cols + d->group - 1) / d->group;
  for (int64_t r = 0; r < d->rows; r++) {
    float clip = INFINITY;
    if (row_clip != NULL) {
      clip = row_clip[r];
      if (!isfinite(clip) || clip < 0.0f)
        return fail(INT8K_ERR_ARG, "quantize: clip[%lld] = %g, expected a finite value >= 0", (long long)r, clip);
    }
    int top = INT8K_SHIFT_MIN_EXP;
    for (int64_t g = r * per_row; g < (r + 1) * per_row; g++) {
      if (!isfinite(s[g]))
        return fail(INT8K_ERR_ARG, "quantize: group %lld holds a non-finite value (max |x| = %g)", (long long)g,
                    s[g]);
      float m = s[g] < clip ? s[g] : clip;
      int e = m > 0.0f ? shift_ceil_exponent(m) : INT8K_SHIFT_MIN_EXP;
      exps[g] = e;
      if (e > top) top = e;
    }
    for (int64_t g = r * per_row; g < (r + 1) * per_row; g++) {
      int e = exps[g] > top - INT8K_SHIFT_SPAN ? exps[g] : top - INT8K_SHIFT_SPAN;
      exps[g] = e;
      s[g] = ldexpf(1.0f, e);
    }
  }
  return INT8K_OK;
}

int int8k_shift_quantize(const int8k_quant_desc *d, const float *src, const float *row_clip, int8_t *dst,
                         int32_t *exps) {
  SELECT(ops, misc_tables);
  int64_t groups = 0;
  int st = check_quant_desc(d, &groups);
  if (st) return st;
  CHECK(d->granularity == INT8K_PER_GROUP && d->pow2 && d->group <= INT8K_SHIFT_MAX_GROUP,
        "shift_quantize: granularity=%d pow2=%d group=%lld, expected PER_GROUP (2) with pow2 and a group of 1..%d",
        d->granularity, d->pow2, (long long)d->group, INT8K_SHIFT_MAX_GROUP);
  CHECK(src != NULL && dst != NULL && exps != NULL, "shift_quantize: null buffer");
  float *s = int8k_scratch_alloc((size_t)groups * sizeof *s);
  if (s == NULL) return fail(INT8K_ERR_NOMEM, "shift_quantize: cannot allocate %lld scales", (long long)groups);
  ops->group_absmax(d, src, s);
  st = shift_exponents(d, row_clip, s, exps);
  if (st == INT8K_OK) ops->quantize_groups(d, src, s, dst);
  int8k_scratch_free(s);
  return st;
}

int int8k_dequantize(const int8k_quant_desc *d, const int8_t *codes, const float *scale, float *dst) {
  SELECT(ops, misc_tables);
  int64_t groups = 0;
  int st = check_quant_desc(d, &groups);
  if (st) return st;
  CHECK(codes != NULL && scale != NULL && dst != NULL, "dequantize: null buffer");
  ops->dequantize(d, codes, scale, dst);
  return INT8K_OK;
}

int int8k_clip_cosine_sums(int64_t count, const float *src, int bits, int ncand, const float *cand,
                           double *out) {
  SELECT(ops, misc_tables);
  CHECK(count >= 1 && count <= INT32_MAX, "clip_cosine_sums: count=%lld, expected 1..2^31-1", (long long)count);
  CHECK(bits >= 2 && bits <= 8, "clip_cosine_sums: bits=%d, expected 2..8", bits);
  CHECK(ncand >= 1 && ncand <= 64, "clip_cosine_sums: %d candidates, expected 1..64", ncand);
  CHECK(src != NULL && cand != NULL && out != NULL, "clip_cosine_sums: null buffer");
  for (int i = 0; i < ncand; i++)
    CHECK(isfinite(cand[i]) && cand[i] > 0.0f, "clip_cosine_sums: candidate[%d] = %g, expected finite > 0", i,
          cand[i]);
  ops->clip_cosine_sums(count, src, bits, ncand, cand, out);
  return INT8K_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* sliding windows                                                                                    */

static int check_conv(const char *op, const int8k_conv_desc *d, int pooling) {
  CHECK(d != NULL, "%s: null descriptor", op);
  CHECK(d->n >= 1 && d->h >= 1 && d->w >= 1 && d->c >= 1, "%s: n=%lld h=%lld w=%lld c=%lld, expected all >= 1", op,
        (long long)d->n, (long long)d->h, (long long)d->w, (long long)d->c);
  CHECK(d->kh >= 1 && d->kw >= 1 && d->stride_h >= 1 && d->stride_w >= 1,
        "%s: kernel %lldx%lld stride %lldx%lld, expected all >= 1", op, (long long)d->kh, (long long)d->kw,
        (long long)d->stride_h, (long long)d->stride_w);
  CHECK(d->pad_h >= 0 && d->pad_w >= 0, "%s: padding %lldx%lld, expected >= 0", op, (long long)d->pad_h,
        (long long)d->pad_w);
  CHECK(d->n <= INT32_MAX && d->h <= INT32_MAX && d->w <= INT32_MAX && d->c <= INT32_MAX && d->kh <= INT32_MAX &&
            d->kw <= INT32_MAX && d->pad_h <= INT32_MAX && d->pad_w <= INT32_MAX,
        "%s: a dimension exceeds 2^31-1", op);
  if (pooling)
    CHECK(d->pad_h < d->kh && d->pad_w < d->kw, "%s: padding %lldx%lld must be smaller than the window %lldx%lld", op,
          (long long)d->pad_h, (long long)d->pad_w, (long long)d->kh, (long long)d->kw);
  CHECK(d->h + 2 * d->pad_h >= d->kh && d->w + 2 * d->pad_w >= d->kw,
        "%s: window %lldx%lld larger than the padded image %lldx%lld", op, (long long)d->kh, (long long)d->kw,
        (long long)(d->h + 2 * d->pad_h), (long long)(d->w + 2 * d->pad_w));
  int64_t oh = (d->h + 2 * d->pad_h - d->kh) / d->stride_h + 1, ow = (d->w + 2 * d->pad_w - d->kw) / d->stride_w + 1;
  int64_t in = d->n * d->h * d->w, out_rows = d->n * oh * ow;
  CHECK(in <= INT32_MAX && in * d->c <= INT32_MAX, "%s: input of %lld x %lld elements exceeds 2^31-1", op,
        (long long)in, (long long)d->c);
  CHECK(out_rows <= INT32_MAX && d->kh * d->kw <= INT32_MAX && d->kh * d->kw * d->c <= INT32_MAX &&
            (double)out_rows * (double)(d->kh * d->kw * d->c) <= (double)INT32_MAX,
        "%s: output of %lld rows x %lld columns exceeds 2^31-1 elements", op, (long long)out_rows,
        (long long)(d->kh * d->kw * d->c));
  return INT8K_OK;
}

/* Every argmax of a max-pool backward indexes the input. */
static int check_argmax(const char *op, const int8k_conv_desc *d, const int32_t *argmax) {
  int64_t oh = (d->h + 2 * d->pad_h - d->kh) / d->stride_h + 1, ow = (d->w + 2 * d->pad_w - d->kw) / d->stride_w + 1;
  int64_t outs = d->n * oh * ow * d->c, ins = d->n * d->h * d->w * d->c;
  for (int64_t o = 0; o < outs; o++)
    CHECK(argmax[o] >= 0 && argmax[o] < ins, "%s: argmax[%lld] = %d, expected 0..%lld", op, (long long)o, argmax[o],
          (long long)(ins - 1));
  return INT8K_OK;
}

/* A direct convolution's output channels and window (the window itself is checked by check_conv). */
static int check_direct_conv(const char *op, const int8k_conv_desc *d, int oc) {
  int64_t patch = d->kh * d->kw * d->c;
  int64_t outputs = d->n * ((d->h + 2 * d->pad_h - d->kh) / d->stride_h + 1) *
                    ((d->w + 2 * d->pad_w - d->kw) / d->stride_w + 1);
  CHECK(oc >= 1, "%s: oc=%d, expected >= 1", op, oc);
  CHECK(patch <= INT8K_DIRECT_MAX_PATCH, "%s: window of %lld cells (kh*kw*c), expected at most %d", op,
        (long long)patch, INT8K_DIRECT_MAX_PATCH);
  CHECK((double)outputs * oc <= (double)INT32_MAX, "%s: output of %lld x %d elements exceeds 2^31-1", op,
        (long long)outputs, oc);
  return INT8K_OK;
}

/* pool x pool windows at stride pool inside the output of window d */
static int check_tiled_pool(const char *op, const int8k_conv_desc *d, int pool) {
  int64_t oh = (d->h + 2 * d->pad_h - d->kh) / d->stride_h + 1, ow = (d->w + 2 * d->pad_w - d->kw) / d->stride_w + 1;
  CHECK(pool >= 1 && pool <= oh && pool <= ow, "%s: pool=%d, expected 1..%lld (the output is %lldx%lld)", op, pool,
        (long long)(oh < ow ? oh : ow), (long long)oh, (long long)ow);
  return INT8K_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* the ops of int8k_ops.def: validate the shape, the pointers and the op's further conditions, run the */
/* selected ISA's kernel                                                                              */

#define I8K_CHECK_SHAPE_COUNT \
  CHECK(count >= 1 && count <= INT32_MAX, "%s: count=%lld, expected 1..2^31-1", op, (long long)count);
#define I8K_CHECK_SHAPE_MATRIX                                                                               \
  CHECK(rows >= 1 && cols >= 1 && rows <= INT32_MAX && cols <= INT32_MAX && rows * cols <= INT32_MAX,       \
        "%s: rows=%lld cols=%lld, expected >= 1 and at most 2^31-1 elements", op, (long long)rows,           \
        (long long)cols);
#define I8K_CHECK_SHAPE_CHANNELS                                                                             \
  CHECK(rows >= 1 && c >= 1 && rows <= INT32_MAX && c <= INT32_MAX && rows * c <= INT32_MAX,                \
        "%s: rows=%lld channels=%lld, expected >= 1 and at most 2^31-1 elements", op, (long long)rows,       \
        (long long)c);
#define I8K_CHECK_SHAPE_WINDOW I8K_FURTHER_VALIDATE(check_conv(op, d, 0))
#define I8K_CHECK_SHAPE_POOL I8K_FURTHER_VALIDATE(check_conv(op, d, 1))

#define INT8K_OP(name, java, shape, ...)                                                                   \
  int int8k_##name(INT8K_OP_PARAMS(shape, __VA_ARGS__)) {                                                \
    static const char op[] = #name;                                                                        \
    SELECT(ops, misc_tables);                                                                              \
    I8K_CHECK_SHAPE_##shape                                                                                \
    CHECK(1 I8K_EACH(I8K_NONNULL, __VA_ARGS__), "%s: null buffer", op);                                  \
    I8K_EACH(I8K_FURTHER, __VA_ARGS__)                                                                     \
    ops->name(I8K_SHAPE_PASS_##shape I8K_EACH(I8K_PASS, __VA_ARGS__));                                   \
    return INT8K_OK;                                                                                       \
  }
#include "int8k_ops.def"

/* ------------------------------------------------------------------------------------------------ */
/* counted scratch                                                                                    */

/* Each block carries its size in a 64-byte header, so the free knows what to take off the count. */
#define SCRATCH_HEADER 64
static _Atomic int64_t scratch_now;
static _Atomic int64_t scratch_peak;

void *int8k_scratch_alloc(size_t bytes) {
  size_t total = SCRATCH_HEADER + (bytes + 63) / 64 * 64;
  unsigned char *base = aligned_alloc(64, total);
  if (base == NULL) return NULL;
  *(size_t *)base = total;
  int64_t now = atomic_fetch_add(&scratch_now, (int64_t)total) + (int64_t)total;
  int64_t peak = atomic_load(&scratch_peak);
  while (now > peak && !atomic_compare_exchange_weak(&scratch_peak, &peak, now)) {
  }
  return base + SCRATCH_HEADER;
}

void *int8k_scratch_calloc(size_t bytes) {
  void *p = int8k_scratch_alloc(bytes);
  if (p != NULL) memset(p, 0, bytes);
  return p;
}

void int8k_scratch_free(void *p) {
  if (p == NULL) return;
  unsigned char *base = (unsigned char *)p - SCRATCH_HEADER;
  atomic_fetch_sub(&scratch_now, (int64_t)*(size_t *)base);
  free(base);
}

int64_t int8k_scratch_peak_bytes(void) { return atomic_load(&scratch_peak); }

void int8k_scratch_reset_peak(void) { atomic_store(&scratch_peak, atomic_load(&scratch_now)); }
