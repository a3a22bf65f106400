/**
 * The pure-Java reference of every kernel, one class per op family: {@code GemmReference} (s8 GEMM with
 * its epilogue, packing, fp32 GEMM), {@code QuantizeReference} (with the counter-based draws of {@link
 * io.sparkint8.kernels.ref.StochasticRounding}, which the engine uses too), {@code StatisticsReference}
 * (absmax, GVQ's channel fraction, DSGC's clip deviation), {@code WindowReference} (im2col, col2im,
 * max-pool and its backward), {@code ActivationReference} (ReLU on codes and fp32), {@code
 * NormalizationReference} (batch norm) and {@code MatrixGlueReference}. Each method is named like the
 * SPI operation it defines, takes arguments already checked and never calls into a backend. {@link
 * io.sparkint8.kernels.ref.ReferenceBackend} runs every hook on them; {@link
 * io.sparkint8.kernels.ref.JavaBackend} is that backend, the CUDA backend extends it for its host
 * fallbacks, and the conformance tests compare every other backend with it bit for bit. Imports {@code
 * kernels.spi} and {@code kernels.memory}.
 */
package io.sparkint8.kernels.ref;
