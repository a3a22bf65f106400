/*
 * int8k_jni.c - JNI glue for the natives of io.sparkint8.kernels.jni.NativeBackend. Every buffer arrives
 * as a direct ByteBuffer; its address and capacity come from the JVM, and every size the call implies is
 * checked against that capacity here, before any kernel runs. Per-channel and per-column vectors arrive
 * as Java arrays and are copied in and out (a few hundred elements), so no critical region is held while
 * a kernel runs. Calls return an int8k status; the Java side turns a non-zero status into an exception
 * carrying int8k_last_error(). Nothing here throws or aborts. The entries of the ops of int8k_ops.def
 * are generated at the end of this file; the others (GEMM, packing, quantization, DSGC) are written out.
 */
#include <jni.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "int8k.h"

static __thread char glue_error[512];
static __thread int glue_failed;
static __thread int glue_status; /* what a failed glue returns: INT8K_ERR_ARG or INT8K_ERR_NOMEM */

#define JFN(name) Java_io_sparkint8_kernels_jni_NativeBackend_##name

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
  glue_status = INT8K_ERR_ARG;
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

JNIEXPORT jint JNICALL JFN(nativeCpuIsa)(JNIEnv *env, jclass cls) { return int8k_cpu_isa(); }

JNIEXPORT jlong JNICALL JFN(scratchPeakBytes)(JNIEnv *env, jclass cls) { return int8k_scratch_peak_bytes(); }

JNIEXPORT void JNICALL JFN(scratchResetPeak)(JNIEnv *env, jclass cls) { int8k_scratch_reset_peak(); }

JNIEXPORT jstring JNICALL JFN(isaName)(JNIEnv *env, jclass cls, jint isa) {
  return (*env)->NewStringUTF(env, int8k_isa_name(isa));
}

