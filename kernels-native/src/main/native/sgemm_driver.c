/*
 * sgemm_driver.c - the ISA-neutral part of the fp32 GEMM (sgemm.h): alpha and beta around the cores'
 * plain sums, and the split of the output over threads.
 *
 * alpha, beta. The cores compute C = acc. With beta == 0 the driver then scales the part by alpha (skipped
 * when alpha == 1: acc is never a signaling NaN, so 1 * acc == acc bit for bit). With beta != 0 the
 * sums go to a scratch S, a few rows at a time, and C = S * alpha + beta * C_old follows element by element
 * (built with -ffp-contract=off: two products and a sum, each rounded to float, as in the Java reference).
 *
 * Threads. Part t of T gets a fixed range of rows (or of columns when there are fewer row tiles than
 * column tiles); every output is computed whole by one core call, so the bits are those of one thread.
 */
#include <pthread.h>
#include <stdlib.h>

#include "sgemm.h"

#define SG_SCRATCH_FLOATS (1 << 20) /* rows of S per beta pass: about 4 MB */

typedef struct {
  int8k_sgemm_core core;
  const int8k_gemm_desc *d;
  float alpha, beta;
  const float *a, *b;
  float *c;
  int by_rows;
  int64_t per_part; /* rows or columns per part */
  int status[64];
} sg_job;

/* rows [i0, i1) x columns [j0, j1) of the problem */
static int sg_region(const sg_job *job, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  const int8k_gemm_desc *d = job->d;
  int8k_sgemm_call call = {
      .trans_a = d->trans_a,
      .trans_b = d->trans_b,
      .m = i1 - i0,
      .n = j1 - j0,
      .k = d->k,
      .a = d->trans_a ? job->a + i0 : job->a + i0 * d->lda,
      .lda = d->lda,
      .b = d->trans_b ? job->b + j0 * d->ldb : job->b + j0,
      .ldb = d->ldb,
      .c = job->c + i0 * d->ldc + j0,
      .ldc = d->ldc,
  };
  if (job->beta == 0.0f) {
    int st = job->core(&call);
    if (st != INT8K_OK || job->alpha == 1.0f) return st;
    for (int64_t i = i0; i < i1; i++) {
      float *row = job->c + i * d->ldc;
      for (int64_t j = j0; j < j1; j++) row[j] = job->alpha * row[j];
    }
    return INT8K_OK;
  }
  const int64_t w = j1 - j0;
  int64_t rows = SG_SCRATCH_FLOATS / w;
  if (rows < 1) rows = 1;
  if (rows > i1 - i0) rows = i1 - i0;
  float *s = int8k_scratch_alloc((size_t)(rows * w) * sizeof(float));
  if (s == NULL) return INT8K_ERR_NOMEM;
  for (int64_t r0 = i0; r0 < i1; r0 += rows) {
    const int64_t r1 = r0 + rows < i1 ? r0 + rows : i1;
    call.m = r1 - r0;
    call.a = d->trans_a ? job->a + r0 : job->a + r0 * d->lda;
    call.c = s;
    call.ldc = w;
    int st = job->core(&call);
    if (st != INT8K_OK) {
      int8k_scratch_free(s);
      return st;
    }
    for (int64_t i = r0; i < r1; i++) {
      float *row = job->c + i * d->ldc + j0;
      const float *sr = s + (i - r0) * w;
      for (int64_t j = 0; j < w; j++) row[j] = job->alpha * sr[j] + job->beta * row[j];
    }
  }
  int8k_scratch_free(s);
  return INT8K_OK;
}

static void sg_part(sg_job *job, int part) {
  const int8k_gemm_desc *d = job->d;
  const int64_t total = job->by_rows ? d->m : d->n;
  const int64_t lo = (int64_t)part * job->per_part;
  const int64_t hi = lo + job->per_part < total ? lo + job->per_part : total;
  job->status[part] = INT8K_OK;
  if (lo >= hi) return;
  job->status[part] = job->by_rows ? sg_region(job, lo, hi, 0, d->n) : sg_region(job, 0, d->m, lo, hi);
}

typedef struct {
  sg_job *job;
  int part;
} sg_worker;

static void *sg_worker_main(void *p) {
  sg_worker *w = p;
  sg_part(w->job, w->part);
  return NULL;
}

int int8k_sgemm_run(int8k_sgemm_core core, const int8k_gemm_desc *d, float alpha, const float *a,
                    const float *b, float beta, float *c) {
  sg_job job = {core, d, alpha, beta, a, b, c, 1, d->m, {0}};
  int parts = d->threads < 1 ? 1 : d->threads > 64 ? 64 : d->threads;
  /* whole register tiles per part (16 rows, 32 columns) */
  const int64_t row_tiles = (d->m + 15) / 16, col_tiles = (d->n + 31) / 32;
  job.by_rows = row_tiles >= col_tiles || row_tiles >= 4 * (int64_t)parts;
  const int64_t tiles = job.by_rows ? row_tiles : col_tiles;
  if (parts > tiles) parts = (int)tiles;
  const int64_t unit = job.by_rows ? 16 : 32;
  job.per_part = (tiles + parts - 1) / parts * unit;
  parts = (int)(((job.by_rows ? d->m : d->n) + job.per_part - 1) / job.per_part);

  pthread_t tid[64];
  sg_worker args[64];
  int started[64] = {0};
  for (int p = 1; p < parts; p++) {
    args[p] = (sg_worker){&job, p};
    started[p] = pthread_create(&tid[p], NULL, sg_worker_main, &args[p]) == 0;
  }
  sg_part(&job, 0);
  for (int p = 1; p < parts; p++) {
    if (started[p])
      pthread_join(tid[p], NULL);
    else
      sg_part(&job, p); /* no thread: the same part on this one, same bits */
  }
  for (int p = 0; p < parts; p++)
    if (job.status[p] != INT8K_OK) return job.status[p];
  return INT8K_OK;
}
