package io.sparkint8.local;

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
