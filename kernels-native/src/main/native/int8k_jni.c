/*
 * int8k_jni.c - JNI glue for io.sparkint8.kernels.NativeKernels. Every buffer arrives as a direct
 * ByteBuffer; its address and capacity come from the JVM, and every size the call implies is checked
 * against that capacity here, before any kernel runs. Calls return an int8k status; the Java side turns a
 * non-zero status into an exception carrying int8k_last_error(). Nothing here throws or aborts.
 */
#include <jni.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "int8k.h"

static __thread char glue_error[512];
static __thread int glue_failed;

#define JFN(name) Java_io_sparkint8_kernels_jni_NativeKernels_##name

/* Address of a direct buffer that must hold at least `bytes` bytes; NULL (and a message) otherwise.
 * A null buffer is accepted (returns NULL without error) only when `optional` is set. */
static void *address(JNIEnv *env, jobject buf, int64_t bytes, const char *what, int optional) {
  if (glue_failed) return NULL;
  if (buf == NULL) {
    if (!optional) {
      snprintf(glue_error, sizeof glue_error, "buffer '%s' is null", what);
      glue_failed = 1;
    }
    return NULL;
  }
  void *p = (*env)->GetDirectBufferAddress(env, buf);
  jlong cap = (*env)->GetDirectBufferCapacity(env, buf);
  if (p == NULL || cap < 0) {
    snprintf(glue_error, sizeof glue_error, "buffer '%s' is not a direct buffer", what);
    glue_failed = 1;
    return NULL;
  }
  if (bytes < 0 || cap < bytes) {
    snprintf(glue_error, sizeof glue_error, "buffer '%s' holds %lld bytes, the call needs %lld", what,
             (long long)cap, (long long)bytes);
    glue_failed = 1;
    return NULL;
  }
  return p;
}

static void begin(void) {
  glue_failed = 0;
  glue_error[0] = '\0';
}

/* Bytes spanned by a rows x cols matrix with leading dimension ld, or -1 when the shape is invalid (the
 * kernel's own validation then reports it). */
static int64_t span(int64_t rows, int64_t cols, int64_t ld, int64_t elem) {
  if (rows < 1 || cols < 1 || ld < cols || rows > INT32_MAX || ld > INT32_MAX) return 0;
  return ((rows - 1) * ld + cols) * elem;
}

JNIEXPORT jstring JNICALL JFN(lastError)(JNIEnv *env, jclass cls) {
  return (*env)->NewStringUTF(env, glue_failed ? glue_error : int8k_last_error());
}

JNIEXPORT jint JNICALL JFN(selectedIsa)(JNIEnv *env, jclass cls) {
  begin();
  return int8k_selected_isa();
}

JNIEXPORT jint JNICALL JFN(cpuIsa)(JNIEnv *env, jclass cls) { return int8k_cpu_isa(); }

JNIEXPORT jstring JNICALL JFN(isaName)(JNIEnv *env, jclass cls, jint isa) {
  return (*env)->NewStringUTF(env, int8k_isa_name(isa));
}

JNIEXPORT jstring JNICALL JFN(gemmF32Route)(JNIEnv *env, jclass cls) {
  return (*env)->NewStringUTF(env, int8k_gemm_f32_route());
}

JNIEXPORT jlong JNICALL JFN(packedBSize)(JNIEnv *env, jclass cls, jint k, jint n) {
  begin();
  int64_t bytes;
  return int8k_packed_b_size(k, n, &bytes) == INT8K_OK ? bytes : -1;
}

JNIEXPORT jint JNICALL JFN(packB)(JNIEnv *env, jclass cls, jint trans_b, jint k, jint n, jobject b, jint ldb,
                                  jobject packed) {
  begin();
  int64_t need;
  if (int8k_packed_b_size(k, n, &need) != INT8K_OK) return INT8K_ERR_ARG;
  const int8_t *pb = address(env, b, trans_b ? span(n, k, ldb, 1) : span(k, n, ldb, 1), "b", 0);
  void *pp = address(env, packed, need, "packed", 0);
  if (glue_failed) return INT8K_ERR_ARG;
  return int8k_pack_b(trans_b, k, n, pb, ldb, pp, (*env)->GetDirectBufferCapacity(env, packed));
}

