/*
 * int8k_kernels.cu - the one translation unit nvcc compiles into PTX, once per target
 * (build-ptx.sh: compute_75, compute_80, compute_90). One module per target keeps loading to a single
 * cuModuleLoadData call; the kernels live in the headers below, one job each.
 *
 * Kernels that need a newer architecture than the target are left out of its PTX (the tensor-core GEMM
 * needs sm_80); io.sparkint8.kernels.cuda.CudaKernel records which target has which entry, and a test
 * checks every PTX against that table.
 */
#include "int8k_cuda.cuh"
#include "gemm_epilogue.cuh"
#include "gemm_s8_dp4a.cuh"
#include "gemm_s8_mma.cuh"
#include "gemm_f32.cuh"
#include "quant.cuh"
#include "window.cuh"
