package io.sparkint8.nn;

/**
 * The per-sample shape of an activation: channels x height x width, stored NHWC (channels innermost).
 * A flat feature vector is (features, 1, 1), so flattening an image never moves memory.
 */
public record Shape(int c, int h, int w) {
  public Shape {
    if (c < 1 || h < 1 || w < 1 || (long) c * h * w > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "shape " + c + "x" + h + "x" + w + ": every dimension must be >= 1");
    }
  }

  public static Shape flat(int features) {
    return new Shape(features, 1, 1);
  }

  /** Elements per sample. */
  public int size() {
    return c * h * w;
  }

  public boolean isFlat() {
    return h == 1 && w == 1;
  }

  @Override
  public String toString() {
    return isFlat() ? "[" + c + "]" : "[" + c + "x" + h + "x" + w + "]";
  }
}
