package io.sparkint8.nn.spec;

import io.sparkint8.labels.Labelled;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One layer of a {@link NetworkSpec}: what to build, not the built layer. Each record validates its
 * own fields (positions in the source text are added by the parser) and its {@code toString} is the
 * canonical grammar text, which omits arguments equal to their defaults and parses back to an equal
 * record.
 */
public sealed interface LayerSpec
    permits LayerSpec.Conv,
        LayerSpec.Fc,
        LayerSpec.Bn,
        LayerSpec.Relu,
        LayerSpec.MaxPool,
        LayerSpec.AvgPool,
        LayerSpec.GlobalAvgPool,
        LayerSpec.Flatten,
        LayerSpec.Dropout,
        LayerSpec.Residual {

  /**
   * 2-d convolution, square kernel. The default padding {@code kernel / 2} keeps the spatial size
   * at stride 1 for odd kernels ("same"). The bias defaults to true even before a BatchNorm, so
   * that {@code conv(32,3)} means the same thing wherever it appears; write {@code bias=false} to
   * drop it.
   */
  record Conv(int outChannels, int kernel, int stride, int pad, boolean bias) implements LayerSpec {
    public Conv {
      requireAtLeast("conv outChannels", outChannels, 1);
      requireAtLeast("conv kernel", kernel, 1);
      requireAtLeast("conv stride", stride, 1);
      requireAtLeast("conv pad", pad, 0);
    }

    /** Stride 1, "same" padding, with bias. */
    public Conv(int outChannels, int kernel) {
      this(outChannels, kernel, 1, kernel / 2, true);
    }

    @Override
    public String toString() {
      StringBuilder text =
          new StringBuilder("conv(").append(outChannels).append(',').append(kernel);
      if (stride != 1) {
        text.append(",s=").append(stride);
      }
      if (pad != kernel / 2) {
        text.append(",p=").append(pad);
      }
      if (!bias) {
        text.append(",bias=false");
      }
      return text.append(')').toString();
    }
  }

  /**
   * Fully connected layer with bias. {@link #CLASSES} (-1) stands for "as many outputs as classes";
   * it only exists between parsing and {@link NetworkSpec} construction, which resolves it.
   */
  record Fc(int outFeatures) implements LayerSpec {
    public static final int CLASSES = -1;

    public Fc {
      if (outFeatures != CLASSES && outFeatures < 1) {
        throw new IllegalArgumentException(
            "fc outFeatures must be >= 1 (or -1 for the number of classes), got " + outFeatures);
      }
    }

    @Override
    public String toString() {
      return outFeatures == CLASSES ? "fc" : "fc(" + outFeatures + ")";
    }
  }

  /** Batch normalization over channels (after conv) or features (after fc). */
  record Bn(Variant variant) implements LayerSpec {
    /**
     * Which normalization: the usual variance one, or the L1 one of ALGORITHMS.md §5. The token is
     * the layer's grammar text; the label names the variant as a setting ({@code bnVariant}).
     */
    public enum Variant implements Labelled {
      STANDARD("bn", "l2", "standard deviation"),
      L1("bn-l1", "l1", "mean absolute deviation, sqrt(pi/2) scaled");

      private final String token;
      private final String label;
      private final String note;

      Variant(String token, String label, String note) {
        this.token = token;
        this.label = label;
        this.note = note;
      }

      public String token() {
        return token;
      }

      @Override
      public String label() {
        return label;
      }

      @Override
      public String note() {
        return note;
      }

      /** The variant labelled {@code s}: {@code l2} or {@code l1} (case-insensitive). */
      public static Variant parse(String s) {
        return Labelled.parse(Variant.class, "bnVariant", s);
      }
    }

    public Bn {
      if (variant == null) {
        throw new IllegalArgumentException("bn variant must not be null");
      }
    }

    /** The standard variant. */
    public Bn() {
      this(Variant.STANDARD);
    }

    @Override
    public String toString() {
      return variant.token();
    }
  }

  /** Rectified linear unit. */
  record Relu() implements LayerSpec {
    @Override
    public String toString() {
      return "relu";
    }
  }

  /** Max pooling; the stride defaults to the kernel (non-overlapping windows). */
  record MaxPool(int kernel, int stride, int pad) implements LayerSpec {
    public MaxPool {
      checkPool("maxpool", kernel, stride, pad);
    }

    public MaxPool(int kernel) {
      this(kernel, kernel, 0);
    }

    @Override
    public String toString() {
      return poolText("maxpool", kernel, stride, pad);
    }
  }

  /** Average pooling; the stride defaults to the kernel (non-overlapping windows). */
  record AvgPool(int kernel, int stride, int pad) implements LayerSpec {
    public AvgPool {
      checkPool("avgpool", kernel, stride, pad);
    }

    public AvgPool(int kernel) {
      this(kernel, kernel, 0);
    }

    @Override
    public String toString() {
      return poolText("avgpool", kernel, stride, pad);
    }
  }

  /** Global average pooling ({@code gap}): C x H x W to C features. */
  record GlobalAvgPool() implements LayerSpec {
    @Override
    public String toString() {
      return "gap";
    }
  }

  /**
   * C x H x W to C*H*W features. {@link NetworkSpec} inserts one before an fc that follows a
   * spatial layer, so writing it is optional.
   */
  record Flatten() implements LayerSpec {
    @Override
    public String toString() {
      return "flatten";
    }
  }

  /** Inverted dropout with drop probability {@code p} in [0, 1). */
  record Dropout(double p) implements LayerSpec {
    public Dropout {
      // p = 1 would zero every activation and divide by zero when rescaling by 1 / (1 - p).
      if (!(p >= 0.0 && p < 1.0)) {
        throw new IllegalArgumentException("dropout p must be in [0, 1), got " + p);
      }
    }

    @Override
    public String toString() {
      return "dropout(" + p + ")";
    }
  }

  /**
   * Residual block: {@code out = body(x) + shortcut(x)}, the sum kept in fp32. The shortcut is the
   * identity when the body keeps the shape; otherwise shape inference gives it a projection, a 1x1
   * conv without bias (stride = the body's spatial reduction) followed by a standard bn, as in
   * ResNet option B. The ReLU after the sum is not part of the block: write {@code res(...)-relu}.
   */
  record Residual(List<LayerSpec> body) implements LayerSpec {
    public Residual {
      if (body == null || body.isEmpty()) {
        throw new IllegalArgumentException("res() needs at least one layer");
      }
      body = List.copyOf(body);
    }

    @Override
    public String toString() {
      return body.stream().map(LayerSpec::toString).collect(Collectors.joining("-", "res(", ")"));
    }
  }

  private static void requireAtLeast(String what, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(what + " must be >= " + min + ", got " + value);
    }
  }

  private static void checkPool(String name, int kernel, int stride, int pad) {
    requireAtLeast(name + " kernel", kernel, 1);
    requireAtLeast(name + " stride", stride, 1);
    requireAtLeast(name + " pad", pad, 0);
    // A larger pad would make a window of padding only (PyTorch has the same rule).
    if (pad > kernel / 2) {
      throw new IllegalArgumentException(
          name + " pad must be <= kernel / 2 = " + kernel / 2 + ", got " + pad);
    }
  }

  private static String poolText(String name, int kernel, int stride, int pad) {
    StringBuilder text = new StringBuilder(name).append('(').append(kernel);
    if (stride != kernel) {
      text.append(",s=").append(stride);
    }
    if (pad != 0) {
      text.append(",p=").append(pad);
    }
    return text.append(')').toString();
  }
}
