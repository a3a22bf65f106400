/**
 * The kernel SPI: {@link io.sparkint8.kernels.spi.Int8Backend} (what every backend computes), the
 * operation descriptors ({@code GemmDesc}, {@code ConvDesc}, {@code QuantDesc}, {@code Epilogue}, {@code
 * PackedB}), every argument check ({@link io.sparkint8.kernels.spi.Checks}, used by the base class, the
 * CUDA device API and the reference alike) and {@link io.sparkint8.kernels.spi.AbstractBackend}, the base
 * of every backend: for each operation a public final method checks its arguments once and calls the
 * protected abstract hook of the same name suffixed {@code Unchecked}. Imports {@code kernels.memory}
 * only, and names no backend.
 */
package io.sparkint8.kernels.spi;