JNIEXPORT jstring JNICALL JFN(nativeGemmF32Route)(JNIEnv *env, jclass cls) {
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

/* The descriptor and operands of an s8 GEMM. */
typedef struct {
  int8k_gemm_desc d;
  const int8_t *a, *b;
  const void *packed;
  void *c;
} gemm_s8_glue;

/* Fills g; false (with the glue error set, or the library's for a bad packed shape) when an operand is
 * missing or too small. B is b, or when that is null `packed`. */
static int gemm_s8_operands(JNIEnv *env, jint trans_a, jint trans_b, jint m, jint n, jint k, jint lda, jint ldb,
                            jint ldc, jint threads, jobject a, jobject b, jobject packed, jobject c,
                            gemm_s8_glue *g) {
  begin();
  *g = (gemm_s8_glue){{trans_a, trans_b, m, n, k, lda, ldb, ldc, threads}, NULL, NULL, NULL, NULL};
  g->a = address(env, a, trans_a ? span(k, m, lda, 1) : span(m, k, lda, 1), "a", 0);
  if (packed != NULL) {
    int64_t need;
    if (int8k_packed_b_size(k, n, &need) != INT8K_OK) return 0;
    g->packed = address(env, packed, need, "packed b", 0);
  } else {
    g->b = address(env, b, trans_b ? span(n, k, ldb, 1) : span(k, n, ldb, 1), "b", 0);
  }
  g->c = address(env, c, span(m, n, ldc, 4), "c", 0);
  return !glue_failed;
}

JNIEXPORT jint JNICALL JFN(gemmS8S8S32)(JNIEnv *env, jclass cls, jint trans_a, jint trans_b, jint m, jint n,
                                        jint k, jint lda, jint ldb, jint ldc, jint threads, jobject a, jobject b,
                                        jobject packed, jobject c) {
  gemm_s8_glue g;
  if (!gemm_s8_operands(env, trans_a, trans_b, m, n, k, lda, ldb, ldc, threads, a, b, packed, c, &g))
    return INT8K_ERR_ARG;
  return int8k_gemm_s8s8s32(&g.d, g.a, g.b, g.packed, g.c);
}

JNIEXPORT jint JNICALL JFN(gemmS8S8F32)(JNIEnv *env, jclass cls, jint trans_a, jint trans_b, jint m, jint n,
                                        jint k, jint lda, jint ldb, jint ldc, jint threads, jobject a, jobject b,
                                        jobject packed, jobject c, jfloat alpha, jobject row_scale,
                                        jobject col_scale, jobject bias, jfloat beta) {
  gemm_s8_glue g;
  if (!gemm_s8_operands(env, trans_a, trans_b, m, n, k, lda, ldb, ldc, threads, a, b, packed, c, &g))
    return INT8K_ERR_ARG;
  int8k_epilogue ep = {alpha, address(env, row_scale, (int64_t)m * 4, "rowScale", 1),
                       address(env, col_scale, (int64_t)n * 4, "colScale", 1),
                       address(env, bias, (int64_t)n * 4, "bias", 1), beta};
  if (glue_failed) return INT8K_ERR_ARG;
  return int8k_gemm_s8s8f32(&g.d, g.a, g.b, g.packed, &ep, g.c);
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

/* quantizeTransposed and quantizeTransposedBoth: the same arguments, the latter with the codes' second
 * layout dst_t too (NULL here for the former). */
static jint quantize_transposed(JNIEnv *env, jint rows, jint cols, jint bits, jint granularity, jint rounding,
                                jboolean pow2, jlong seed, jlong stream, jobject src_t, jobject clip, jobject dst,
                                jobject dst_t, int both, jobject scales) {
  begin();
  int8k_quant_desc d;
  int64_t groups;
  int st = quant_desc(&d, rows, cols, bits, granularity, 0, rounding, pow2, seed, stream, &groups);
  if (st) return st;
  int64_t count = (int64_t)rows * cols;
  const float *ps = address(env, src_t, count * 4, "srcT", 0);
  const float *pclip = address(env, clip, groups * 4, "clip", 0);
  int8_t *pd = address(env, dst, count, "dst", 0);
  int8_t *pdt = both ? address(env, dst_t, count, "dstT", 0) : NULL;
  float *pscale = address(env, scales, groups * 4, "scales", 0);
  if (glue_failed) return INT8K_ERR_ARG;
  return both ? int8k_quantize_transposed_both(&d, ps, pclip, pd, pdt, pscale)
              : int8k_quantize_transposed(&d, ps, pclip, pd, pscale);
}

JNIEXPORT jint JNICALL JFN(quantizeTransposed)(JNIEnv *env, jclass cls, jint rows, jint cols, jint bits,
                                               jint granularity, jint rounding, jboolean pow2, jlong seed,
                                               jlong stream, jobject src_t, jobject clip, jobject dst,
                                               jobject scales) {
  return quantize_transposed(env, rows, cols, bits, granularity, rounding, pow2, seed, stream, src_t, clip, dst, NULL,
                             0, scales);
}

JNIEXPORT jint JNICALL JFN(quantizeTransposedBoth)(JNIEnv *env, jclass cls, jint rows, jint cols, jint bits,
                                                   jint granularity, jint rounding, jboolean pow2, jlong seed,
                                                   jlong stream, jobject src_t, jobject clip, jobject dst,
                                                   jobject dst_t, jobject scales) {
  return quantize_transposed(env, rows, cols, bits, granularity, rounding, pow2, seed, stream, src_t, clip, dst, dst_t,
                             1, scales);
}

JNIEXPORT jint JNICALL JFN(shiftQuantize)(JNIEnv *env, jclass cls, jint rows, jint cols, jint bits, jint group,
                                          jint rounding, jlong seed, jlong stream, jobject src, jobject row_clip,
                                          jobject dst, jobject exponents) {
  begin();
  int8k_quant_desc d;
  int64_t groups;
  int st = quant_desc(&d, rows, cols, bits, INT8K_PER_GROUP, group, rounding, 1, seed, stream, &groups);
  if (st) return st;
  int64_t count = (int64_t)rows * cols;
  const float *ps = address(env, src, count * 4, "src", 0);
  const float *pclip = address(env, row_clip, (int64_t)rows * 4, "rowClip", 1);
  int8_t *pd = address(env, dst, count, "dst", 0);
  int32_t *pe = address(env, exponents, groups * 4, "exponents", 0);
  if (glue_failed) return INT8K_ERR_ARG;
  return int8k_shift_quantize(&d, ps, pclip, pd, pe);
}

JNIEXPORT jint JNICALL JFN(gemmShiftS8S8F32)(JNIEnv *env, jclass cls, jint trans_a, jint trans_b, jint m, jint n,
                                             jint k, jint lda, jint ldb, jint ldc, jint threads, jobject a,
                                             jobject b, jint group, jobject exponents, jfloat alpha, jobject c) {
  begin();
  int8k_gemm_desc d = {trans_a, trans_b, m, n, k, lda, ldb, ldc, threads};
  if (group < 1) {
    snprintf(glue_error, sizeof glue_error, "gemm_shift: group=%d, expected >= 1", group);
    glue_failed = 1;
    return INT8K_ERR_ARG;
  }
  int64_t per_row = ((int64_t)k + group - 1) / group;
  const int8_t *pa = address(env, a, trans_a ? span(k, m, lda, 1) : span(m, k, lda, 1), "a", 0);
  const int8_t *pb = address(env, b, trans_b ? span(n, k, ldb, 1) : span(k, n, ldb, 1), "b", 0);
  const int32_t *pe = address(env, exponents, (int64_t)m * per_row * 4, "exponents", 0);
  float *pc = address(env, c, span(m, n, ldc, 4), "c", 0);
  if (glue_failed) return INT8K_ERR_ARG;
  return int8k_gemm_s8s8f32_shift(&d, pa, pb, group, pe, alpha, pc);
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

JNIEXPORT jint JNICALL JFN(clipCosineSums)(JNIEnv *env, jclass cls, jint count, jobject src, jint bits,
                                           jfloatArray cand, jdoubleArray out) {
  begin();
  const float *ps = address(env, src, (int64_t)count * 4, "src", 0);
  if (glue_failed) return INT8K_ERR_ARG;
  if (cand == NULL || out == NULL) {
    snprintf(glue_error, sizeof glue_error, "clip_cosine_sums: null candidate or output array");
    glue_failed = 1;
    return INT8K_ERR_ARG;
  }
  jsize n = (*env)->GetArrayLength(env, cand);
  if (n < 1 || n > 64 || (*env)->GetArrayLength(env, out) < 2 * n + 1) {
    snprintf(glue_error, sizeof glue_error, "clip_cosine_sums: %d candidates (expected 1..64), output of %d",
             (int)n, (int)(*env)->GetArrayLength(env, out));
    glue_failed = 1;
    return INT8K_ERR_ARG;
  }
  float c[64];
  double o[2 * 64 + 1];
  (*env)->GetFloatArrayRegion(env, cand, 0, n, c);
  int st = int8k_clip_cosine_sums(count, ps, bits, n, c, o);
  if (st == INT8K_OK) (*env)->SetDoubleArrayRegion(env, out, 0, 2 * n + 1, o);
  return st;
}

/* ------------------------------------------------------------------------------------------------ */
/* the ops of int8k_ops.def                                                                           */

/* Copies of Java arrays: at least n elements, copied in when `copy_in` (NULL without error when n <= 0:
 * the shape is invalid and the op reports it). Copied back on success, freed after the call. */
#define ARRAY_COPIES(T, J)                                                                                 \
  static T *array_in_##T(JNIEnv *env, j##T##Array a, int64_t n, const char *what, int copy_in) {         \
    if (glue_failed || n <= 0) return NULL;                                                                \
    if (a == NULL || (*env)->GetArrayLength(env, a) < n) {                                                 \
      snprintf(glue_error, sizeof glue_error, "array '%s' is null or shorter than %lld", what, (long long)n); \
      glue_failed = 1;                                                                                     \
      return NULL;                                                                                         \
    }                                                                                                      \
    T *p = malloc((size_t)n * sizeof(T));                                                                  \
    if (p == NULL) {                                                                                       \
      snprintf(glue_error, sizeof glue_error, "out of memory for array '%s' of %lld elements", what,       \
               (long long)n);                                                                              \
      glue_failed = 1;                                                                                     \
      glue_status = INT8K_ERR_NOMEM;                                                                       \
      return NULL;                                                                                         \
    }                                                                                                      \
    if (copy_in) (*env)->Get##J##ArrayRegion(env, a, 0, (jsize)n, (j##T *)p);                            \
    return p;                                                                                              \
  }                                                                                                        \
  static void array_out_##T(JNIEnv *env, j##T##Array a, const T *p, int64_t n) {                          \
    if (p != NULL && n > 0) (*env)->Set##J##ArrayRegion(env, a, 0, (jsize)n, (const j##T *)p);           \
  }
ARRAY_COPIES(float, Float)
ARRAY_COPIES(double, Double)

/* A window descriptor travels as an int[10] (n, h, w, c, kh, kw, strideH, strideW, padH, padW). Returns
 * whether its sizes could be evaluated (else they stay 0 and the op reports the descriptor). */
static int window_of(JNIEnv *env, jintArray window, int8k_conv_desc *d, int64_t *image, int64_t *cells,
                     int64_t *pooled) {
  *image = *cells = *pooled = 0;
  memset(d, 0, sizeof *d);
  if (window == NULL || (*env)->GetArrayLength(env, window) < 10) {
    snprintf(glue_error, sizeof glue_error, "window descriptor is null or shorter than 10");
    glue_failed = 1;
    return 0;
  }
  jint v[10];
  (*env)->GetIntArrayRegion(env, window, 0, 10, v);
  *d = (int8k_conv_desc){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]};
  if (d->n < 1 || d->h < 1 || d->w < 1 || d->c < 1 || d->kh < 1 || d->kw < 1 || d->stride_h < 1 || d->stride_w < 1 ||
      d->pad_h < 0 || d->pad_w < 0 || d->h + 2 * d->pad_h < d->kh || d->w + 2 * d->pad_w < d->kw)
    return 0;
  int64_t oh = (d->h + 2 * d->pad_h - d->kh) / d->stride_h + 1, ow = (d->w + 2 * d->pad_w - d->kw) / d->stride_w + 1;
  int64_t rows = d->n * oh * ow, ccols = d->kh * d->kw * d->c;
  if ((double)rows * (double)ccols > (double)INT32_MAX) return 0;
  *image = d->n * d->h * d->w * d->c;
  *cells = rows * ccols;
  *pooled = rows * d->c;
  return 1;
}

