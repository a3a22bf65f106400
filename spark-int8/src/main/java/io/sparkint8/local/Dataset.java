package io.sparkint8.local;

import io.sparkint8.arrow.IdxReader;
import io.sparkint8.nn.spec.Shape;

/**
 * Packed training data: row i is images[i * shape.size() ..] in NHWC order, with label labels[i] in
 * [0, numClasses). Immutable view; the arrays are not copied, so callers must not modify them.
 */
public record Dataset(float[] images, int[] labels, Shape shape, int numClasses) {
  public Dataset {
    if (shape == null || images == null || labels == null) {
      throw new IllegalArgumentException("dataset: images, labels and shape must not be null");
    }
    if (labels.length == 0) {
      throw new IllegalArgumentException("dataset is empty");
    }
    if ((long) labels.length * shape.size() != images.length) {
      throw new IllegalArgumentException("dataset: " + images.length + " values for "
          + labels.length + " rows of shape " + shape);
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException("label " + labels[i] + " at row " + i + ", expected 0.."
            + (numClasses - 1));
      }
    }
    for (int i = 0; i < images.length; i++) {
      if (!Float.isFinite(images[i])) {
        throw new IllegalArgumentException("non-finite feature " + images[i] + " at row "
            + (i / shape.size()) + ", position " + (i % shape.size()));
      }
    }
  }

  /**
   * IDX images and labels as samples of 1 x rows x cols: pixel p becomes (p / 255 - mean) / std,
   * in fp32 as the trainers have always computed it.
   */
  public static Dataset fromIdx(IdxReader.Labeled data, int numClasses, float mean, float std) {
    if (!(std > 0) || !Float.isFinite(std) || !Float.isFinite(mean)) {
      throw new IllegalArgumentException(
          "normalisation mean=" + mean + " std=" + std + ": expected finite values, std > 0");
    }
    byte[] raw = data.images().pixels();
    float[] pixels = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      pixels[i] = ((raw[i] & 0xff) / 255f - mean) / std;
    }
    int[] labels = new int[data.count()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = data.label(i);
    }
    Shape shape = Shape.chw(1, data.images().rows(), data.images().cols());
    return new Dataset(pixels, labels, shape, numClasses);
  }

  public int size() {
    return labels.length;
  }

  /** The first n rows. */
  public Dataset head(int n) {
    if (n < 1 || n > size()) {
      throw new IllegalArgumentException("head(" + n + ") of " + size() + " rows");
    }
    float[] im = java.util.Arrays.copyOf(images, n * shape.size());
    int[] lb = java.util.Arrays.copyOf(labels, n);
    return new Dataset(im, lb, shape, numClasses);
  }
}
