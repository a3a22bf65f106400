/*
 * sgemm_avx512vnni.c - the fp32 GEMM core (sgemm.h) with AVX-512F FMAs, for the AVX-512 VNNI path.
 *
 * Register tile: SG_MR = 14 rows x SG_NR = 32 columns, 28 zmm accumulators + 2 B vectors (the A values are
 * broadcast from memory). Each accumulator lane is one output C[i][j] and receives its fma steps in p
 * order, so the result is the chain of sgemm.h whatever the tile. Row tails get their own kernels (one
 * per mr, no wasted rows); column tails use masked loads and stores (the packed B is zero there).
 */
#include <immintrin.h>
#include <stdint.h>

#define SG_MR 14
#define SG_NR 32
#ifndef SG_KC
#define SG_KC 256
#endif
#ifndef SG_NC
#define SG_NC 512
#endif
#define SG_ENTRY int8k_sgemm_avx512vnni

/* The mr x 32 tile over kc steps; A[r][p] at a[r * ars + p * aks] (constants in each instantiation);
 * step p < npf prefetches pf[p] (see sgemm_blocked.h). */
static inline __attribute__((always_inline)) void sg_tile(const int mr, int64_t kc, const float *a, int64_t ars,
                                                          int64_t aks, const float *b, float *c, int64_t ldc,
                                                          int64_t nr, int resume, const char *const *pf,
                                                          int64_t npf) {
  __m512 c0[SG_MR], c1[SG_MR];
  const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);
  const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1u) : 0;
  if (resume) {
#pragma GCC unroll 16
    for (int r = 0; r < mr; r++) {
      c0[r] = _mm512_maskz_loadu_ps(m0, c + r * ldc);
      c1[r] = _mm512_maskz_loadu_ps(m1, c + r * ldc + 16);
    }
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < mr; r++) {
      c0[r] = _mm512_setzero_ps();
      c1[r] = _mm512_setzero_ps();
    }
  }
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_loadu_ps(b + p * SG_NR), b1 = _mm512_loadu_ps(b + p * SG_NR + 16);
    if (p < npf) _mm_prefetch(pf[p], _MM_HINT_T1);
#pragma GCC unroll 16
    for (int r = 0; r < mr; r++) {
      const __m512 av = _mm512_set1_ps(a[r * ars + p * aks]);
      c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < mr; r++) {
    _mm512_mask_storeu_ps(c + r * ldc, m0, c0[r]);
    _mm512_mask_storeu_ps(c + r * ldc + 16, m1, c1[r]);
  }
}

/*
 * The full 14-row tile in assembly: gcc keeps the 28 accumulators and both B vectors in registers but
 * loads each A value with a separate broadcast; the FMAs with an embedded {1to16} broadcast of A reach
 * the FMA peak (measured 117.5 of 117 nominal GFLOPS on Zen 4, against 114 for the compiled loop).
 * The arithmetic is the same vfmadd231ps per (row, vector), in the same p order.
 */
#define SG_ROW(addr, x0, x1)                                    \
  "vfmadd231ps " addr "%{1to16%}, %%zmm28, %%" x0 "\n\t"        \
  "vfmadd231ps " addr "%{1to16%}, %%zmm29, %%" x1 "\n\t"
#define SG_ZERO2(x0, x1) "vpxord %%" x0 ", %%" x0 ", %%" x0 "\n\t" "vpxord %%" x1 ", %%" x1 ", %%" x1 "\n\t"
#define SG_ALL_ROWS(R)                                                                                       \
  R(0, "zmm0", "zmm1") R(1, "zmm2", "zmm3") R(2, "zmm4", "zmm5") R(3, "zmm6", "zmm7") R(4, "zmm8", "zmm9")      \
  R(5, "zmm10", "zmm11") R(6, "zmm12", "zmm13") R(7, "zmm14", "zmm15") R(8, "zmm16", "zmm17")                  \
  R(9, "zmm18", "zmm19") R(10, "zmm20", "zmm21") R(11, "zmm22", "zmm23") R(12, "zmm24", "zmm25")               \
  R(13, "zmm26", "zmm27")