/* The shapes: Java parameters (sizes as long, so that products of them cannot overflow), whether they
 * can be evaluated, and how they are passed on. */
#define I8K_JSHAPE_PARAMS_COUNT , jlong count
#define I8K_JSHAPE_PARAMS_MATRIX , jlong rows, jlong cols
#define I8K_JSHAPE_PARAMS_CHANNELS , jlong rows, jlong c
#define I8K_JSHAPE_PARAMS_WINDOW , jintArray window
#define I8K_JSHAPE_PARAMS_POOL , jintArray window
#define I8K_JSHAPE_EVAL_COUNT int ok = count >= 1 && count <= INT32_MAX;
#define I8K_JSHAPE_EVAL_MATRIX \
  int ok = rows >= 1 && cols >= 1 && rows <= INT32_MAX && cols <= INT32_MAX && rows * cols <= INT32_MAX;
#define I8K_JSHAPE_EVAL_CHANNELS \
  int ok = rows >= 1 && c >= 1 && rows <= INT32_MAX && c <= INT32_MAX && rows * c <= INT32_MAX;
#define I8K_JSHAPE_EVAL_WINDOW                                                                           \
  int8k_conv_desc desc;                                                                                  \
  int64_t image, cells, pooled;                                                                          \
  int ok = window_of(env, window, &desc, &image, &cells, &pooled);                                       \
  const int8k_conv_desc *d = &desc; /* for sizes written as d->c */                                      \
  int64_t patch = ok ? desc.kh * desc.kw * desc.c : 0, outputs = ok ? cells / patch : 0;                 \
  (void)image, (void)cells, (void)pooled, (void)d, (void)patch, (void)outputs;
