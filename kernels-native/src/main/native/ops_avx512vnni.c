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
 * Note: this file includes ops_avx2.c, so its object depends on that file too.
 */
#define OPS_AVX2_FUNCTIONS_ONLY
#include "ops_avx2.c"

const int8k_misc_ops int8k_misc_ops_avx512vnni = {
    .isa = INT8K_ISA_AVX512VNNI,
    .group_absmax = avx2_group_absmax,
    .quantize_groups = avx2_quantize_groups,
    .dequantize = avx2_dequantize,
    .absmax = avx2_absmax,
    .channel_fraction_above_std = generic_channel_fraction_above_std,
    .clip_cosine_deviation = avx2_clip_cosine_deviation,
    .im2col_s8 = generic_im2col_s8,
    .im2col_f32 = generic_im2col_f32,
    .col2im_f32 = generic_col2im_f32,
    .col2im_s32 = generic_col2im_s32,
    .maxpool_s8 = generic_maxpool_s8,
    .maxpool_backward_f32 = generic_maxpool_backward_f32,
    .relu_s8 = avx2_relu_s8,
    .relu_backward_f32 = avx2_relu_backward_f32,
    OPS_GENERIC_NORMALIZATION
};
