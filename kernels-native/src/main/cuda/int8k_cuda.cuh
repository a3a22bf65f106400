/*
 * int8k_cuda.cuh - what every CUDA kernel of spark-int8 shares: the numeric conventions of the Java
 * reference (io.sparkint8.kernels.JavaBackend, spelled out in ../native/include/int8k.h), the
 * counter-based draw of stochastic rounding, and launch helpers.
 *
 * Bit-exactness. The reference evaluates float expressions in IEEE binary32 round-to-nearest-even, one
 * operation at a time, with no fused multiply-add. The PTX is built with -fmad=false -ftz=false
 * -prec-div=true -prec-sqrt=true so that plain `a * b + c` is never contracted and subnormals survive, and
 * the bit-exact paths still spell their operations with the _rn intrinsics: the intent stays visible and
 * does not depend on a build flag. Only the fp32 GEMM uses fmaf (its results are compared within rounding).
 *
 * Every kernel is extern "C" so that its PTX .entry name is the name the Java side looks up
 * (io.sparkint8.kernels.cuda.CudaKernel); a test parses the PTX and checks names and parameter types.
 */
#ifndef INT8K_CUDA_CUH
#define INT8K_CUDA_CUH

#include <stdint.h>

/* Largest K one int32 pass reduces without overflow (|a*b| <= 2^14); longer reductions are split by the
 * host into chunks of this many (a multiple of 64) and summed in int64. Same value as INT8K_KMAX. */
#define INT8K_KMAX 131008

/* Element-wise kernels use this many threads per block and a grid-stride loop. */
#define INT8K_EW_THREADS 256

/* ---- grid-stride iteration in 64 bits (counts reach 2^31 - 1, and blockIdx * blockDim + threadIdx
 * would overflow int near there) --------------------------------------------------------------------- */
__device__ __forceinline__ int64_t k_first_index() {
  return (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t k_grid_stride() { return (int64_t)gridDim.x * blockDim.x; }

/* ---- stochastic rounding draw (StochasticRounding.uniform) --------------------------------------------
 * key = splitmix64(seed ^ splitmix64(stream)) is computed once per tensor on the host (Java) and passed
 * in; the per-element part is:
 *   h = fmix32((uint32) e ^ (uint32) key);  h = fmix32(h ^ (uint32) (key >> 32) ^ (uint32) (e >> 32))
 *   u = (float) (h >> 8) * 2^-24                      (exact: h >> 8 < 2^24)
 */
__device__ __forceinline__ uint32_t k_fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

__device__ __forceinline__ float k_sr_uniform(uint64_t key, int64_t e) {
  uint32_t h = k_fmix32((uint32_t)e ^ (uint32_t)key);
  h = k_fmix32(h ^ (uint32_t)(key >> 32) ^ (uint32_t)((uint64_t)e >> 32));
  return __fmul_rn(__uint2float_rn(h >> 8), 0x1p-24f);
}

/* ---- quantization helpers ------------------------------------------------------------------------------ */

/* clamp(x, s) = x > s ? s : (x < -s ? -s : x), NaN passing through, as the reference writes it. */
__device__ __forceinline__ float k_clamp(float x, float s) { return x > s ? s : (x < -s ? -s : x); }

/* Java's (int) cast of an integral-valued float followed by the clamp to [-qmax, qmax]: NaN -> 0,
 * everything else saturates (a float beyond +-qmax clamps before it could overflow int). */
__device__ __forceinline__ int k_code_of(float r, int qmax) {
  if (r != r) return 0;
  if (r > (float)qmax) return qmax;
  if (r < (float)-qmax) return -qmax;
  return (int)r;
}

/* The smallest power of two >= s for finite s > 0, exactly (JavaBackend.roundUpToPowerOfTwo): a normal
 * s with a zero mantissa is already one; otherwise the next exponent (2^127 rounds up to +Inf, as Java's
 * scalb(1, 127) * 2 does); a subnormal s rounds up within the subnormals or to 2^-126. */
__device__ __forceinline__ float k_pow2_ceil(float s) {
  uint32_t b = __float_as_uint(s);
  uint32_t e = b >> 23; /* s > 0: the sign bit is clear */
  uint32_t m = b & 0x7FFFFFu;
  if (e == 0) {
    uint32_t p = 1;
    while (p < m) p <<= 1;
    return __uint_as_float(p);
  }
  if (m == 0) return s;
  return __uint_as_float((e + 1) << 23);
}

/* |x| as ordered bits: for non-negative floats the IEEE bit patterns order like the values, +Inf above
 * every finite value and every NaN above +Inf. So max |x| is an unsigned max over (bits & 0x7FFFFFFF),
 * order-independent (atomics are fine) and NaN-propagating exactly as the reference's Math.max chain
 * (a NaN payload may differ; the reference's comparisons fold every NaN into one). */
__device__ __forceinline__ uint32_t k_abs_bits(float x) { return __float_as_uint(x) & 0x7FFFFFFFu; }

__device__ __forceinline__ uint32_t k_warp_max_u32(uint32_t v) {
  for (int off = 16; off > 0; off >>= 1) {
    uint32_t o = __shfl_xor_sync(0xFFFFFFFFu, v, off);
    v = o > v ? o : v;
  }
  return v;
}

/* Sliding-window geometry (ConvDesc), all in int64 like the C reference. */
struct k_window {
  int64_t n, h, w, c, kh, kw, sh, sw, ph, pw, oh, ow;
};

__device__ __forceinline__ k_window k_make_window(int n, int h, int w, int c, int kh, int kw, int sh,
                                                  int sw, int ph, int pw) {
  k_window d;
  d.n = n; d.h = h; d.w = w; d.c = c; d.kh = kh; d.kw = kw;
  d.sh = sh; d.sw = sw; d.ph = ph; d.pw = pw;
  d.oh = (d.h + 2 * d.ph - d.kh) / d.sh + 1;
  d.ow = (d.w + 2 * d.pw - d.kw) / d.sw + 1;
  return d;
}

#endif /* INT8K_CUDA_CUH */