#define I8K_JSHAPE_EVAL_POOL I8K_JSHAPE_EVAL_WINDOW
#define I8K_JSHAPE_PASS_COUNT count
#define I8K_JSHAPE_PASS_MATRIX rows, cols
#define I8K_JSHAPE_PASS_CHANNELS rows, c
#define I8K_JSHAPE_PASS_WINDOW &desc
#define I8K_JSHAPE_PASS_POOL &desc

#define I8K_JTYPE_int jint
#define I8K_JTYPE_float jfloat
#define I8K_JARRAY_float jfloatArray
#define I8K_JARRAY_double jdoubleArray

/* I8K_JPARAM: the Java parameter of each argument */
#define I8K_JPARAM_IN(T, name, elements) , jobject name
#define I8K_JPARAM_OUT(T, name, elements) , jobject name
#define I8K_JPARAM_INOUT(T, name, elements) , jobject name
#define I8K_JPARAM_OPT_OUT(T, name, elements) , jobject name
#define I8K_JPARAM_OPT_IN(T, name, elements) , jobject name
#define I8K_JPARAM_IN_ARRAY(T, name, length) , I8K_JARRAY_##T name
#define I8K_JPARAM_OUT_ARRAY(T, name, length) , I8K_JARRAY_##T name
#define I8K_JPARAM_VALUE(T, name) , I8K_JTYPE_##T name
#define I8K_JPARAM_REQUIRE(...)
#define I8K_JPARAM_VALIDATE(...)

