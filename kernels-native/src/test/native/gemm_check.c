/*
 * gemm_check.c - bit-exactness of the GEMM kernels against plain C loops of the same semantics, on every
 * ISA path this CPU runs, on awkward shapes (1, 3, 17, 255, k not a multiple of the vector width or of the
 * k blocks), transposes, leading dimensions, alpha/beta, NaN/Inf inputs, thread counts and repeated calls;
 * int8 also on narrow n (1..33 and last panels of n % 64 <= 32), directly and through the dispatcher on 1-3
 * threads.
 *
 *   gemm_check [cases] [seed]        exits 1 on the first mismatch, printing the case
 *
 * fp32: C[i][j] = acc with acc = fma(A[i][p], B[p][j], acc) from +0 for p ascending, then alpha*acc or
 *       alpha*acc + beta*Cold (sgemm.h). int8: exact int64 sums, then the epilogue of int8k.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "int8k_isa.h"
#include "sgemm.h"

static uint64_t rng_state;
static uint64_t rnd64(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
static int64_t rnd(int64_t n) { return (int64_t)(rnd64() % (uint64_t)n); }
static double rndu(void) { return (double)(rnd64() >> 11) * 0x1p-53; }

static const int64_t AWKWARD[] = {1, 2, 3, 4, 5, 7, 8, 9, 13, 14, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 127, 255};
static int64_t size_upto(int64_t max) {
  if (rnd(4) == 0) return 1 + rnd(max);
  int64_t v;
  do v = AWKWARD[rnd(sizeof AWKWARD / sizeof AWKWARD[0])];
  while (v > max);
  return v;
}

static int same_float(float x, float y) {
  if (isnan(x) || isnan(y)) return isnan(x) && isnan(y);
  uint32_t a, b;
  memcpy(&a, &x, 4);
  memcpy(&b, &y, 4);
  return a == b;
}

/* ---- fp32 ---------------------------------------------------------------------------------------- */

static void ref_sgemm(const int8k_gemm_desc *d, float alpha, const float *a, const float *b, float beta, float *c) {
  for (int64_t i = 0; i < d->m; i++)
    for (int64_t j = 0; j < d->n; j++) {
      float acc = 0.0f;
      for (int64_t p = 0; p < d->k; p++) {
        float av = d->trans_a ? a[p * d->lda + i] : a[i * d->lda + p];
        float bv = d->trans_b ? b[j * d->ldb + p] : b[p * d->ldb + j];
        acc = fmaf(av, bv, acc);
      }
      float *o = &c[i * d->ldc + j];
      *o = beta == 0.0f ? alpha * acc : alpha * acc + beta * *o;
    }
}

static void fill_floats(float *v, int64_t n, int special) {
  const int mode = (int)rnd(4);
  const double scale = exp(rndu() * 10 - 6);
  for (int64_t i = 0; i < n; i++) {
    double g = (rndu() * 2 - 1) * scale;
    switch (mode) {
      case 0: v[i] = (float)g; break;
      case 1: v[i] = rnd(3) == 0 ? (float)g : 0.0f; break;      /* zero runs */
      case 2: v[i] = (float)((rnd(513) - 256) * 0.5 * scale); break; /* exact ties */
      default: v[i] = (float)(g * exp(rndu() * 40 - 20)); break;    /* wide exponents, subnormal products */
    }
    if (rnd(7) == 0) v[i] = -v[i] * 0.0f; /* signed zeros */
  }
  if (special) {
    const float sp[] = {NAN, INFINITY, -INFINITY, 0x1p-149f, -0x1p100f};
    for (int t = 0; t < 3; t++) v[rnd(n)] = sp[rnd(5)];
  }
}

typedef struct {
  const char *name;
  int8k_sgemm_core core;
} core_t;

