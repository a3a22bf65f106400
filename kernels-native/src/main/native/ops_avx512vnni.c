/*
 * ops_avx512vnni.c - the AVX-512 VNNI path of the non-GEMM ops.
 *
 * Three kinds of kernels, each bit-identical to the reference (ops_generic.h, and the Java reference):
 *  - the hand-vectorized AVX2 functions of ops_avx2.c for most hot ops, compiled here with the AVX-512
 *    flags (they were written where no AVX-512 machine was at hand). Intrinsics keep their meaning under
 *    any encoding, and without -ffast-math and with -ffp-contract=off the compiler can neither
 *    reassociate nor fuse them. The reference code alone would be far slower on these ops, because gcc
 *    does not vectorize its NaN-tracking reductions, the RNG or the lane-ordered double sums.
 *  - AVX-512 intrinsics, written and tested on an AVX-512 machine (Zen 5), where sixteen lanes pay:
 *    batch norm (fused with its max-pool, its statistics, its backward sums; ops_bn_avx512.h, whose
 *    double arithmetic and register-held sums need them) and the direct stem convolution
 *    (conv_direct_avx512.h).
 *  - the other ops are the reference code of ops_generic.h, which gcc auto-vectorizes with these flags
 *    under the same exactness constraints.
 * Note: this file includes ops_avx2.c, so its object depends on that file too.
 */
#define OPS_AVX2_FUNCTIONS_ONLY
#include "ops_avx2.c"
#include "ops_bn_avx512.h"
#include "conv_direct_avx512.h"

INT8K_TABLE_OVERRIDES_BEGIN
const int8k_misc_ops int8k_misc_ops_avx512vnni = {
    .isa = INT8K_ISA_AVX512VNNI,
#define INT8K_OP INT8K_GENERIC_ENTRY
#define INT8K_KERNEL INT8K_GENERIC_ENTRY
#include "int8k_ops.def"
    OPS_AVX2_KERNELS
    OPS_BN_AVX512_KERNELS
    OPS_CONV_DIRECT_AVX512_KERNELS
};
INT8K_TABLE_OVERRIDES_END
