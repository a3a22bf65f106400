package io.sparkint8.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The tensor-core GEMM's data path, emulated lane by lane on the CPU with the index expressions of
 * gemm_s8_mma.cuh (cp.async tile loads with the XOR swizzle and src-size zero fill, ldmatrix.x4 row
 * addresses, the m16n8k32 .s8 fragment layouts of the PTX ISA, the accumulator store), for whole 128 x
 * 128 blocks over several K tiles with ragged edges. It proves the pieces agree with each other and with
 * the PTX ISA's fragment tables as written in the kernel's comment; what it cannot prove is the hardware,
 * which CudaConformanceTest checks on a GPU. Keep it in step with the kernel when either changes.
 */
class MmaTileMappingTest {
  static final int BM = 128;
  static final int BN = 128;
  static final int BK = 64;

  /** k_swz: byte offset of 16-byte chunk {@code chunk} of row {@code row} in a [rows][64] tile. */
  static int swz(int row, int chunk) {
    return row * BK + ((chunk ^ ((row >> 1) & 3)) << 4);
  }

  /** k_mma_load_tile for one operand: rows row0.. of a K-major matrix, K tile kt, into smem. */
  static void loadTile(byte[] smem, byte[] src, int ld, int rows, int k, int row0, int kt) {
    for (int tid = 0; tid < 256; tid++) {
      for (int i = 0; i < (BM * BK / 16) / 256; i++) {
        int idx = tid + i * 256;
        int r = idx >> 2;
        int chunk = idx & 3;
        int kk = kt * BK + chunk * 16;
        int left = k - kk;
        int span = left <= 0 ? 0 : Math.min(left, 16);
        int g = row0 + r;
        int bytes = g < rows ? span : 0;
        int dst = swz(r, chunk);
        for (int b = 0; b < 16; b++) { // cp.async: src-size bytes copied, the rest zero-filled
          smem[dst + b] = b < bytes ? src[g * ld + kk + b] : 0;
        }
      }
    }
  }

  /** ldmatrix.x4: register q of lane l holds bytes 4(l%4).. of the row addressed by lane 8q + l/4. */
  static int[][] ldmatrix(byte[] smem, int[] rowAddress) {
    int[][] regs = new int[4][32];
    for (int q = 0; q < 4; q++) {
      for (int lane = 0; lane < 32; lane++) {
        int base = rowAddress[8 * q + (lane >> 2)] + 4 * (lane & 3);
        regs[q][lane] = word(smem, base);
      }
    }
    return regs;
  }

  static int word(byte[] m, int at) {
    return (m[at] & 0xFF) | (m[at + 1] & 0xFF) << 8 | (m[at + 2] & 0xFF) << 16 | m[at + 3] << 24;
  }

  static byte byteOf(int word, int i) {
    return (byte) (word >> (8 * i));
  }

  /**
   * mma.m16n8k32.row.col.s32.s8.s8.s32 from the PTX ISA's fragment tables: each A (16x32) and B (32x8)
   * element is rebuilt from the lane that holds it, then D += A * B is handed back in the C layout.
   */
  static void mma(int[][] acc, int[][] a, int[][] b) {
    byte[][] am = new byte[16][32];
    byte[][] bm = new byte[32][8];
    for (int lane = 0; lane < 32; lane++) {
      int g = lane >> 2;
      int t = lane & 3;
      for (int i = 0; i < 16; i++) { // a_i: row g for i in [0,4) and [8,12), else g+8
        int row = (i < 4 || (i >= 8 && i < 12)) ? g : g + 8;
        int col = t * 4 + (i & 3) + (i >= 8 ? 16 : 0);
        am[row][col] = byteOf(a[i >> 2][lane], i & 3);
      }
      for (int i = 0; i < 8; i++) { // b_i: row (k) t*4 + (i&3) (+16 for i >= 4), column g
        bm[t * 4 + (i & 3) + (i >= 4 ? 16 : 0)][g] = byteOf(b[i >> 2][lane], i & 3);
      }
    }
    for (int lane = 0; lane < 32; lane++) {
      int g = lane >> 2;
      int t = lane & 3;
      for (int q = 0; q < 4; q++) { // c0, c1: row g, cols 2t, 2t+1; c2, c3: row g+8
        int row = g + (q >> 1) * 8;
        int col = 2 * t + (q & 1);
        int s = 0;
        for (int p = 0; p < 32; p++) {
          s += am[row][p] * bm[p][col];
        }
        acc[q][lane] += s;
      }
    }
  }