static int check_sgemm_case(const core_t *core, int t, const int8k_gemm_desc *d0, int special, int64_t seed) {
  int8k_gemm_desc d = *d0;
  const int64_t sa = d.trans_a ? (d.k - 1) * d.lda + d.m : (d.m - 1) * d.lda + d.k;
  const int64_t sb = d.trans_b ? (d.n - 1) * d.ldb + d.k : (d.k - 1) * d.ldb + d.n;
  const int64_t sc = (d.m - 1) * d.ldc + d.n;
  float *a = malloc(sa * 4), *b = malloc(sb * 4), *c0 = malloc(sc * 4), *want = malloc(sc * 4), *got = malloc(sc * 4);
  fill_floats(a, sa, special);
  fill_floats(b, sb, special);
  fill_floats(c0, sc, special && rnd(2));
  const float alpha = rnd(2) ? 1.0f : (float)(rndu() * 4 - 2);
  const float beta = rnd(3) ? 0.0f : (rnd(4) ? (float)(rndu() * 2 - 1) : 1.0f);
  memcpy(want, c0, sc * 4);
  ref_sgemm(&d, alpha, a, b, beta, want);
  int bad = 0;
  for (int rep = 0; rep < 2 && !bad; rep++) {
    d.threads = rep == 0 ? 1 : 1 + (int)rnd(4);
    memcpy(got, c0, sc * 4);
    int st = int8k_sgemm_run(core->core, &d, alpha, a, b, beta, got);
    if (st != INT8K_OK) {
      printf("FAIL sgemm %s case %d: status %d\n", core->name, t, st);
      bad = 1;
      break;
    }
    for (int64_t i = 0; i < d.m && !bad; i++)
      for (int64_t j = 0; j < d.n; j++) {
        const int64_t at = i * d.ldc + j;
        if (!same_float(want[at], got[at])) {
          printf("FAIL sgemm %s case %d seed %lld: trans %d%d m=%lld n=%lld k=%lld lda=%lld ldb=%lld ldc=%lld "
                 "alpha=%a beta=%a threads=%d at (%lld,%lld): want %a got %a\n",
                 core->name, t, (long long)seed, d.trans_a, d.trans_b, (long long)d.m, (long long)d.n,
                 (long long)d.k, (long long)d.lda, (long long)d.ldb, (long long)d.ldc, alpha, beta, d.threads,
                 (long long)i, (long long)j, want[at], got[at]);
          bad = 1;
          break;
        }
      }
    /* elements between rows (ldc padding) are never written */
    for (int64_t i = 0; i + 1 < d.m && !bad; i++)
      for (int64_t j = d.n; j < d.ldc; j++)
        if (!same_float(c0[i * d.ldc + j], got[i * d.ldc + j])) {
          printf("FAIL sgemm %s case %d: wrote the ldc padding at (%lld,%lld)\n", core->name, t, (long long)i,
                 (long long)j);
          bad = 1;
          break;
        }
  }
  free(a), free(b), free(c0), free(want), free(got);
  return bad;
}

static int check_sgemm(const core_t *core, int cases, int64_t seed) {
  int fails = 0;
  for (int t = 0; t < cases && !fails; t++) {
    int8k_gemm_desc d = {0};
    d.trans_a = (int)rnd(2);
    d.trans_b = (int)rnd(2);
    const int big = t % 8 == 0;
    d.m = size_upto(big ? 300 : 70);
    d.n = size_upto(t % 11 == 0 ? 700 : 130); /* several column blocks */
    d.k = size_upto(t % 5 == 0 ? 1100 : 255);  /* several k blocks */
    if (t % 7 == 2) { /* few rows, wide B: the small-m order of every path */
      d.m = size_upto(140);
      d.n = 513 + rnd(700);
      d.k = 1 + rnd(1200);
    }
    d.lda = (d.trans_a ? d.m : d.k) + (t % 13 == 0 ? 0 : rnd(3)) /* sometimes exact */;
    d.ldb = (d.trans_b ? d.k : d.n) + rnd(3);
    d.ldc = d.n + rnd(3);
    if (t % 17 == 0 && !d.trans_a) d.lda = 1024 > d.k ? 1024 : d.k; /* rows in the same L1 sets */
    fails += check_sgemm_case(core, t, &d, t % 6 == 5, seed);
  }
  return fails;
}

