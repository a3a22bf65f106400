package io.sparkint8.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The batch slicer both trainers gather with: every row once per epoch, in the order the seed
 * gives, features and labels kept together, the last slice shorter.
 */
class BatchSlicerTest {
  static final long SEED = 11L;
  static final int ROWS = 23;
  static final int LENGTH = 3;

  /** Row i holds features 100 i, 100 i + 1, 100 i + 2 and label i, so a gathered row names itself. */
  static float[] features() {
    float[] f = new float[ROWS * LENGTH];
    for (int i = 0; i < ROWS; i++) {
      for (int j = 0; j < LENGTH; j++) {
        f[i * LENGTH + j] = 100 * i + j;
      }
    }
    return f;
  }

  static int[] labels() {
    int[] y = new int[ROWS];
    Arrays.setAll(y, i -> i);
    return y;
  }

  @Test
  void slicesVisitEveryRowOnceInTheSeededOrder() {
    BatchSlicer slicer = new BatchSlicer(features(), labels(), ROWS, LENGTH, 5, SEED);
    assertEquals(5, slicer.slices(), "ceil(23 / 5)");
    int[] expectedOrder = BatchSlicer.permutation(ROWS, new SplittableRandom(SEED));
    int[] seen = new int[ROWS];
    int visited = 0;
    try (OffHeapAllocator alloc = new OffHeapAllocator("batch-slicer-test");
        Float32Buffer x = alloc.allocateFloat32(5 * LENGTH)) {
      int[] y = new int[5];
      for (int s = 0; s < slicer.slices(); s++) {
        int n = slicer.gather(s, x, y);
        assertEquals(s == 4 ? 3 : 5, n, "rows of slice " + s);
        float[] values = x.toArray();
        for (int i = 0; i < n; i++) {
          int row = expectedOrder[visited];
          assertEquals(row, y[i], "label at slice " + s + " row " + i);
          for (int j = 0; j < LENGTH; j++) {
            assertEquals(100 * row + j, values[i * LENGTH + j], "feature " + j + " of row " + row);
          }
          seen[row]++;
          visited++;
        }
      }
    }
    assertEquals(ROWS, visited);
    int[] once = new int[ROWS];
    Arrays.fill(once, 1);
    assertArrayEquals(once, seen, "every row exactly once");
    assertEquals(0, slicer.sliceSize(5), "past the end");
  }

  @Test
  void theOrderDependsOnTheSeedOnly() {
    int[] a = BatchSlicer.permutation(ROWS, new SplittableRandom(SEED));
    assertArrayEquals(a, BatchSlicer.permutation(ROWS, new SplittableRandom(SEED)));
    assertTrue(!Arrays.equals(a, BatchSlicer.permutation(ROWS, new SplittableRandom(SEED + 1))),
        "another seed, another order");
    int[] sorted = a.clone();
    Arrays.sort(sorted);
    int[] identity = new int[ROWS];
    Arrays.setAll(identity, i -> i);
    assertArrayEquals(identity, sorted, "a permutation of 0..n-1");
  }

  @Test
  void sliceRowsIsTheCeilingOfRowsOverSlices() {
    assertEquals(5, BatchSlicer.sliceRows(23, 5));
    assertEquals(4, BatchSlicer.sliceRows(20, 5));
    assertEquals(1, BatchSlicer.sliceRows(1, 7));
    assertEquals(0, BatchSlicer.sliceRows(0, 3));
  }

  @Test
  void refusesRowsItDoesNotHave() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new BatchSlicer(features(), labels(), ROWS + 1, LENGTH, 5, SEED));
    assertTrue(e.getMessage().contains("24 rows"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new BatchSlicer(features(), labels(), ROWS, LENGTH, 0, SEED));
    assertThrows(IllegalArgumentException.class,
        () -> new BatchSlicer(features(), labels(), ROWS, 0, 5, SEED));
  }
}
