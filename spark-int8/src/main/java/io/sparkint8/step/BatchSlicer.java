package io.sparkint8.step;

import io.sparkint8.kernels.memory.Float32Buffer;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * One epoch's batches of a block of packed rows (row i's features at {@code features[i *
 * rowLength ..]}, its label {@code labels[i]}): the rows in a shuffled order, cut into consecutive
 * slices of {@code sliceRows} rows (the last one shorter), each gathered into a network's input
 * buffer. Both trainers slice with it and keep their own parameters: the local trainer shuffles
 * the whole data set once per epoch and slices it by the batch size; a Spark task shuffles its
 * partition per epoch and takes the step's slice of ceil(rows / stepsPerEpoch) rows.
 */
public final class BatchSlicer {
  private final float[] features;
  private final int[] labels;
  private final int rows;
  private final int rowLength;
  private final int sliceRows;
  private final int[] order;

  /**
   * The slices of {@code rows} rows of {@code rowLength} features, in the order a {@link
   * SplittableRandom} seeded with {@code orderSeed} shuffles them ({@link #permutation}).
   */
  public BatchSlicer(float[] features, int[] labels, int rows, int rowLength, int sliceRows,
      long orderSeed) {
    if (rows < 0 || rowLength < 1 || sliceRows < 1 || labels.length < rows
        || (long) rows * rowLength > features.length) {
      throw new IllegalArgumentException("batch slicer: " + rows + " rows of " + rowLength
          + " features in slices of " + sliceRows + " over " + features.length + " values and "
          + labels.length + " labels; expected rows >= 0, rowLength >= 1, sliceRows >= 1 and "
          + "enough values and labels");
    }
    this.features = features;
    this.labels = labels;
    this.rows = rows;
    this.rowLength = rowLength;
    this.sliceRows = sliceRows;
    this.order = permutation(rows, new SplittableRandom(orderSeed));
  }

  /** Rows per slice when {@code rows} rows are cut into {@code slices} slices: ceil(rows / slices). */
  public static int sliceRows(long rows, int slices) {
    return (int) ((rows + slices - 1) / slices);
  }

  /** How many slices cover the rows: ceil(rows / sliceRows). */
  public int slices() {
    return sliceRows(rows, sliceRows);
  }

  /** The rows of slice {@code slice}: sliceRows, fewer for the last one, 0 past the end. */
  public int sliceSize(int slice) {
    long from = (long) slice * sliceRows;
    return (int) Math.max(0, Math.min(sliceRows, rows - from));
  }

  /**
   * Copies slice {@code slice}'s rows to the start of {@code x} and their labels to {@code
   * labelsOut}; returns how many rows it copied.
   */
  public int gather(int slice, Float32Buffer x, int[] labelsOut) {
    int n = sliceSize(slice);
    int from = slice * sliceRows;
    FloatBuffer dst = x.bytes().asFloatBuffer();
    for (int i = 0; i < n; i++) {
      int row = order[from + i];
      dst.put(i * rowLength, features, row * rowLength, rowLength);
      labelsOut[i] = labels[row];
    }
    return n;
  }

  /** A Fisher-Yates shuffle of 0..n-1 driven by {@code rnd}. */
  public static int[] permutation(int n, SplittableRandom rnd) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