/* ---- int8 ---------------------------------------------------------------------------------------- */

typedef struct {
  const char *name;
  const int8k_gemm_ops *ops;
} s8_t;

static void fill_s8(int8_t *v, int64_t n, int mode) {
  for (int64_t i = 0; i < n; i++) {
    switch (mode) {
      case 0: v[i] = (int8_t)(rnd(2) ? 127 : -127); break;
      case 1: v[i] = (int8_t)(rnd(2) ? -128 : 127); break;
      case 2: v[i] = (int8_t)(rnd(7) - 3); break;
      case 3: v[i] = (int8_t)rnd(128); break; /* non-negative: the u8 paths */
      case 4: v[i] = -128; break;
      default: v[i] = (int8_t)(rnd(256) - 128); break;
    }
  }
}

/* One int8 case: the ISA table's single-threaded kernel, plain and packed B, int32 and epilogue output;
 * threads > 0: instead the public entry points (the selected ISA) on that many threads. */
static int check_s8_case(const s8_t *s, int t, int8k_gemm_call call, int threads, int64_t seed) {
  {
    const int64_t sa = call.trans_a ? (call.k - 1) * call.lda + call.m : (call.m - 1) * call.lda + call.k;
    const int64_t sb = call.trans_b ? (call.n - 1) * call.ldb + call.k : (call.k - 1) * call.ldb + call.n;
    const int64_t sc = (call.m - 1) * call.ldc + call.n;
    int8_t *a = malloc(sa), *b = malloc(sb);
    fill_s8(a, sa, (int)rnd(6));
    fill_s8(b, sb, t % 5 == 4 ? 4 : (int)rnd(6));
    int64_t *want = calloc(sc, 8);
    for (int64_t i = 0; i < call.m; i++)
      for (int64_t j = 0; j < call.n; j++) {
        int64_t acc = 0;
        for (int64_t p = 0; p < call.k; p++) {
          int av = call.trans_a ? a[p * call.lda + i] : a[i * call.lda + p];
          int bv = call.trans_b ? b[j * call.ldb + p] : b[p * call.ldb + j];
          acc += av * bv;
        }
        want[i * call.ldc + j] = acc;
      }
    const int64_t body = s->ops->packed_b_body_size(call.k, call.n);
    uint8_t *packed = aligned_alloc(64, (body + 63) / 64 * 64);
    s->ops->pack_b(call.trans_b, call.k, call.n, b, call.ldb, packed);
    int32_t *c32 = malloc(sc * 4);
    float *cf = malloc(sc * 4), *old = malloc(sc * 4), *rs = malloc(call.m * 4), *cs = malloc(call.n * 4),
          *bias = malloc(call.n * 4);
    fill_floats(old, sc, 0);
    for (int64_t i = 0; i < call.m; i++) rs[i] = (float)exp(rndu() * 6 - 4);
    for (int64_t j = 0; j < call.n; j++) cs[j] = (float)exp(rndu() * 6 - 4), bias[j] = (float)(rndu() * 2 - 1);
    int8k_epilogue ep = {rnd(2) ? 1.0f : (float)(rndu() * 4 - 2), rnd(2) ? rs : NULL, rnd(2) ? cs : NULL,
                         rnd(2) ? bias : NULL, rnd(3) ? 0.0f : (float)(rndu() * 2 - 1)};
    int bad = 0;
    void *pub_packed = NULL;
    if (threads > 0) {
      int64_t bytes = 0;
      if (int8k_packed_b_size(call.k, call.n, &bytes) == INT8K_OK && (pub_packed = malloc(bytes)) != NULL)
        int8k_pack_b(call.trans_b, call.k, call.n, b, call.ldb, pub_packed, bytes);
    }
    for (int variant = 0; variant < 4 && !bad; variant++) {
      int8k_gemm_call v = call;
      v.a = a;
      v.b = b;
      v.packed_b = variant & 1 ? packed : NULL;
      v.ep = variant & 2 ? &ep : NULL;
      v.c_s32 = c32;
      v.c_f32 = cf;
      memcpy(cf, old, sc * 4);
      memset(c32, 0x5a, sc * 4);
      int st;
      if (threads > 0) {
        const int8k_gemm_desc d = {call.trans_a, call.trans_b, call.m,  call.n, call.k,
                                   call.lda,     call.ldb,     call.ldc, threads};
        const void *pk = variant & 1 ? pub_packed : NULL;
        st = variant & 2 ? int8k_gemm_s8s8f32(&d, a, b, pk, &ep, cf) : int8k_gemm_s8s8s32(&d, a, b, pk, c32);
      } else {
        st = s->ops->gemm_s8s8(&v);
      }
      if (st != INT8K_OK) {
        printf("FAIL s8 %s case %d: status\n", s->name, t);
        bad = 1;
        break;
      }
      for (int64_t i = 0; i < call.m && !bad; i++)
        for (int64_t j = 0; j < call.n; j++) {
          const int64_t at = i * call.ldc + j;
          int ok;
          if (!(variant & 2)) {
            ok = c32[at] == (int32_t)want[at];
          } else {
            float w = int8k_epilogue_apply(&ep, want[at], i, j, &old[at]);
            ok = same_float(w, cf[at]);
          }
          if (!ok) {
            printf("FAIL s8 %s case %d seed %lld variant %s%s threads %d: trans %d%d m=%lld n=%lld k=%lld at "
                   "(%lld,%lld) want %lld got %d / %a\n",
                   s->name, t, (long long)seed, variant & 1 ? "packed" : "plain", variant & 2 ? "+epilogue" : "",
                   threads, call.trans_a, call.trans_b, (long long)call.m, (long long)call.n, (long long)call.k,
                   (long long)i, (long long)j, (long long)want[at], c32[at], cf[at]);
            bad = 1;
            break;
          }
        }
      /* the ldc padding between rows is never written */
      for (int64_t i = 0; i + 1 < call.m && !bad; i++)
        for (int64_t j = call.n; j < call.ldc; j++)
          if (variant & 2 ? !same_float(cf[i * call.ldc + j], old[i * call.ldc + j])
                          : c32[i * call.ldc + j] != 0x5a5a5a5a) {
            printf("FAIL s8 %s case %d variant %d: wrote the ldc padding at (%lld,%lld)\n", s->name, t, variant,
                   (long long)i, (long long)j);
            bad = 1;
            break;
          }
    }
    free(a), free(b), free(want), free(packed), free(c32), free(cf), free(old), free(rs), free(cs), free(bias);
    free(pub_packed);
    if (bad) return 1;
  }
  return 0;
}