JNIEXPORT jint JNICALL JFN(gemmS8)(JNIEnv *env, jclass cls, jint trans_a, jint trans_b, jint m, jint n, jint k,
                                   jint lda, jint ldb, jint ldc, jint threads, jobject a, jobject b, jobject packed,
                                   jobject c, jboolean f32_out, jfloat alpha, jobject row_scale, jobject col_scale,
                                   jobject bias, jfloat beta) {
  begin();
  int8k_gemm_desc d = {trans_a, trans_b, m, n, k, lda, ldb, ldc, threads};
  const int8_t *pa = address(env, a, trans_a ? span(k, m, lda, 1) : span(m, k, lda, 1), "a", 0);
  const int8_t *pb = NULL;
  const void *pp = NULL;
  if (packed != NULL) {
    int64_t need;
    if (int8k_packed_b_size(k, n, &need) != INT8K_OK) return INT8K_ERR_ARG;
    pp = address(env, packed, need, "packed b", 0);
  } else {
    pb = address(env, b, trans_b ? span(n, k, ldb, 1) : span(k, n, ldb, 1), "b", 0);
  }
  void *pc = address(env, c, span(m, n, ldc, 4), "c", 0);
  if (!f32_out) {
    if (glue_failed) return INT8K_ERR_ARG;
    return int8k_gemm_s8s8s32(&d, pa, pb, pp, pc);
  }
  int8k_epilogue ep = {alpha, address(env, row_scale, (int64_t)m * 4, "rowScale", 1),
                       address(env, col_scale, (int64_t)n * 4, "colScale", 1),
                       address(env, bias, (int64_t)n * 4, "bias", 1), beta};
  if (glue_failed) return INT8K_ERR_ARG;
  return int8k_gemm_s8s8f32(&d, pa, pb, pp, &ep, pc);
}

JNIEXPORT jint JNICALL JFN(gemmF32)(JNIEnv *env, jclass cls, jint trans_a, jint trans_b, jint m, jint n, jint k,
                                    jint lda, jint ldb, jint ldc, jint threads, jfloat alpha, jobject a, jobject b,
                                    jfloat beta, jobject c) {
  begin();
  int8k_gemm_desc d = {trans_a, trans_b, m, n, k, lda, ldb, ldc, threads};
  const float *pa = address(env, a, trans_a ? span(k, m, lda, 4) : span(m, k, lda, 4), "a", 0);
  const float *pb = address(env, b, trans_b ? span(n, k, ldb, 4) : span(k, n, ldb, 4), "b", 0);
  float *pc = address(env, c, span(m, n, ldc, 4), "c", 0);
  if (glue_failed) return INT8K_ERR_ARG;
  return int8k_gemm_f32(&d, alpha, pa, pb, beta, pc);
}

static int quant_desc(int8k_quant_desc *d, jint rows, jint cols, jint bits, jint granularity, jint group,
                      jint rounding, jboolean pow2, jlong seed, jlong stream, int64_t *groups) {
  *d = (int8k_quant_desc){rows, cols, bits, granularity, group, rounding, pow2 ? 1 : 0, (uint64_t)seed,
                          (uint64_t)stream};
  return int8k_quant_groups(d, groups);
}

JNIEXPORT jint JNICALL JFN(quantize)(JNIEnv *env, jclass cls, jint rows, jint cols, jint bits, jint granularity,
                                     jint group, jint rounding, jboolean pow2, jlong seed, jlong stream, jobject src,
                                     jobject clip, jobject dst, jobject scales) {
  begin();
  int8k_quant_desc d;
  int64_t groups;
  int st = quant_desc(&d, rows, cols, bits, granularity, group, rounding, pow2, seed, stream, &groups);
  if (st) return st;
  int64_t count = (int64_t)rows * cols;
  const float *ps = address(env, src, count * 4, "src", 0);
  const float *pclip = address(env, clip, groups * 4, "clip", 1);
  int8_t *pd = address(env, dst, count, "dst", 0);
  float *pscale = address(env, scales, groups * 4, "scales", 0);
  if (glue_failed) return INT8K_ERR_ARG;
  return int8k_quantize(&d, ps, pclip, pd, pscale);
}

JNIEXPORT jint JNICALL JFN(dequantize)(JNIEnv *env, jclass cls, jint rows, jint cols, jint bits, jint granularity,
                                       jint group, jint rounding, jboolean pow2, jlong seed, jlong stream,
                                       jobject codes, jobject scales, jobject dst) {
  begin();
  int8k_quant_desc d;
  int64_t groups;
  int st = quant_desc(&d, rows, cols, bits, granularity, group, rounding, pow2, seed, stream, &groups);
  if (st) return st;
  int64_t count = (int64_t)rows * cols;
  const int8_t *pc = address(env, codes, count, "codes", 0);
  const float *ps = address(env, scales, groups * 4, "scales", 0);
  float *pd = address(env, dst, count * 4, "dst", 0);
  if (glue_failed) return INT8K_ERR_ARG;
  return int8k_dequantize(&d, pc, ps, pd);
}

