package io.sparkint8.nn.spec;

/**
 * The shape of one sample between layers: either spatial ({@code channels x height x width}) or a
 * flat feature vector ({@code channels} features, height = width = 1). The flag is kept explicitly
 * because a 64x1x1 map and 64 features are built differently (a conv accepts the first, not the
 * second). The engine stores a sample NHWC (channels innermost), so flattening never moves memory.
 * A sample holds at most 2^31 - 1 values, so {@link #size()} is an int every buffer can index.
 */
public record Shape(int channels, int height, int width, boolean flat) {

  public Shape {
    if (channels < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "shape sizes must be >= 1, got " + channels + "x" + height + "x" + width);
    }
    if ((long) channels * height * width > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "shape "
              + channels
              + "x"
              + height
              + "x"
              + width
              + ": "
              + (long) channels * height * width
              + " values per sample, expected at most 2^31 - 1");
    }
    if (flat && (height != 1 || width != 1)) {
      throw new IllegalArgumentException("a flat shape has height = width = 1");
    }
  }

  /** A spatial shape. */
  public static Shape chw(int channels, int height, int width) {
    return new Shape(channels, height, width, false);
  }

  /** A flat feature vector. */
  public static Shape features(int count) {
    return new Shape(count, 1, 1, true);
  }

  /** Number of values per sample. */
  public int size() {
    return channels * height * width;
  }

  @Override
  public String toString() {
    return flat ? Integer.toString(channels) : channels + "x" + height + "x" + width;
  }
}