static int check_s8(const s8_t *s, int cases, int64_t seed) {
  for (int t = 0; t < cases; t++) {
    int8k_gemm_call call = {0};
    call.trans_a = (int)rnd(2);
    call.trans_b = (int)rnd(2);
    call.m = size_upto(t % 9 == 0 ? 300 : 100);
    call.n = size_upto(t % 10 == 0 ? 1200 : 200);
    call.k = size_upto(t % 7 == 0 ? 1500 : 300);
    if (t % 25 == 24) { /* k so long that B is packed per k block (VNNI: one panel over 1 MB) */
      call.m = size_upto(20);
      call.n = size_upto(130);
      call.k = 16385 + rnd(4000);
    }
    call.lda = (call.trans_a ? call.m : call.k) + rnd(3);
    call.ldb = (call.trans_b ? call.k : call.n) + rnd(3);
    call.ldc = call.n + rnd(3);
    if (check_s8_case(s, t, call, 0, seed)) return 1;
  }
  return 0;
}

/* Narrow N (the VNNI path's 12 x 32 tiles: n <= 32, or a last panel of n % 64 in 1..32, next to wide
 * panels): every n of the list with k not a multiple of 4 or of the k blocks, both layouts of A and B, m
 * around the 12-row micro-panels and row blocks; public: through the dispatcher on 1-3 threads. */