JNIEXPORT jint JNICALL JFN(absmax)(JNIEnv *env, jclass cls, jint rows, jint cols, jobject src, jint axis,
                                   jobject out) {
  begin();
  int64_t outs = axis == INT8K_AXIS_ROW ? rows : axis == INT8K_AXIS_COLUMN ? cols : 1;
  const float *ps = address(env, src, (int64_t)rows * cols * 4, "src", 0);
  float *po = address(env, out, outs * 4, "out", 0);
  if (glue_failed) return INT8K_ERR_ARG;
  return int8k_absmax(rows, cols, ps, axis, po);
}

JNIEXPORT jint JNICALL JFN(channelFractionAboveStd)(JNIEnv *env, jclass cls, jint rows, jint cols, jobject src,
                                                    jobject out) {
  begin();
  const float *ps = address(env, src, (int64_t)rows * cols * 4, "src", 0);
  float *po = address(env, out, (int64_t)cols * 4, "out", 0);
  if (glue_failed) return INT8K_ERR_ARG;
  return int8k_channel_fraction_above_std(rows, cols, ps, po);
}

JNIEXPORT jint JNICALL JFN(clipCosineDeviation)(JNIEnv *env, jclass cls, jint count, jobject src, jint bits,
                                                jfloatArray cand, jdoubleArray out) {
  begin();
  const float *ps = address(env, src, (int64_t)count * 4, "src", 0);
  if (glue_failed) return INT8K_ERR_ARG;
  if (cand == NULL || out == NULL) {
    snprintf(glue_error, sizeof glue_error, "clip_cosine_deviation: null candidate or output array");
    glue_failed = 1;
    return INT8K_ERR_ARG;
  }
  jsize n = (*env)->GetArrayLength(env, cand);
  if (n < 1 || n > 64 || (*env)->GetArrayLength(env, out) < n) {
    snprintf(glue_error, sizeof glue_error, "clip_cosine_deviation: %d candidates (expected 1..64), output of %d",
             (int)n, (int)(*env)->GetArrayLength(env, out));
    glue_failed = 1;
    return INT8K_ERR_ARG;
  }
  float c[64];
  double o[64];
  (*env)->GetFloatArrayRegion(env, cand, 0, n, c);
  int st = int8k_clip_cosine_deviation(count, ps, bits, n, c, o);
  if (st == INT8K_OK) (*env)->SetDoubleArrayRegion(env, out, 0, n, o);
  return st;
}

enum { OP_IM2COL_S8, OP_IM2COL_F32, OP_COL2IM_F32, OP_COL2IM_S32, OP_MAXPOOL_S8, OP_MAXPOOL_BACKWARD_F32, OP_MAXPOOL_F32 };

