/*
 * window.cuh - sliding-window ops on NHWC tensors (ConvDesc): im2col (int8, fp32), col2im (fp32, int32),
 * int8 max-pool with argmax and its backward pass, and the ReLU pair. Semantics: JavaBackend / int8k.h.
 *
 * The scatter-adds of the reference (col2im, max-pool backward) are computed here as gathers: one thread
 * per destination element sums its contributions in the reference's order (ascending im2col row, i.e.
 * output pixel), starting from +0.0f. fp32 addition is not associative, so atomics would make the result
 * depend on scheduling; the gather is deterministic and bit-identical to the reference.
 */
#ifndef INT8K_WINDOW_CUH
#define INT8K_WINDOW_CUH

#include "int8k_cuda.cuh"

#define K_WINDOW_ARGS int n, int h, int w, int c, int kh, int kw, int sh, int sw, int ph, int pw
#define K_WINDOW_MAKE k_make_window(n, h, w, c, kh, kw, sh, sw, ph, pw)

/* cols[r][(i*kw + j)*c + ch] = src(b, oy*sh - ph + i, ox*sw - pw + j, ch) or 0 outside the image. */
template <typename T>
__device__ __forceinline__ void k_im2col(const T *__restrict__ src, const k_window &d, T *__restrict__ cols) {
  const int64_t ncols = d.kh * d.kw * d.c;
  const int64_t total = d.n * d.oh * d.ow * ncols;
  for (int64_t e = k_first_index(); e < total; e += k_grid_stride()) {
    int64_t r = e / ncols, q = e % ncols;
    int64_t ch = q % d.c, ij = q / d.c;
    int64_t i = ij / d.kw, j = ij % d.kw;
    int64_t b = r / (d.oh * d.ow), oy = (r / d.ow) % d.oh, ox = r % d.ow;
    int64_t y = oy * d.sh - d.ph + i, x = ox * d.sw - d.pw + j;
    bool inside = y >= 0 && y < d.h && x >= 0 && x < d.w;
    cols[e] = inside ? src[((b * d.h + y) * d.w + x) * d.c + ch] : (T)0;
  }
}

extern "C" __global__ void int8k_im2col_s8(const int8_t *src, K_WINDOW_ARGS, int8_t *cols) {
  k_im2col<int8_t>(src, K_WINDOW_MAKE, cols);
}

extern "C" __global__ void int8k_im2col_f32(const float *src, K_WINDOW_ARGS, float *cols) {
  k_im2col<float>(src, K_WINDOW_MAKE, cols);
}

/* Output pixels whose window covers input coordinate y (rows) along one axis: [*lo, *hi]. */
__device__ __forceinline__ void k_covering(int64_t y, int64_t pad, int64_t kernel, int64_t stride,
                                           int64_t out, int64_t *lo, int64_t *hi) {
  int64_t first = y + pad - kernel + 1; /* smallest oy*stride that still reaches y */
  *lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  int64_t last = (y + pad) / stride;
  *hi = last < out - 1 ? last : out - 1;
}

/* Decomposes a flat NHWC index. */
__device__ __forceinline__ void k_nhwc(int64_t e, const k_window &d, int64_t *b, int64_t *y, int64_t *x,
                                       int64_t *ch) {
  *ch = e % d.c;
  int64_t p = e / d.c;
  *x = p % d.w;
  p /= d.w;
  *y = p % d.h;
  *b = p / d.h;
}

/* dst(b, y, x, ch) = sum over the output pixels (oy, ox) ascending whose window covers (y, x) of
 * cols[(b*oh + oy)*ow + ox][(i*kw + j)*c + ch], fp32 adds from +0.0f. */