#define SG_CLOBBERS                                                                                          \
  "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8", "zmm9", "zmm10", "zmm11", "zmm12",  \
      "zmm13", "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20", "zmm21", "zmm22", "zmm23",       \
      "zmm24", "zmm25", "zmm26", "zmm27", "zmm28", "zmm29", "memory", "cc"

/* The tile lives in t (14 x 32 floats, row stride 32) before and after: acc starts from it when resume,
 * else from 0, and the result is stored there. kc >= 1. One asm statement per variant, so that no
 * register is assumed to survive between statements. */
#define SG_LOAD_ROW(r, x0, x1) "vmovups " #r "*128(%[t]), %%" x0 "\n\t" "vmovups " #r "*128+64(%[t]), %%" x1 "\n\t"
#define SG_STORE_ROW(r, x0, x1) "vmovups %%" x0 ", " #r "*128(%[t])\n\t" "vmovups %%" x1 ", " #r "*128+64(%[t])\n\t"
#define SG_ZERO_ROW(r, x0, x1) SG_ZERO2(x0, x1)
#define SG_PACKED_ROW(r, x0, x1) SG_ROW(#r "*4(%[a])", x0, x1)
#define SG_ENTER                        \
  "test %[resume], %[resume]\n\t"       \
  "jz 2f\n\t"                           \
  SG_ALL_ROWS(SG_LOAD_ROW)              \
  "jmp 3f\n"                            \
  "2:\n\t"                              \
  SG_ALL_ROWS(SG_ZERO_ROW)              \
  "3:\n\t"

static void sg_asm_packed_14(int64_t kc, const float *a, const float *b, float *t, int64_t resume,
                             const char *const *pf, int64_t npf) {
  __asm__ volatile(
      SG_ENTER
      ".p2align 5\n"
      "1:\n\t"
      "vmovups (%[b]), %%zmm28\n\t"
      "vmovups 64(%[b]), %%zmm29\n\t"
      SG_ALL_ROWS(SG_PACKED_ROW)
      "test %[npf], %[npf]\n\t" /* one line of the prefetch list per step (resume is free by now) */
      "jz 4f\n\t"
      "mov (%[pf]), %[resume]\n\t"
      "prefetcht1 (%[resume])\n\t"
      "add $8, %[pf]\n\t"
      "dec %[npf]\n"
      "4:\n\t"
      "add $56, %[a]\n\t"
      "sub $-128, %[b]\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      SG_ALL_ROWS(SG_STORE_ROW)
      : [a] "+r"(a), [b] "+r"(b), [n] "+r"(kc), [resume] "+r"(resume), [pf] "+r"(pf), [npf] "+r"(npf)
      : [t] "r"(t)
      : SG_CLOBBERS);
}

/* A in place, row r at a + r * lda: the 14 row offsets are base + index * scale with index registers
 * l = 4 lda, l3, l5, l7, l9, l11, l13 (= 3, 5, ... 13 times l). */
#define SG_IN_PLACE_ADDR_0 "(%[a])"
#define SG_IN_PLACE_ADDR_1 "(%[a],%[l],1)"
#define SG_IN_PLACE_ADDR_2 "(%[a],%[l],2)"
#define SG_IN_PLACE_ADDR_3 "(%[a],%[l3],1)"
#define SG_IN_PLACE_ADDR_4 "(%[a],%[l],4)"
#define SG_IN_PLACE_ADDR_5 "(%[a],%[l5],1)"
#define SG_IN_PLACE_ADDR_6 "(%[a],%[l3],2)"
#define SG_IN_PLACE_ADDR_7 "(%[a],%[l7],1)"
#define SG_IN_PLACE_ADDR_8 "(%[a],%[l],8)"
#define SG_IN_PLACE_ADDR_9 "(%[a],%[l9],1)"
#define SG_IN_PLACE_ADDR_10 "(%[a],%[l5],2)"
#define SG_IN_PLACE_ADDR_11 "(%[a],%[l11],1)"
#define SG_IN_PLACE_ADDR_12 "(%[a],%[l3],4)"
#define SG_IN_PLACE_ADDR_13 "(%[a],%[l13],1)"
#define SG_IN_PLACE_ROW(r, x0, x1) SG_ROW(SG_IN_PLACE_ADDR_##r, x0, x1)