static int check_s8_narrow(const s8_t *s, int public, int64_t seed) {
  static const int64_t NS[] = {1, 3, 16, 17, 31, 32, 33, 63, 64 + 17, 64 + 32, 128 + 31};
  static const int64_t KS[] = {1, 3, 5, 63, 65, 255, 513, 577, 769, 1027};
  int t = 0;
  for (size_t ni = 0; ni < sizeof NS / sizeof NS[0]; ni++)
    for (int rep = 0; rep < 6; rep++, t++) {
      int8k_gemm_call call = {0};
      call.trans_a = rep & 1;
      call.trans_b = (rep >> 1) & 1;
      call.n = NS[ni];
      call.k = rep == 5 ? 1 + rnd(1100) : KS[rnd(sizeof KS / sizeof KS[0])];
      call.m = rnd(3) == 0 ? 1 + rnd(24) : 12 * (1 + rnd(20)) + rnd(12) - 6 + (rnd(2) ? 96 : 0);
      if (call.m < 1) call.m = 1 + rnd(12);
      call.lda = (call.trans_a ? call.m : call.k) + rnd(3);
      call.ldb = (call.trans_b ? call.k : call.n) + rnd(3);
      call.ldc = call.n + rnd(3);
      if (check_s8_case(s, t, call, public ? 1 + (int)rnd(3) : 0, seed)) return 1;
    }
  return 0;
}

int main(int argc, char **argv) {
  const int cases = argc > 1 ? atoi(argv[1]) : 300;
  const int64_t seed = argc > 2 ? atoll(argv[2]) : 20261122;
  __builtin_cpu_init();
  const int has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const int has_vnni = has_avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                       __builtin_cpu_supports("avx512vnni");
  /* the cores the dispatcher runs: the ISA tables' sgemm entries */
  const core_t cores[] = {{"scalar", int8k_gemm_ops_scalar.sgemm}, {"avx2", int8k_gemm_ops_avx2.sgemm},
                          {"avx512vnni", int8k_gemm_ops_avx512vnni.sgemm}};
  const s8_t s8s[] = {{"scalar", &int8k_gemm_ops_scalar}, {"avx2", &int8k_gemm_ops_avx2},
                      {"avx512vnni", &int8k_gemm_ops_avx512vnni}};
  const int paths = has_vnni ? 3 : has_avx2 ? 2 : 1;
  int fails = 0;
  for (int i = 0; i < paths; i++) {
    rng_state = (uint64_t)seed;
    int f = check_sgemm(&cores[i], i == 0 ? cases / 3 : cases, seed);
    printf("sgemm %-10s %s\n", cores[i].name, f ? "FAILED" : "bit-exact");
    fails += f;
    rng_state = (uint64_t)seed + 1;
    f = check_s8(&s8s[i], i == 0 ? cases / 3 : cases, seed);
    printf("s8s8  %-10s %s\n", s8s[i].name, f ? "FAILED" : "bit-exact");
    fails += f;
    rng_state = (uint64_t)seed + 2;
    f = check_s8_narrow(&s8s[i], 0, seed);
    printf("s8s8  %-10s narrow n %s\n", s8s[i].name, f ? "FAILED" : "bit-exact");
    fails += f;
  }
  /* the dispatcher (the selected ISA, INT8K_MAX_ISA caps it) on 1-3 threads */
  rng_state = (uint64_t)seed + 3;
  const int sel = int8k_selected_isa();
  if (sel >= 0) {
    int f = check_s8_narrow(&s8s[sel], 1, seed);
    printf("s8s8  %-10s narrow n, 1-3 threads %s\n", s8s[sel].name, f ? "FAILED" : "bit-exact");
    fails += f;
  }
  if (paths < 3) printf("note: this CPU runs %d of the 3 ISA paths\n", paths);
  return fails ? 1 : 0;
}
