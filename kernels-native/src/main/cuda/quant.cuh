/*
 * quant.cuh - quantization and its statistics: max |x| (per tensor, per row or group, per column), the
 * per-group scales, quantize (nearest / stochastic), dequantize, the GVQ channel fraction and the DSGC
 * clip deviation. Semantics: io.sparkint8.kernels.JavaBackend and int8k.h.
 *
 * quantize runs as three launches on the host's stream: max |x| of every group (int8k_absmax_tensor for
 * per-tensor, int8k_absmax_runs otherwise), int8k_quant_scales (checks, clip, power-of-two rounding,
 * scale = s / qmax, and the inverse qmax / s every element multiplies by), int8k_quantize.
 * A group whose max is not finite, or whose clip value is not finite and >= 0, is reported through
 * status[0] = the smallest such group (atomicMin; the host initialises it to INT_MAX and turns it into the
 * reference's IllegalArgumentException).
 */
#ifndef INT8K_QUANT_CUH
#define INT8K_QUANT_CUH

#include "int8k_cuda.cuh"

#define K_GRAN_TENSOR 0
#define K_GRAN_ROW 1
#define K_GRAN_GROUP 2

/* max |x| over src[0, count) into *out as ordered bits (see k_abs_bits); *out must start at 0. */
extern "C" __global__ void int8k_absmax_tensor(const float *__restrict__ src, long long count,
                                               unsigned *out) {
  __shared__ uint32_t warp_max[32];
  uint32_t mx = 0;
  for (int64_t e = k_first_index(); e < count; e += k_grid_stride()) {
    uint32_t v = k_abs_bits(src[e]);
    mx = v > mx ? v : mx;
  }
  mx = k_warp_max_u32(mx);
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  if (lane == 0) warp_max[warp] = mx;
  __syncthreads();
  if (warp == 0) {
    mx = lane < (int)(blockDim.x >> 5) ? warp_max[lane] : 0u;
    mx = k_warp_max_u32(mx);
    if (lane == 0 && mx != 0u) atomicMax(out, mx);
  }
}

/*
 * max |x| of contiguous runs, one warp per run: run g is row g / runs_per_row, columns
 * [(g % runs_per_row) * group, + group) cut at cols, with runs_per_row = ceil(cols / group). group = cols
 * gives one run per row (per-row absmax and PER_ROW quantization); otherwise PER_GROUP groups. out[g] is
 * written (not accumulated), as ordered bits.
 */
extern "C" __global__ void int8k_absmax_runs(const float *__restrict__ src, int rows, int cols, int group,
                                             unsigned *__restrict__ out) {
  const int lane = threadIdx.x & 31;
  const int64_t per_row = (cols + (int64_t)group - 1) / group;
  const int64_t runs = rows * per_row;
  const int64_t warps = k_grid_stride() >> 5;
  for (int64_t g = k_first_index() >> 5; g < runs; g += warps) {
    int64_t r = g / per_row;
    int64_t c0 = (g % per_row) * group;
    int64_t len = cols - c0 < group ? cols - c0 : group;
    const float *p = src + r * cols + c0;
    uint32_t mx = 0;
    for (int64_t q = lane; q < len; q += 32) {
      uint32_t v = k_abs_bits(p[q]);
      mx = v > mx ? v : mx;
    }
    mx = k_warp_max_u32(mx);
    if (lane == 0) out[g] = mx;
  }
}

/*
 * max |x| per column, as ordered bits into out[c] (which must start at 0). Block b covers 256 columns of
 * a band of rows_per_block rows (band b / col_blocks, columns (b % col_blocks) * 256 ..) and merges with
 * atomicMax, so that a tall, narrow matrix (N*H*W x C) still spreads over the GPU.
 */