static void sg_asm_rows_14(int64_t kc, const float *a, int64_t lda, const float *b, float *t, int64_t resume,
                           const char *const *pf, int64_t npf) {
  const int64_t l = lda * 4, l3 = 3 * l, l5 = 5 * l, l7 = 7 * l, l9 = 9 * l, l11 = 11 * l, l13 = 13 * l;
  __asm__ volatile(
      SG_ENTER
      ".p2align 5\n"
      "1:\n\t"
      "vmovups (%[b]), %%zmm28\n\t"
      "vmovups 64(%[b]), %%zmm29\n\t"
      SG_ALL_ROWS(SG_IN_PLACE_ROW)
      "test %[npf], %[npf]\n\t" /* one line of the prefetch list per step (resume is free by now) */
      "jz 4f\n\t"
      "mov (%[pf]), %[resume]\n\t"
      "prefetcht1 (%[resume])\n\t"
      "add $8, %[pf]\n\t"
      "dec %[npf]\n"
      "4:\n\t"
      "add $4, %[a]\n\t"
      "sub $-128, %[b]\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      SG_ALL_ROWS(SG_STORE_ROW)
      : [a] "+r"(a), [b] "+r"(b), [n] "+r"(kc), [resume] "+r"(resume), [pf] "+r"(pf), [npf] "+r"(npf)
      : [t] "r"(t), [l] "r"(l), [l3] "r"(l3), [l5] "r"(l5), [l7] "r"(l7), [l9] "r"(l9),
        [l11] "r"(l11), [l13] "r"(l13)
      : SG_CLOBBERS);
}

/* C tile <-> t around the assembly kernels (nr columns, masked) */
static inline void sg_tile_in(const float *c, int64_t ldc, __mmask16 m0, __mmask16 m1, float *t) {
  for (int r = 0; r < SG_MR; r++) {
    _mm512_store_ps(t + r * 32, _mm512_maskz_loadu_ps(m0, c + r * ldc));
    _mm512_store_ps(t + r * 32 + 16, _mm512_maskz_loadu_ps(m1, c + r * ldc + 16));
  }
}
static inline void sg_tile_out(const float *t, float *c, int64_t ldc, __mmask16 m0, __mmask16 m1) {
  for (int r = 0; r < SG_MR; r++) {
    _mm512_mask_storeu_ps(c + r * ldc, m0, _mm512_load_ps(t + r * 32));
    _mm512_mask_storeu_ps(c + r * ldc + 16, m1, _mm512_load_ps(t + r * 32 + 16));
  }
}
static inline __mmask16 sg_mask_lo(int64_t nr) { return nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u); }
static inline __mmask16 sg_mask_hi(int64_t nr) {
  return nr >= 32 ? (__mmask16)0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1u) : (__mmask16)0;
}

#define SG_INSTANCE(MRV)                                                                                     \
  static void sg_packed_##MRV(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int64_t nr,   \
                              int resume, const char *const *pf, int64_t npf) {                              \
    sg_tile(MRV, kc, a, 1, SG_MR, b, c, ldc, nr, resume, pf, npf);                                           \
  }                                                                                                          \
  static void sg_rows_##MRV(int64_t kc, const float *a, int64_t lda, const float *b, float *c, int64_t ldc,   \
                            int64_t nr, int resume, const char *const *pf, int64_t npf) {                    \
    sg_tile(MRV, kc, a, lda, 1, b, c, ldc, nr, resume, pf, npf);                                             \
  }
