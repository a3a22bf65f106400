/*
 * gemm_bench.c - GFLOPS / GOPS of the GEMM kernels per shape, one thread unless told, beside oneDNN's sgemm
 * and u8s8s32 when built with it (HAVE_DNNL), measured alternately in the same process. One JSON object per
 * line; each figure is the best of `reps` calls, and the line reports the minimum time over `rounds`
 * alternations (the statistic of ../shared/tools/anchor-gemm).
 *
 * The ISA path is the library's choice, capped as usual by INT8K_MAX_ISA=scalar|avx2|avx512vnni (and oneDNN's
 * by ONEDNN_MAX_CPU_ISA, e.g. AVX2, for a like-for-like comparison on a narrower path).
 *
 *   gemm_bench [--threads T] [--rounds R] [--reps N] [--only f32|s8]
 *              [--packed] [--ours] [--epilogue] [--cpu-time] [m,n,k[,TA,TB] ...]
 *             (--ours: skip oneDNN, e.g. under perf;
 *              --epilogue: our int8 GEMMs write fp32 through the epilogue (row and column scales), as the
 *              engine's do;
 *              --cpu-time: the calling thread's CPU time, not wall time - on a machine shared with other
 *              jobs it leaves out the time the scheduler gave them; one thread only;
 *              TA, TB = N or T, the layouts of A and B, default N,N)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

#include "int8k_isa.h"
#include "sgemm.h"

static int cpu_time; /* --cpu-time: this thread's CPU time instead of wall time */

