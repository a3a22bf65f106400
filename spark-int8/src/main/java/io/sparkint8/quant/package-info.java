/**
 * Quantization of the engine: what a tensor becomes when it enters an int8 GEMM, and how the clip
 * value of each layer's error is chosen (ALGORITHMS.md §1–3, §5).
 *
 * <ul>
 *   <li>{@link io.sparkint8.quant.QuantizerConfig} (bits, granularity, rounding) and {@link
 *       io.sparkint8.quant.Quantizer}, which turns an fp32 matrix into a {@link
 *       io.sparkint8.quant.QTensor} — codes, scales and the metadata needed to read them, always
 *       together.
 *   <li>Error clipping: {@link io.sparkint8.quant.ClippingStrategy} with {@code max}, {@code dsgc}
 *       (Unified INT8) and {@code mcs} (Distribution Adaptive INT8), named and made by {@link
 *       io.sparkint8.quant.ClippingKind}; each reports an immutable {@link
 *       io.sparkint8.quant.ClipStats}.
 *   <li>{@link io.sparkint8.quant.Dclrs}, the per-layer learning-rate factor driven by DSGC's
 *       deviation.
 * </ul>
 *
 * <p>The compute itself runs through an {@link io.sparkint8.kernels.spi.Int8Backend}, so Java and
 * native backends give the same codes bit for bit. This package is Spark-free: it never imports
 * {@code org.apache.spark} (a test enforces it), because the same step code runs in the local
 * trainer and inside Spark tasks.
 */
package io.sparkint8.quant;