SG_INSTANCE(1)
SG_INSTANCE(2)
SG_INSTANCE(3)
SG_INSTANCE(4)
SG_INSTANCE(5)
SG_INSTANCE(6)
SG_INSTANCE(7)
SG_INSTANCE(8)
SG_INSTANCE(9)
SG_INSTANCE(10)
SG_INSTANCE(11)
SG_INSTANCE(12)
SG_INSTANCE(13)
SG_INSTANCE(14)
#undef SG_INSTANCE

typedef void (*sg_packed_fn)(int64_t, const float *, const float *, float *, int64_t, int64_t, int,
                             const char *const *, int64_t);
typedef void (*sg_rows_fn)(int64_t, const float *, int64_t, const float *, float *, int64_t, int64_t, int,
                           const char *const *, int64_t);
static const sg_packed_fn sg_packed_fns[SG_MR + 1] = {
    NULL,         sg_packed_1,  sg_packed_2,  sg_packed_3,  sg_packed_4,  sg_packed_5,  sg_packed_6, sg_packed_7,
    sg_packed_8,  sg_packed_9,  sg_packed_10, sg_packed_11, sg_packed_12, sg_packed_13, sg_packed_14};
static const sg_rows_fn sg_rows_fns[SG_MR + 1] = {NULL,       sg_rows_1,  sg_rows_2,  sg_rows_3,  sg_rows_4,
                                                  sg_rows_5,  sg_rows_6,  sg_rows_7,  sg_rows_8,  sg_rows_9,
                                                  sg_rows_10, sg_rows_11, sg_rows_12, sg_rows_13, sg_rows_14};

static inline void sg_kernel_packed(int mr, int64_t kc, const float *ap, const float *bp, float *c, int64_t ldc,
                                    int64_t nr, int resume, const char *const *pf, int64_t npf) {
  if (mr < SG_MR) {
    sg_packed_fns[mr](kc, ap, bp, c, ldc, nr, resume, pf, npf);
    return;
  }
  _Alignas(64) float t[SG_MR * 32];
  const __mmask16 m0 = sg_mask_lo(nr), m1 = sg_mask_hi(nr);
  if (resume) sg_tile_in(c, ldc, m0, m1, t);
  sg_asm_packed_14(kc, ap, bp, t, resume, pf, npf);
  sg_tile_out(t, c, ldc, m0, m1);
}

static inline void sg_kernel_rows(int mr, int64_t kc, const float *a, int64_t lda, const float *bp, float *c,
                                  int64_t ldc, int64_t nr, int resume, const char *const *pf, int64_t npf) {
  if (mr < SG_MR) {
    sg_rows_fns[mr](kc, a, lda, bp, c, ldc, nr, resume, pf, npf);
    return;
  }
  _Alignas(64) float t[SG_MR * 32];
  const __mmask16 m0 = sg_mask_lo(nr), m1 = sg_mask_hi(nr);
  if (resume) sg_tile_in(c, ldc, m0, m1, t);
  sg_asm_rows_14(kc, a, lda, bp, t, resume, pf, npf);
  sg_tile_out(t, c, ldc, m0, m1);
}

/* ---- packing ---------------------------------------------------------------------------------- */