/* I8K_JFETCH: the native pointer p_<name> of each buffer (capacity checked) and array (copied) */
#define I8K_JBUFFER(T, name, elements, optional) \
  T *p_##name = address(env, name, ok ? (int64_t)(elements) * (int64_t)sizeof(T) : 0, #name, optional);
#define I8K_JFETCH_IN(T, name, elements) I8K_JBUFFER(T, name, elements, 0)
#define I8K_JFETCH_OUT(T, name, elements) I8K_JBUFFER(T, name, elements, 0)
#define I8K_JFETCH_INOUT(T, name, elements) I8K_JBUFFER(T, name, elements, 0)
#define I8K_JFETCH_OPT_OUT(T, name, elements) I8K_JBUFFER(T, name, elements, 1)
#define I8K_JFETCH_OPT_IN(T, name, elements) I8K_JBUFFER(T, name, elements, 1)
#define I8K_JFETCH_IN_ARRAY(T, name, length) T *p_##name = array_in_##T(env, name, ok ? (length) : 0, #name, 1);
#define I8K_JFETCH_OUT_ARRAY(T, name, length) T *p_##name = array_in_##T(env, name, ok ? (length) : 0, #name, 0);
#define I8K_JFETCH_VALUE(T, name)
#define I8K_JFETCH_REQUIRE(...)
#define I8K_JFETCH_VALIDATE(...)

/* I8K_JPASS: the argument of the int8k call */
#define I8K_JPASS_IN(T, name, elements) , p_##name
#define I8K_JPASS_OUT(T, name, elements) , p_##name
#define I8K_JPASS_INOUT(T, name, elements) , p_##name
#define I8K_JPASS_OPT_OUT(T, name, elements) , p_##name
#define I8K_JPASS_OPT_IN(T, name, elements) , p_##name
#define I8K_JPASS_IN_ARRAY(T, name, length) , p_##name
#define I8K_JPASS_OUT_ARRAY(T, name, length) , p_##name
#define I8K_JPASS_VALUE(T, name) , name
#define I8K_JPASS_REQUIRE(...)
#define I8K_JPASS_VALIDATE(...)

/* I8K_JSTORE: output arrays copied back (on success) */
#define I8K_JSTORE_IN(T, name, elements)
#define I8K_JSTORE_OUT(T, name, elements)
#define I8K_JSTORE_INOUT(T, name, elements)
#define I8K_JSTORE_OPT_OUT(T, name, elements)
#define I8K_JSTORE_OPT_IN(T, name, elements)
#define I8K_JSTORE_IN_ARRAY(T, name, length)
#define I8K_JSTORE_OUT_ARRAY(T, name, length) array_out_##T(env, name, p_##name, ok ? (length) : 0);
#define I8K_JSTORE_VALUE(T, name)
#define I8K_JSTORE_REQUIRE(...)
#define I8K_JSTORE_VALIDATE(...)

/* I8K_JFREE: the array copies freed */
#define I8K_JFREE_IN(T, name, elements)
#define I8K_JFREE_OUT(T, name, elements)
#define I8K_JFREE_INOUT(T, name, elements)
#define I8K_JFREE_OPT_OUT(T, name, elements)
#define I8K_JFREE_OPT_IN(T, name, elements)
#define I8K_JFREE_IN_ARRAY(T, name, length) free(p_##name);
#define I8K_JFREE_OUT_ARRAY(T, name, length) free(p_##name);
#define I8K_JFREE_VALUE(T, name)
#define I8K_JFREE_REQUIRE(...)
#define I8K_JFREE_VALIDATE(...)

#define INT8K_OP(name, java, shape, ...)                                                                   \
  JNIEXPORT jint JNICALL JFN(java)(JNIEnv * env, jclass cls I8K_JSHAPE_PARAMS_##shape                     \
                                       I8K_EACH(I8K_JPARAM, __VA_ARGS__)) {                               \
    begin();                                                                                               \
    I8K_JSHAPE_EVAL_##shape                                                                                \
    I8K_EACH(I8K_JFETCH, __VA_ARGS__)                                                                      \
    int status = glue_failed ? glue_status                                                                 \
                             : int8k_##name(I8K_JSHAPE_PASS_##shape I8K_EACH(I8K_JPASS, __VA_ARGS__));  \
    if (status == INT8K_OK) {                                                                              \
      I8K_EACH(I8K_JSTORE, __VA_ARGS__)                                                                    \
    }                                                                                                      \
    I8K_EACH(I8K_JFREE, __VA_ARGS__)                                                                       \
    return status;                                                                                         \
  }
#include "int8k_ops.def"