static double now(void) {
  struct timespec t;
  clock_gettime(cpu_time ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define TIME_BEST(reps, stmt)                   \
  ({                                            \
    double best_ = 1e30;                        \
    for (int r_ = 0; r_ < (reps); r_++) {       \
      double t_ = now();                        \
      stmt;                                     \
      t_ = now() - t_;                          \
      if (t_ < best_) best_ = t_;               \
    }                                           \
    best_;                                      \
  })

static const int DEFAULT_SHAPES[][3] = {{1024, 1024, 1024}, {256, 3136, 288}, {3136, 64, 576}, {128, 512, 784},
                                        {64, 4096, 4096}};

int main(int argc, char **argv) {
  int threads = 1, rounds = 5, reps = 10, packed = 0, ours_only = 0, epilogue = 0;
  const char *only = "";
  int shapes[64][5], nshapes = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads")) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--only")) only = argv[++i];
    else if (!strcmp(argv[i], "--packed")) packed = 1;
    else if (!strcmp(argv[i], "--ours")) ours_only = 1;
    else if (!strcmp(argv[i], "--cpu-time")) cpu_time = 1;
    else if (!strcmp(argv[i], "--epilogue")) epilogue = 1;
    else if (nshapes < 64 && sscanf(argv[i], "%d,%d,%d", &shapes[nshapes][0], &shapes[nshapes][1], &shapes[nshapes][2]) == 3) {
      const char *tr = strchr(strchr(strchr(argv[i], ',') + 1, ',') + 1, ',');
      shapes[nshapes][3] = tr != NULL && tr[1] == 'T';
      shapes[nshapes][4] = tr != NULL && tr[2] == ',' && tr[3] == 'T';
      nshapes++;
    }
    else {
      fprintf(stderr, "bad argument %s\n", argv[i]);
      return 2;
    }
  }
  if (nshapes == 0) {
    nshapes = 5;
    for (int i = 0; i < 5; i++) {
      memcpy(shapes[i], DEFAULT_SHAPES[i], sizeof DEFAULT_SHAPES[i]);
      shapes[i][3] = shapes[i][4] = 0;
    }
  }
  const char *isa_name = int8k_isa_name(int8k_selected_isa());
  for (int s = 0; s < nshapes; s++) {
    const int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2], ta = shapes[s][3], tb = shapes[s][4];
    const int lda = ta ? m : k, ldb = tb ? k : n;
    const char cta = ta ? 'T' : 'N', ctb = tb ? 'T' : 'N';
    const double ops2 = 2.0 * m * n * k;
    float *a = malloc(4L * m * k), *b = malloc(4L * k * n), *c = malloc(4L * m * n);
    int8_t *a8 = malloc((size_t)m * k), *au8 = malloc((size_t)m * k), *b8 = malloc((size_t)k * n);
    int32_t *c32 = malloc(4L * m * n);
    srand(1);
    for (long i = 0; i < (long)m * k; i++) {
      a[i] = rand() / (float)RAND_MAX - 0.5f;
      a8[i] = (int8_t)(rand() % 255 - 127);
      au8[i] = (int8_t)(rand() % 128);
    }
    for (long i = 0; i < (long)k * n; i++) b[i] = rand() / (float)RAND_MAX - 0.5f, b8[i] = (int8_t)(rand() % 255 - 127);
    int8k_gemm_desc d = {ta, tb, m, n, k, lda, ldb, n, threads};
    float *rs = malloc(4L * m), *cs = malloc(4L * n);
    for (int i = 0; i < m; i++) rs[i] = 0.5f + (float)(i % 7);
    for (int j = 0; j < n; j++) cs[j] = 0.25f + (float)(j % 5);
    const int8k_epilogue ep = {1.0f, rs, cs, NULL, 0.0f};
    double f32 = 1e30, dnnl_f32 = 1e30, s8u = 1e30, s8s = 1e30, dnnl_s8 = 1e30, t = 0;
    void *pk = NULL;
    if (packed) {
      int64_t bytes = 0;
      int8k_packed_b_size(k, n, &bytes);
      pk = malloc(bytes);
      int8k_pack_b(tb, k, n, b8, ldb, pk, bytes);
    }
    for (int r = 0; r < rounds; r++) {
      if (strcmp(only, "s8")) {
        t = TIME_BEST(reps, int8k_gemm_f32(&d, 1.0f, a, b, 0.0f, c));
        if (t < f32) f32 = t;
#ifdef HAVE_DNNL
        if (!ours_only) t = TIME_BEST(reps, dnnl_sgemm(cta, ctb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n));
        if (t < dnnl_f32) dnnl_f32 = t;
#endif
      }
      if (strcmp(only, "f32")) {
        if (epilogue) {
          t = TIME_BEST(reps, int8k_gemm_s8s8f32(&d, au8, b8, pk, &ep, c));
          if (t < s8u) s8u = t;
          t = TIME_BEST(reps, int8k_gemm_s8s8f32(&d, a8, b8, pk, &ep, c));
          if (t < s8s) s8s = t;
        } else {
          t = TIME_BEST(reps, int8k_gemm_s8s8s32(&d, au8, b8, pk, c32));
          if (t < s8u) s8u = t;
          t = TIME_BEST(reps, int8k_gemm_s8s8s32(&d, a8, b8, pk, c32));
          if (t < s8s) s8s = t;
        }
#ifdef HAVE_DNNL
        int32_t co = 0;
        if (!ours_only) t = TIME_BEST(reps, dnnl_gemm_u8s8s32(cta, ctb, 'F', m, n, k, 1.0f, (const uint8_t *)au8, lda, 0, b8, ldb, 0,
                                               0.0f, c32, n, &co));
        if (t < dnnl_s8) dnnl_s8 = t;
#endif
      }
    }
    if (strcmp(only, "s8"))
      printf("{\"m\":%d,\"n\":%d,\"k\":%d,\"layout\":\"%c%c\",\"threads\":%d,\"isa\":\"%s\",\"f32_gflops\":%.1f,"
             "\"onednn_sgemm\":%.1f,\"ratio\":%.3f}\n",
             m, n, k, cta, ctb, threads, isa_name, ops2 / f32 / 1e9, ops2 / dnnl_f32 / 1e9, dnnl_f32 / f32);
    if (strcmp(only, "f32"))
      printf("{\"m\":%d,\"n\":%d,\"k\":%d,\"layout\":\"%c%c\",\"threads\":%d,\"packed\":%d,\"s8_a_nonneg_gops\":%.1f,\"s8_signed_gops\":%.1f,"
             "\"onednn_u8s8s32\":%.1f,\"ratio_nonneg\":%.3f,\"ratio_signed\":%.3f,\"isa\":\"%s\",\"epilogue\":%d}\n",
             m, n, k, cta, ctb, threads, packed, ops2 / s8u / 1e9, ops2 / s8s / 1e9, ops2 / dnnl_s8 / 1e9, dnnl_s8 / s8u,
             dnnl_s8 / s8s, isa_name, epilogue);
    fflush(stdout);
    free(a), free(b), free(c), free(a8), free(au8), free(b8), free(c32), free(pk), free(rs), free(cs);
  }
  return 0;
}
