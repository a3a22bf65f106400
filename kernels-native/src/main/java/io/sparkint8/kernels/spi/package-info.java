/**
 * The kernel SPI: {@link io.sparkint8.kernels.spi.Int8Backend} (what every backend computes), the
 * operation descriptors ({@code GemmDesc}, {@code ConvDesc}, {@code QuantDesc}, {@code Epilogue}) and
 * the argument checks the backends share. May import {@code kernels.memory} only.
 */
package io.sparkint8.kernels.spi;