JNIEXPORT jint JNICALL JFN(window)(JNIEnv *env, jclass cls, jint op, jint n, jint h, jint w, jint c, jint kh,
                                   jint kw, jint sh, jint sw, jint ph, jint pw, jobject src, jobject dst,
                                   jobject argmax) {
  begin();
  int8k_conv_desc d = {n, h, w, c, kh, kw, sh, sw, ph, pw};
  int64_t image = 0, rows = 0, pooled = 0, ccols = 0;
  /* sizes only when the descriptor can be evaluated; otherwise the kernel's validation reports it */
  if (n >= 1 && h >= 1 && w >= 1 && c >= 1 && kh >= 1 && kw >= 1 && sh >= 1 && sw >= 1 && ph >= 0 && pw >= 0 &&
      (int64_t)h + 2LL * ph >= kh && (int64_t)w + 2LL * pw >= kw) {
    int64_t oh = ((int64_t)h + 2LL * ph - kh) / sh + 1, ow = ((int64_t)w + 2LL * pw - kw) / sw + 1;
    image = (int64_t)n * h * w * c;
    rows = (int64_t)n * oh * ow;
    pooled = rows * c;
    ccols = (int64_t)kh * kw * c;
  }
  double cells = (double)rows * (double)ccols;
  int64_t col_elems = cells <= (double)INT32_MAX ? rows * ccols : -1;
  switch (op) {
    case OP_IM2COL_S8: {
      const int8_t *s = address(env, src, image, "src", 0);
      int8_t *o = address(env, dst, col_elems, "cols", 0);
      return glue_failed ? INT8K_ERR_ARG : int8k_im2col_s8(&d, s, o);
    }
    case OP_IM2COL_F32: {
      const float *s = address(env, src, image * 4, "src", 0);
      float *o = address(env, dst, col_elems < 0 ? -1 : col_elems * 4, "cols", 0);
      return glue_failed ? INT8K_ERR_ARG : int8k_im2col_f32(&d, s, o);
    }
    case OP_COL2IM_F32: {
      const float *s = address(env, src, col_elems < 0 ? -1 : col_elems * 4, "cols", 0);
      float *o = address(env, dst, image * 4, "dst", 0);
      return glue_failed ? INT8K_ERR_ARG : int8k_col2im_f32(&d, s, o);
    }
    case OP_COL2IM_S32: {
      const int32_t *s = address(env, src, col_elems < 0 ? -1 : col_elems * 4, "cols", 0);
      int32_t *o = address(env, dst, image * 4, "dst", 0);
      return glue_failed ? INT8K_ERR_ARG : int8k_col2im_s32(&d, s, o);
    }
    case OP_MAXPOOL_S8: {
      const int8_t *s = address(env, src, image, "src", 0);
      int8_t *o = address(env, dst, pooled, "dst", 0);
      int32_t *am = address(env, argmax, pooled * 4, "argmax", 0);
      return glue_failed ? INT8K_ERR_ARG : int8k_maxpool_s8(&d, s, o, am);
    }
    case OP_MAXPOOL_F32: {
      const float *s = address(env, src, image * 4, "src", 0);
      float *o = address(env, dst, pooled * 4, "dst", 0);
      int32_t *am = address(env, argmax, pooled * 4, "argmax", 0);
      return glue_failed ? INT8K_ERR_ARG : int8k_maxpool_f32(&d, s, o, am);
    }
    case OP_MAXPOOL_BACKWARD_F32: {
      const float *g = address(env, src, pooled * 4, "gradOut", 0);
      float *o = address(env, dst, image * 4, "gradIn", 0);
      const int32_t *am = address(env, argmax, pooled * 4, "argmax", 0);
      return glue_failed ? INT8K_ERR_ARG : int8k_maxpool_backward_f32(&d, g, am, o);
    }
    default:
      snprintf(glue_error, sizeof glue_error, "unknown window op %d", (int)op);
      glue_failed = 1;
      return INT8K_ERR_ARG;
  }
}

JNIEXPORT jint JNICALL JFN(relu)(JNIEnv *env, jclass cls, jlong count, jobject src, jobject dst, jobject mask) {
  begin();
  const int8_t *s = address(env, src, count, "src", 0);
  int8_t *d = address(env, dst, count, "dst", 0);
  uint8_t *m = address(env, mask, count, "mask", 0);
  return glue_failed ? INT8K_ERR_ARG : int8k_relu_s8(count, s, d, m);
}

JNIEXPORT jint JNICALL JFN(reluBackward)(JNIEnv *env, jclass cls, jlong count, jobject grad, jobject mask,
                                         jobject dst) {
  begin();
  const float *g = address(env, grad, count * 4, "grad", 0);
  const uint8_t *m = address(env, mask, count, "mask", 0);
  float *d = address(env, dst, count * 4, "dst", 0);
  return glue_failed ? INT8K_ERR_ARG : int8k_relu_backward_f32(count, g, m, d);
}

/* ---- batch normalization and fp32 ReLU --------------------------------------------------------------
 * Per-channel vectors travel as Java arrays: they are copied in and out (a few hundred elements), so no
 * critical region is held while the kernel runs. */

static int64_t matrix_bytes(jint rows, jint channels) {
  return rows < 1 || channels < 1 ? 0 : (int64_t)rows * channels * 4;
}

/* Room for n doubles per vector; n was checked >= 1 by the caller. */
static double *doubles(int64_t n, int vectors) {
  double *p = malloc((size_t)(n * vectors) * sizeof(double));
  if (p == NULL && !glue_failed) {
    snprintf(glue_error, sizeof glue_error, "out of memory for %d x %lld doubles", vectors, (long long)n);
    glue_failed = 1;
  }
  return p;
}