extern "C" __global__ void int8k_absmax_cols(const float *__restrict__ src, int rows, int cols,
                                             int rows_per_block, unsigned *out) {
  const int64_t col_blocks = (cols + 255) / 256;
  const int64_t c = ((int64_t)blockIdx.x % col_blocks) * 256 + threadIdx.x;
  const int64_t r0 = ((int64_t)blockIdx.x / col_blocks) * rows_per_block;
  if (c >= cols) return;
  int64_t r1 = r0 + rows_per_block < rows ? r0 + rows_per_block : rows;
  uint32_t mx = 0;
  for (int64_t r = r0; r < r1; r++) {
    uint32_t v = k_abs_bits(src[r * cols + c]);
    mx = v > mx ? v : mx;
  }
  if (mx != 0u) atomicMax(out + c, mx);
}

/*
 * Per group g: s = clip ? clip[g] : max|x|; s rounded up to a power of two when pow2 and s > 0;
 * scales[g] = s / qmax; s_out[g] = s and inv_out[g] = qmax / s (0 when s == 0) for int8k_quantize.
 * Invalid groups (non-finite max, or a clip value that is not finite and >= 0) set status[0] to the
 * smallest such g.
 */
extern "C" __global__ void int8k_quant_scales(const unsigned *__restrict__ amax_bits,
                                              const float *__restrict__ clip, int groups, int bits, int pow2,
                                              float *__restrict__ scales, float *__restrict__ s_out,
                                              float *__restrict__ inv_out, int *status) {
  const float qmax = (float)((1 << (bits - 1)) - 1);
  for (int64_t g = k_first_index(); g < groups; g += k_grid_stride()) {
    uint32_t ab = amax_bits[g];
    float s = __uint_as_float(ab);
    bool bad = ab >= 0x7F800000u;
    if (clip) {
      float cv = clip[g];
      if (!(isfinite(cv) && cv >= 0.0f)) bad = true;
      s = cv;
    }
    if (bad) {
      atomicMin(status, (int)g);
      s = 0.0f;
    }
    if (pow2 && s > 0.0f) s = k_pow2_ceil(s);
    scales[g] = __fdiv_rn(s, qmax);
    s_out[g] = s;
    inv_out[g] = s == 0.0f ? 0.0f : __fdiv_rn(qmax, s);
  }
}

__device__ __forceinline__ int64_t k_group_of(int64_t r, int64_t c, int gran, int64_t group,
                                              int64_t per_row) {
  return gran == K_GRAN_TENSOR ? 0 : (gran == K_GRAN_ROW ? r : r * per_row + c / group);
}

/* codes[e] = clamp(rint or floor(clamp(x, s) * inv [+ u(key, e)]), -qmax, qmax), 0 where s == 0. */
extern "C" __global__ void int8k_quantize(const float *__restrict__ src, int rows, int cols, int gran,
                                          int group, int bits, int stochastic, unsigned long long key,
                                          const float *__restrict__ s, const float *__restrict__ inv,
                                          int8_t *__restrict__ codes) {
  const int qmax = (1 << (bits - 1)) - 1;
  const int64_t count = (int64_t)rows * cols;
  const int64_t per_row = gran == K_GRAN_GROUP ? (cols + (int64_t)group - 1) / group : 1;
  for (int64_t e = k_first_index(); e < count; e += k_grid_stride()) {
    int64_t r = e / cols, c = e % cols;
    int64_t g = k_group_of(r, c, gran, group, per_row);
    float sg = s[g];
    int q = 0;
    if (sg != 0.0f) {
      float y = __fmul_rn(k_clamp(src[e], sg), inv[g]);
      float t = stochastic ? floorf(__fadd_rn(y, k_sr_uniform(key, e))) : rintf(y);
      q = k_code_of(t, qmax);
    }
    codes[e] = (int8_t)q;
  }
}