/* 16 x 16 transpose in registers: afterwards v[j] holds column j of the input rows v[0..15]. */
static inline void sg_transpose16(__m512 v[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(v[i], v[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(v[i], v[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    const __m512d t0 = _mm512_castps_pd(t[i]), t1 = _mm512_castps_pd(t[i + 1]);
    const __m512d t2 = _mm512_castps_pd(t[i + 2]), t3 = _mm512_castps_pd(t[i + 3]);
    v[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    v[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    v[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    v[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  /* v[4i + j]: rows 4i..4i+3, lane L = column j + 4L */
  for (int j = 0; j < 4; j++) {
    t[j] = _mm512_shuffle_f32x4(v[j], v[4 + j], 0x88);
    t[4 + j] = _mm512_shuffle_f32x4(v[j], v[4 + j], 0xDD);
    t[8 + j] = _mm512_shuffle_f32x4(v[8 + j], v[12 + j], 0x88);
    t[12 + j] = _mm512_shuffle_f32x4(v[8 + j], v[12 + j], 0xDD);
  }
  for (int j = 0; j < 4; j++) {
    v[j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88);
    v[j + 8] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0xDD);
    v[j + 4] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0x88);
    v[j + 12] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0xDD);
  }
}

static inline __mmask16 sg_first(int64_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u); }

#define SG_HAVE_PACK_A
static void sg_pack_a(int trans_a, const float *a, int64_t lda, int64_t i0, int64_t mr, int64_t pc, int64_t kc,
                      float *dst) {
  const __mmask16 rows = sg_first(mr);
  if (trans_a) {
    for (int64_t p = 0; p < kc; p++)
      _mm512_mask_storeu_ps(dst + p * SG_MR, rows, _mm512_maskz_loadu_ps(rows, a + (pc + p) * lda + i0));
    return;
  }
  const float *src = a + i0 * lda + pc;
  for (int64_t p0 = 0; p0 < kc; p0 += 16) {
    const int64_t kk = kc - p0 < 16 ? kc - p0 : 16;
    const __mmask16 km = sg_first(kk);
    __m512 v[16];
    for (int r = 0; r < 16; r++) v[r] = r < mr ? _mm512_maskz_loadu_ps(km, src + r * lda + p0) : _mm512_setzero_ps();
    sg_transpose16(v);
    for (int64_t q = 0; q < kk; q++) _mm512_mask_storeu_ps(dst + (p0 + q) * SG_MR, rows, v[q]);
  }
}

#ifndef SG_PACK_AHEAD
#define SG_PACK_AHEAD 4
#endif
#define SG_HAVE_PACK_B
static void sg_pack_b(int trans_b, const float *b, int64_t ldb, int64_t pc, int64_t kc, int64_t jc, int64_t nc,
                      float *dst) {
  const int64_t panels = (nc + SG_NR - 1) / SG_NR;
  if (!trans_b) {
    for (int64_t p = 0; p < kc; p++) {
      const float *s = b + (pc + p) * ldb + jc;
      float *d = dst + p * SG_NR;
      /* each row segment starts cold (rows are far apart): fetch the row SG_PACK_AHEAD rows ahead */
      if (p + SG_PACK_AHEAD < kc)
        for (int64_t x = 0; x < nc; x += 16) _mm_prefetch((const char *)(s + SG_PACK_AHEAD * ldb + x), _MM_HINT_T0);
      for (int64_t q = 0; q < panels; q++) {
        const int64_t w = nc - q * SG_NR;
        if (w >= SG_NR) {
          _mm512_store_ps(d, _mm512_loadu_ps(s));
          _mm512_store_ps(d + 16, _mm512_loadu_ps(s + 16));
        } else {
          _mm512_store_ps(d, _mm512_maskz_loadu_ps(sg_first(w), s));
          _mm512_store_ps(d + 16, _mm512_maskz_loadu_ps(sg_first(w - 16 < 0 ? 0 : w - 16), s + 16));
        }
        s += SG_NR;
        d += kc * SG_NR;
      }
    }
    return;
  }
  for (int64_t q = 0; q < panels; q++) {
    const int64_t w = nc - q * SG_NR < SG_NR ? nc - q * SG_NR : SG_NR;
    float *d = dst + q * kc * SG_NR;
    for (int64_t h = 0; h < 2; h++) {
      const float *s = b + (jc + q * SG_NR + 16 * h) * ldb + pc;
      const int64_t cols = w - 16 * h;
      for (int64_t p0 = 0; p0 < kc; p0 += 16) {
        const int64_t kk = kc - p0 < 16 ? kc - p0 : 16;
        const __mmask16 km = sg_first(kk);
        __m512 v[16];
        for (int r = 0; r < 16; r++) v[r] = r < cols ? _mm512_maskz_loadu_ps(km, s + r * ldb + p0) : _mm512_setzero_ps();
        sg_transpose16(v);
        for (int64_t x = 0; x < kk; x++) _mm512_store_ps(d + (p0 + x) * SG_NR + 16 * h, v[x]);
      }
    }
  }
}

#include "sgemm_blocked.h"