/* Copies Java array `a` (at least n elements) into dst; a shorter array is a glue error naming `what`. */
static void array_in(JNIEnv *env, jarray a, int64_t n, int is_double, void *dst, const char *what) {
  if (glue_failed) return;
  if (a == NULL || (*env)->GetArrayLength(env, a) < n) {
    snprintf(glue_error, sizeof glue_error, "array '%s' is null or shorter than %lld", what, (long long)n);
    glue_failed = 1;
    return;
  }
  if (dst == NULL) return;
  if (is_double) (*env)->GetDoubleArrayRegion(env, (jdoubleArray)a, 0, (jsize)n, (jdouble *)dst);
  else (*env)->GetFloatArrayRegion(env, (jfloatArray)a, 0, (jsize)n, (jfloat *)dst);
}

JNIEXPORT jint JNICALL JFN(bnStatistics)(JNIEnv *env, jclass cls, jint rows, jint channels, jobject x,
                                         jdoubleArray mean, jdoubleArray m2, jdoubleArray absDev) {
  begin();
  const float *xp = address(env, x, matrix_bytes(rows, channels), "x", 0);
  array_in(env, mean, channels, 1, NULL, "mean");
  array_in(env, m2, channels, 1, NULL, "m2");
  array_in(env, absDev, channels, 1, NULL, "absDev");
  if (glue_failed || channels < 1) return glue_failed ? INT8K_ERR_ARG : int8k_bn_statistics(rows, channels, xp, NULL, NULL, NULL);
  double *v = doubles(channels, 3);
  if (v == NULL) return INT8K_ERR_NOMEM;
  int status = int8k_bn_statistics(rows, channels, xp, v, v + channels, v + 2 * channels);
  if (status == INT8K_OK) {
    (*env)->SetDoubleArrayRegion(env, mean, 0, channels, v);
    (*env)->SetDoubleArrayRegion(env, m2, 0, channels, v + channels);
    (*env)->SetDoubleArrayRegion(env, absDev, 0, channels, v + 2 * channels);
  }
  free(v);
  return status;
}

JNIEXPORT jint JNICALL JFN(bnNormalize)(JNIEnv *env, jclass cls, jint rows, jint channels, jobject x,
                                        jfloatArray mean, jfloatArray invScale, jfloatArray gamma,
                                        jfloatArray beta, jobject xhat, jobject y) {
  begin();
  int64_t bytes = matrix_bytes(rows, channels);
  const float *xp = address(env, x, bytes, "x", 0);
  float *hp = address(env, xhat, bytes, "xhat", 1);
  float *yp = address(env, y, bytes, "y", 0);
  if (glue_failed || channels < 1) return glue_failed ? INT8K_ERR_ARG : int8k_bn_normalize(rows, channels, xp, NULL, NULL, NULL, NULL, hp, yp);
  float *v = malloc((size_t)channels * 4 * sizeof(float));
  if (v == NULL) return INT8K_ERR_NOMEM;
  array_in(env, mean, channels, 0, v, "mean");
  array_in(env, invScale, channels, 0, v + channels, "invScale");
  array_in(env, gamma, channels, 0, v + 2 * channels, "gamma");
  array_in(env, beta, channels, 0, v + 3 * channels, "beta");
  int status = glue_failed ? INT8K_ERR_ARG
                           : int8k_bn_normalize(rows, channels, xp, v, v + channels, v + 2 * channels,
                                                v + 3 * channels, hp, yp);
  free(v);
  return status;
}

JNIEXPORT jint JNICALL JFN(bnBackwardSums)(JNIEnv *env, jclass cls, jint rows, jint channels, jobject g,
                                           jobject xhat, jdoubleArray sumG, jdoubleArray sumGh) {
  begin();
  int64_t bytes = matrix_bytes(rows, channels);
  const float *gp = address(env, g, bytes, "gradOut", 0);
  const float *hp = address(env, xhat, bytes, "xhat", 0);
  array_in(env, sumG, channels, 1, NULL, "sumG");
  array_in(env, sumGh, channels, 1, NULL, "sumGh");
  if (glue_failed || channels < 1) return glue_failed ? INT8K_ERR_ARG : int8k_bn_backward_sums(rows, channels, gp, hp, NULL, NULL);
  double *v = doubles(channels, 2);
  if (v == NULL) return INT8K_ERR_NOMEM;
  int status = int8k_bn_backward_sums(rows, channels, gp, hp, v, v + channels);
  if (status == INT8K_OK) {
    (*env)->SetDoubleArrayRegion(env, sumG, 0, channels, v);
    (*env)->SetDoubleArrayRegion(env, sumGh, 0, channels, v + channels);
  }
  free(v);
  return status;
}