/* dst[e] = (float) codes[e] * scales[group of e] */
extern "C" __global__ void int8k_dequantize(const int8_t *__restrict__ codes, int rows, int cols, int gran,
                                            int group, const float *__restrict__ scales,
                                            float *__restrict__ dst) {
  const int64_t count = (int64_t)rows * cols;
  const int64_t per_row = gran == K_GRAN_GROUP ? (cols + (int64_t)group - 1) / group : 1;
  for (int64_t e = k_first_index(); e < count; e += k_grid_stride()) {
    int64_t r = e / cols, c = e % cols;
    dst[e] = __fmul_rn((float)codes[e], scales[k_group_of(r, c, gran, group, per_row)]);
  }
}

/*
 * GVQ's test per column c: the fraction of rows with |x| > sd, sd the population standard deviation,
 * with every sum in double over rows in ascending order (that order is the reference's, so one thread
 * walks a column: the sums cannot be split without changing their rounding).
 */
extern "C" __global__ void int8k_channel_fraction(const float *__restrict__ src, int rows, int cols,
                                                  float *__restrict__ out) {
  for (int64_t c = k_first_index(); c < cols; c += k_grid_stride()) {
    double sum = 0.0;
    for (int64_t r = 0; r < rows; r++) sum = __dadd_rn(sum, (double)src[r * cols + c]);
    double mean = __ddiv_rn(sum, (double)rows);
    double ss = 0.0;
    for (int64_t r = 0; r < rows; r++) {
      double dv = __dsub_rn((double)src[r * cols + c], mean);
      ss = __dadd_rn(ss, __dmul_rn(dv, dv));
    }
    double sd = __dsqrt_rn(__ddiv_rn(ss, (double)rows));
    int count = 0;
    for (int64_t r = 0; r < rows; r++) count += fabs((double)src[r * cols + c]) > sd ? 1 : 0;
    out[c] = __double2float_rn(__ddiv_rn((double)count, (double)rows));
  }
}

/*
 * DSGC's sums for ncand clip candidates in the reference's order: element e belongs to lane e % 16 and
 * each lane sums its elements in ascending order, in double. One thread per (candidate, lane), 4
 * candidates per 64-thread block; the extra "candidate" ncand sums x*x. lanes receives
 * [ci*2 + 0][16] dot(x, xhat), [ci*2 + 1][16] |xhat|^2 for each candidate and [2*ncand][16] |x|^2; the host
 * folds the lanes (8, 4, 2, 1) and forms 1 - dot / (|x| |xhat|) exactly as the reference.
 */
extern "C" __global__ void int8k_clip_deviation(const float *__restrict__ src, long long count, int bits,
                                                int ncand, const float *__restrict__ cand,
                                                double *__restrict__ lanes) {
  const int ci = blockIdx.x * 4 + (threadIdx.x >> 4);
  const int lane = threadIdx.x & 15;
  if (ci > ncand) return;
  if (ci == ncand) {
    double nx = 0.0;
    for (int64_t e = lane; e < count; e += 16) {
      double x = (double)src[e];
      nx = __dadd_rn(nx, __dmul_rn(x, x));
    }
    lanes[(2 * (int64_t)ncand) * 16 + lane] = nx;
    return;
  }
  const int qm = (1 << (bits - 1)) - 1;
  const float qmax = (float)qm;
  const float cv = cand[ci];
  const float inv = __fdiv_rn(qmax, cv);
  const float step = __fdiv_rn(cv, qmax);
  double dot = 0.0, nh = 0.0;
  for (int64_t e = lane; e < count; e += 16) {
    float x = src[e];
    int q = __float2int_rn(__fmul_rn(k_clamp(x, cv), inv));
    q = q < -qm ? -qm : (q > qm ? qm : q);
    float xh = __fmul_rn((float)q, step);
    dot = __dadd_rn(dot, __dmul_rn((double)x, (double)xh));
    nh = __dadd_rn(nh, __dmul_rn((double)xh, (double)xh));
  }
  lanes[(2 * (int64_t)ci) * 16 + lane] = dot;
  lanes[(2 * (int64_t)ci + 1) * 16 + lane] = nh;
}

#endif /* INT8K_QUANT_CUH */