  /** One block (tile tm, tn) of C = A * B^T, A m x k and B n x k K-major, as the kernel computes it. */
  static void block(byte[] a, int lda, byte[] b, int ldb, int m, int n, int k, int tm, int tn, int[] c) {
    int row0 = tm * BM;
    int col0 = tn * BN;
    int[][][][] acc = new int[8][16][4][32]; // warp, (mi, ni), register, lane
    byte[] sa = new byte[BM * BK];
    byte[] sb = new byte[BN * BK];
    for (int kt = 0; kt < (k + BK - 1) / BK; kt++) {
      loadTile(sa, a, lda, m, k, row0, kt);
      loadTile(sb, b, ldb, n, k, col0, kt);
      for (int warp = 0; warp < 8; warp++) {
        int wm = warp >> 2;
        int wn = warp & 3;
        for (int k32 = 0; k32 < BK / 32; k32++) {
          int[][][] af = new int[4][][];
          for (int mi = 0; mi < 4; mi++) {
            int[] addr = new int[32];
            for (int lane = 0; lane < 32; lane++) {
              addr[lane] = swz(wm * 64 + mi * 16 + (lane & 15), k32 * 2 + (lane >> 4));
            }
            af[mi] = ldmatrix(sa, addr);
          }
          int[][][] bf = new int[4][2][];
          for (int nj = 0; nj < 2; nj++) {
            int[] addr = new int[32];
            for (int lane = 0; lane < 32; lane++) {
              int q = lane >> 3;
              addr[lane] = swz(wn * 32 + (nj * 2 + (q >> 1)) * 8 + (lane & 7), k32 * 2 + (q & 1));
            }
            int[][] r = ldmatrix(sb, addr);
            bf[2 * nj] = new int[][] {r[0], r[1]};
            bf[2 * nj + 1] = new int[][] {r[2], r[3]};
          }
          for (int mi = 0; mi < 4; mi++) {
            for (int ni = 0; ni < 4; ni++) {
              mma(acc[warp][mi * 4 + ni], af[mi], bf[ni]);
            }
          }
        }
      }
    }
    for (int warp = 0; warp < 8; warp++) { // k_mma_store
      int wm = warp >> 2;
      int wn = warp & 3;
      for (int lane = 0; lane < 32; lane++) {
        int i0 = row0 + wm * 64 + (lane >> 2);
        int j0 = col0 + wn * 32 + 2 * (lane & 3);
        for (int mi = 0; mi < 4; mi++) {
          for (int ni = 0; ni < 4; ni++) {
            for (int q = 0; q < 4; q++) {
              int i = i0 + mi * 16 + (q >> 1) * 8;
              int j = j0 + ni * 8 + (q & 1);
              if (i < m && j < n) {
                c[i * n + j] = acc[warp][mi * 4 + ni][q][lane];
              }
            }
          }
        }
      }
    }
  }

  @Test
  void theEmulatedKernelComputesTheGemm() {
    SplittableRandom rnd = new SplittableRandom(7);
    int[][] shapes = {{128, 128, 64}, {1, 1, 1}, {17, 129, 100}, {130, 255, 33}, {64, 8, 200}};
    for (int[] s : shapes) {
      int m = s[0];
      int n = s[1];
      int k = s[2];
      int ld = (k + 15) / 16 * 16; // the kernel's operand contract: K-major, ld a multiple of 16
      byte[] a = new byte[m * ld];
      byte[] b = new byte[n * ld];
      for (int i = 0; i < m; i++) {
        for (int p = 0; p < k; p++) {
          a[i * ld + p] = (byte) (rnd.nextInt(256) - 128);
        }
      }
      for (int j = 0; j < n; j++) {
        for (int p = 0; p < k; p++) {
          b[j * ld + p] = (byte) (rnd.nextInt(256) - 128);
        }
      }
      int[] want = new int[m * n];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          int sum = 0;
          for (int p = 0; p < k; p++) {
            sum += a[i * ld + p] * b[j * ld + p];
          }
          want[i * n + j] = sum;
        }
      }
      int[] got = new int[m * n];
      for (int tm = 0; tm < (m + BM - 1) / BM; tm++) {
        for (int tn = 0; tn < (n + BN - 1) / BN; tn++) {
          block(a, ld, b, ld, m, n, k, tm, tn, got);
        }
      }
      assertArrayEquals(want, got, "emulated mma GEMM " + m + "x" + n + "x" + k);
    }
  }

  @Test
  void theSwizzleSpreadsEveryLdmatrixPhaseOverAllBanks() {
    // 8 rows of one 8x16-byte matrix (same chunk) must hit 8 distinct 16-byte slots of a 128-byte line
    for (int row0 = 0; row0 < BM; row0 += 8) {
      for (int chunk = 0; chunk < 4; chunk++) {
        boolean[] slot = new boolean[8];
        for (int r = row0; r < row0 + 8; r++) {
          slot[(swz(r, chunk) % 128) / 16] = true;
        }
        int used = 0;
        for (boolean u : slot) {
          used += u ? 1 : 0;
        }
        assertEquals(8, used, "rows " + row0 + ".. chunk " + chunk + " conflict");
      }
    }
  }
}
