package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.spi.Int8Backend;

/**
 * The reference backend: every operation runs the plain loops of its family's reference ({@link
 * GemmReference}, {@link QuantizeReference}, {@link StatisticsReference}, {@link WindowReference},
 * {@link ActivationReference}, {@link NormalizationReference}, {@link MatrixGlueReference}), which
 * define what the operation computes. They favour being obviously right over speed; the native backend
 * must match them bit for bit. Floating-point expressions are evaluated in the order the documentation
 * of each operation gives (Java float arithmetic is IEEE round-to-nearest-even and never fuses on its
 * own; the fp32 GEMM fuses explicitly, with {@link Math#fma}), rounding to nearest uses {@link
 * Math#rint}, and quantization multiplies by the inverse scale.
 */
public final class JavaBackend extends ReferenceBackend {

  public JavaBackend() {
    this(1);
  }

  private JavaBackend(int threads) {
    super(threads);
  }

  @Override
  public String name() {
    return "java";
  }

  @Override
  public String isa() {
    return "java";
  }

  /** Accepted for interface symmetry; the reference always runs on the calling thread. */
  @Override
  public Int8Backend withThreads(int threads) {
    return new JavaBackend(threads);
  }

  @Override
  public String gemmF32Route() {
    return "java-reference";
  }
}