extern "C" __global__ void int8k_col2im_f32(const float *__restrict__ cols, K_WINDOW_ARGS,
                                            float *__restrict__ dst) {
  const k_window d = K_WINDOW_MAKE;
  const int64_t ncols = d.kh * d.kw * d.c;
  const int64_t total = d.n * d.h * d.w * d.c;
  for (int64_t e = k_first_index(); e < total; e += k_grid_stride()) {
    int64_t b, y, x, ch, oy0, oy1, ox0, ox1;
    k_nhwc(e, d, &b, &y, &x, &ch);
    k_covering(y, d.ph, d.kh, d.sh, d.oh, &oy0, &oy1);
    k_covering(x, d.pw, d.kw, d.sw, d.ow, &ox0, &ox1);
    float acc = 0.0f;
    for (int64_t oy = oy0; oy <= oy1; oy++) {
      int64_t i = y + d.ph - oy * d.sh;
      for (int64_t ox = ox0; ox <= ox1; ox++) {
        int64_t j = x + d.pw - ox * d.sw;
        int64_t r = (b * d.oh + oy) * d.ow + ox;
        acc = __fadd_rn(acc, cols[r * ncols + (i * d.kw + j) * d.c + ch]);
      }
    }
    dst[e] = acc;
  }
}

/* The same sum in int32, wrapping modulo 2^32 (unsigned arithmetic: signed overflow is undefined in C++). */
extern "C" __global__ void int8k_col2im_s32(const int *__restrict__ cols, K_WINDOW_ARGS, int *__restrict__ dst) {
  const k_window d = K_WINDOW_MAKE;
  const int64_t ncols = d.kh * d.kw * d.c;
  const int64_t total = d.n * d.h * d.w * d.c;
  for (int64_t e = k_first_index(); e < total; e += k_grid_stride()) {
    int64_t b, y, x, ch, oy0, oy1, ox0, ox1;
    k_nhwc(e, d, &b, &y, &x, &ch);
    k_covering(y, d.ph, d.kh, d.sh, d.oh, &oy0, &oy1);
    k_covering(x, d.pw, d.kw, d.sw, d.ow, &ox0, &ox1);
    uint32_t acc = 0;
    for (int64_t oy = oy0; oy <= oy1; oy++) {
      int64_t i = y + d.ph - oy * d.sh;
      for (int64_t ox = ox0; ox <= ox1; ox++) {
        int64_t j = x + d.pw - ox * d.sw;
        int64_t r = (b * d.oh + oy) * d.ow + ox;
        acc += (uint32_t)cols[r * ncols + (i * d.kw + j) * d.c + ch];
      }
    }
    dst[e] = (int)acc;
  }
}

/* dst[o] = the first strictly greatest code of window o (i then j ascending, cells outside the image
 * skipped), argmax[o] = its flat NHWC index in src. Pooling padding < kernel guarantees a cell inside. */
extern "C" __global__ void int8k_max_pool(const int8_t *__restrict__ src, K_WINDOW_ARGS,
                                            int8_t *__restrict__ dst, int *__restrict__ argmax) {
  const k_window d = K_WINDOW_MAKE;
  const int64_t total = d.n * d.oh * d.ow * d.c;
  for (int64_t o = k_first_index(); o < total; o += k_grid_stride()) {
    int64_t ch = o % d.c, r = o / d.c;
    int64_t b = r / (d.oh * d.ow), oy = (r / d.ow) % d.oh, ox = r % d.ow;
    int best = -2147483647 - 1;
    int64_t where = -1;
    for (int64_t i = 0; i < d.kh; i++) {
      int64_t y = oy * d.sh - d.ph + i;
      if (y < 0 || y >= d.h) continue;
      for (int64_t j = 0; j < d.kw; j++) {
        int64_t x = ox * d.sw - d.pw + j;
        if (x < 0 || x >= d.w) continue;
        int64_t at = ((b * d.h + y) * d.w + x) * d.c + ch;
        int v = src[at];
        if (v > best) {
          best = v;
          where = at;
        }
      }
    }
    dst[o] = (int8_t)best;
    argmax[o] = (int)where;
  }
}

/*
 * Checks the argmax of a max-pool backward pass: status[0] = the smallest o whose argmax lies outside
 * [0, n*h*w*c) (atomicMin; the host starts it at INT_MAX and raises the reference's exception);
 * status[1] = 1 if some argmax[o], although in range, is not a cell of window o in channel ch (then the
 * gather below would miss it and the host runs int8k_max_pool_backward_serial instead; argmax from maxPool
 * never does this).
 */
