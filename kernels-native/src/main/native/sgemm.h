/*
 * sgemm.h - internal: the fp32 GEMM of int8k.h (int8k_gemm_f32), split into per-ISA single-threaded cores
 * (sgemm_<isa>.c) and an ISA-neutral driver (sgemm_driver.c) that applies alpha and beta and splits the
 * output over threads.
 *
 * Semantics (the Java reference, io.sparkint8.kernels.ref.GemmReference#gemmF32, computes the same):
 *   acc = +0.0f; for p = 0 .. k-1: acc = fma(A[i][p], B[p][j], acc)      (one rounding per step)
 *   beta == 0:  C[i][j] = alpha * acc                                     (C is not read)
 *   beta != 0:  C[i][j] = alpha * acc + beta * C_old[i][j]               (each operation rounded to float)
 * The cores vectorize across i and j, never across p, so every output follows this chain on every ISA.
 * K blocking stores the running acc as a plain float and resumes from it, which continues the same chain
 * exactly. Threads split the output by rows or columns, never by k, so the bits do not depend on them.
 */
#ifndef INT8K_SGEMM_H
#define INT8K_SGEMM_H

#include "int8k_isa.h"

typedef int (*int8k_sgemm_core)(const int8k_sgemm_call *call);

/* The cores (the `sgemm` entries of the ISA tables): arguments are valid (the caller checked them); they
 * fail only with INT8K_ERR_NOMEM. */
int int8k_sgemm_scalar(const int8k_sgemm_call *call);
int int8k_sgemm_avx2(const int8k_sgemm_call *call);
int int8k_sgemm_avx512vnni(const int8k_sgemm_call *call);

/*
 * The whole operation of int8k_gemm_f32 on an already validated descriptor, on one core: alpha and beta
 * as above, the output split over d->threads threads (by rows, or by columns when the rows are too few).
 * Returns INT8K_OK or INT8K_ERR_NOMEM.
 */
int int8k_sgemm_run(int8k_sgemm_core core, const int8k_gemm_desc *d, float alpha, const float *a,
                    const float *b, float beta, float *c);

#endif /* INT8K_SGEMM_H */