JNIEXPORT jint JNICALL JFN(bnBackwardInput)(JNIEnv *env, jclass cls, jint rows, jint channels, jobject g,
                                            jobject xhat, jdoubleArray a, jdoubleArray b, jdoubleArray k,
                                            jobject gradIn) {
  begin();
  int64_t bytes = matrix_bytes(rows, channels);
  const float *gp = address(env, g, bytes, "gradOut", 0);
  const float *hp = address(env, xhat, bytes, "xhat", 0);
  float *op = address(env, gradIn, bytes, "gradIn", 0);
  if (glue_failed || channels < 1) return glue_failed ? INT8K_ERR_ARG : int8k_bn_backward_input(rows, channels, gp, hp, NULL, NULL, NULL, op);
  double *v = doubles(channels, 3);
  if (v == NULL) return INT8K_ERR_NOMEM;
  array_in(env, a, channels, 1, v, "a");
  array_in(env, b, channels, 1, v + channels, "b");
  array_in(env, k, channels, 1, v + 2 * channels, "k");
  int status = glue_failed ? INT8K_ERR_ARG
                           : int8k_bn_backward_input(rows, channels, gp, hp, v, v + channels,
                                                     v + 2 * channels, op);
  free(v);
  return status;
}

JNIEXPORT jint JNICALL JFN(reluF32)(JNIEnv *env, jclass cls, jlong count, jobject src, jobject dst) {
  begin();
  const float *s = address(env, src, count * 4, "src", 0);
  float *d = address(env, dst, count * 4, "dst", 0);
  return glue_failed ? INT8K_ERR_ARG : int8k_relu_f32(count, s, d);
}

JNIEXPORT jint JNICALL JFN(reluBackwardByOutputF32)(JNIEnv *env, jclass cls, jlong count, jobject grad,
                                                    jobject y, jobject dst) {
  begin();
  const float *g = address(env, grad, count * 4, "grad", 0);
  const float *yp = address(env, y, count * 4, "y", 0);
  float *d = address(env, dst, count * 4, "dst", 0);
  return glue_failed ? INT8K_ERR_ARG : int8k_relu_backward_by_output_f32(count, g, yp, d);
}

/* ---- fp32 matrix glue: the per-column vector travels as a copied Java array ------------------------- */

JNIEXPORT jint JNICALL JFN(columnSumsF32)(JNIEnv *env, jclass cls, jint rows, jint cols, jobject m,
                                          jfloatArray out) {
  begin();
  const float *mp = address(env, m, matrix_bytes(rows, cols), "m", 0);
  array_in(env, out, cols, 0, NULL, "out");
  if (glue_failed || cols < 1) return glue_failed ? INT8K_ERR_ARG : int8k_column_sums_f32(rows, cols, mp, NULL);
  float *v = malloc((size_t)cols * sizeof(float));
  if (v == NULL) return INT8K_ERR_NOMEM;
  int status = int8k_column_sums_f32(rows, cols, mp, v);
  if (status == INT8K_OK) (*env)->SetFloatArrayRegion(env, out, 0, cols, v);
  free(v);
  return status;
}

JNIEXPORT jint JNICALL JFN(addRowVectorF32)(JNIEnv *env, jclass cls, jint rows, jint cols, jobject m,
                                            jfloatArray vec) {
  begin();
  float *mp = address(env, m, matrix_bytes(rows, cols), "m", 0);
  if (glue_failed || cols < 1) return glue_failed ? INT8K_ERR_ARG : int8k_add_row_vector_f32(rows, cols, mp, NULL);
  float *v = malloc((size_t)cols * sizeof(float));
  if (v == NULL) return INT8K_ERR_NOMEM;
  array_in(env, vec, cols, 0, v, "v");
  int status = glue_failed ? INT8K_ERR_ARG : int8k_add_row_vector_f32(rows, cols, mp, v);
  free(v);
  return status;
}

JNIEXPORT jint JNICALL JFN(transposeF32)(JNIEnv *env, jclass cls, jint rows, jint cols, jobject src,
                                         jobject dst) {
  begin();
  int64_t bytes = matrix_bytes(rows, cols);
  const float *s = address(env, src, bytes, "src", 0);
  float *d = address(env, dst, bytes, "dst", 0);
  return glue_failed ? INT8K_ERR_ARG : int8k_transpose_f32(rows, cols, s, d);
}