extern "C" __global__ void int8k_max_pool_backward_check(const int *__restrict__ argmax, K_WINDOW_ARGS, int *status) {
  const k_window d = K_WINDOW_MAKE;
  const int64_t total = d.n * d.oh * d.ow * d.c;
  const int64_t size = d.n * d.h * d.w * d.c;
  for (int64_t o = k_first_index(); o < total; o += k_grid_stride()) {
    int64_t at = argmax[o];
    if (at < 0 || at >= size) {
      atomicMin(status, (int)o);
      continue;
    }
    int64_t ch = o % d.c, r = o / d.c;
    int64_t b = r / (d.oh * d.ow), oy = (r / d.ow) % d.oh, ox = r % d.ow;
    int64_t ab, ay, ax, ach;
    k_nhwc(at, d, &ab, &ay, &ax, &ach);
    int64_t i = ay - (oy * d.sh - d.ph), j = ax - (ox * d.sw - d.pw);
    if (ab != b || ach != ch || i < 0 || i >= d.kh || j < 0 || j >= d.kw) atomicMax(status + 1, 1);
  }
}

/* grad_in[e] = sum, over the windows o covering e in ascending order with argmax[o] == e, of grad_out[o]
 * (fp32 adds from +0.0f): the reference's scatter in its order, valid when every argmax lies in its own
 * window (int8k_max_pool_backward_check). */
extern "C" __global__ void int8k_max_pool_backward_gather(const float *__restrict__ grad_out,
                                                    const int *__restrict__ argmax, K_WINDOW_ARGS,
                                                    float *__restrict__ grad_in) {
  const k_window d = K_WINDOW_MAKE;
  const int64_t total = d.n * d.h * d.w * d.c;
  for (int64_t e = k_first_index(); e < total; e += k_grid_stride()) {
    int64_t b, y, x, ch, oy0, oy1, ox0, ox1;
    k_nhwc(e, d, &b, &y, &x, &ch);
    k_covering(y, d.ph, d.kh, d.sh, d.oh, &oy0, &oy1);
    k_covering(x, d.pw, d.kw, d.sw, d.ow, &ox0, &ox1);
    float acc = 0.0f;
    for (int64_t oy = oy0; oy <= oy1; oy++) {
      for (int64_t ox = ox0; ox <= ox1; ox++) {
        int64_t o = ((b * d.oh + oy) * d.ow + ox) * d.c + ch;
        if (argmax[o] == e) acc = __fadd_rn(acc, grad_out[o]);
      }
    }
    grad_in[e] = acc;
  }
}

/* The reference loop itself, one thread: for o ascending, grad_in[argmax[o]] += grad_out[o]. grad_in must
 * be zeroed first. Only for argmax that point outside their window (never produced by maxPool). */
extern "C" __global__ void int8k_max_pool_backward_serial(const float *__restrict__ grad_out,
                                                    const int *__restrict__ argmax, long long pooled,
                                                    float *__restrict__ grad_in) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  for (int64_t o = 0; o < pooled; o++) {
    float *g = grad_in + argmax[o];
    *g = __fadd_rn(*g, grad_out[o]);
  }
}

/* dst = max(src, 0) on codes; mask = 1 where src > 0, else 0. */
extern "C" __global__ void int8k_relu(long long count, const int8_t *__restrict__ src, int8_t *__restrict__ dst,
                                         int8_t *__restrict__ mask) {
  for (int64_t e = k_first_index(); e < count; e += k_grid_stride()) {
    int8_t v = src[e];
    dst[e] = v > 0 ? v : (int8_t)0;
    mask[e] = v > 0 ? (int8_t)1 : (int8_t)0;
  }
}

/* dst = grad where mask != 0, else +0.0f. */
extern "C" __global__ void int8k_relu_backward(long long count, const float *__restrict__ grad,
                                                   const int8_t *__restrict__ mask, float *__restrict__ dst) {
  for (int64_t e = k_first_index(); e < count; e += k_grid_stride()) {
    dst[e] = mask[e] != 0 ? grad[e] : 0.0f;
  }
}

#endif /* INT8K_WINDOW_CUH */
