/*
 * ops_avx512vnni.c - the AVX-512 VNNI path of the non-GEMM ops.
 *
 * No AVX-512 intrinsics here: they could not be run where this path was written (no AVX-512 there), and
 * untested code is a bigger risk to bit-exactness than the speed it would buy. Instead:
 *  - the hot ops use the hand-vectorized AVX2 functions of ops_avx2.c (tested bit-identical to the
 *    reference), compiled here with the AVX-512 flags. Intrinsics keep their meaning under any encoding,
 *    and without -ffast-math and with -ffp-contract=off the compiler can neither reassociate nor fuse
 *    them. The reference code alone would be far slower on these ops, because gcc does not vectorize its
 *    NaN-tracking reductions, the RNG or the lane-ordered double sums.
 *  - the other ops are the reference code of ops_generic.h, which gcc auto-vectorizes with these flags
 *    under the same exactness constraints.
 * The exception is the direct stem convolution (conv_direct_avx512.h), written with AVX-512 intrinsics on
 * an AVX-512 machine (Zen 5) and tested bit-identical to the reference there.
 * Note: this file includes ops_avx2.c, so its object depends on that file too.
 */
#define OPS_AVX2_FUNCTIONS_ONLY
#include "ops_avx2.c"
#include "conv_direct_avx512.h"

INT8K_TABLE_OVERRIDES_BEGIN
const int8k_misc_ops int8k_misc_ops_avx512vnni = {
    .isa = INT8K_ISA_AVX512VNNI,
#define INT8K_OP INT8K_GENERIC_ENTRY
#define INT8K_KERNEL INT8K_GENERIC_ENTRY
#include "int8k_ops.def"
    OPS_AVX2_KERNELS
    OPS_CONV_DIRECT_AVX512_KERNELS
};
INT8K_TABLE_OVERRIDES_END
