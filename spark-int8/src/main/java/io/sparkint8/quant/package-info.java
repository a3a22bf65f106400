/**
 * How the clip value of each conv/fc layer's error is chosen before the error is quantized
 * (ALGORITHMS.md §2–3, §5), and the learning-rate factor that follows from it.
 *
 * <ul>
 *   <li>{@link io.sparkint8.quant.ClippingStrategy} with {@code max}, {@code dsgc} (Unified INT8)
 *       and {@code mcs} (Distribution Adaptive INT8), named and made by {@link
 *       io.sparkint8.quant.ClippingKind}; each reports an immutable {@link
 *       io.sparkint8.quant.ClipStats} per step (clips per tensor or per channel, {@link
 *       io.sparkint8.quant.QuantGranularity}) and exports a {@link
 *       io.sparkint8.quant.ClippingState} that a saved model carries.
 *   <li>{@link io.sparkint8.quant.ErrorRounding}, how quantized errors are rounded (stochastic).
 *   <li>{@link io.sparkint8.quant.Dclrs}, the per-layer learning-rate factor driven by DSGC's
 *       deviation.
 * </ul>
 *
 * <p>The quantization itself is a kernel call ({@link
 * io.sparkint8.kernels.spi.Int8Backend#quantize}) made by the layers in {@code io.sparkint8.nn}
 * with these clips. Statistics run through an {@link io.sparkint8.kernels.spi.Int8Backend}, so
 * Java and native backends give the same clips bit for bit. This package depends on the kernels
 * and the settings vocabulary ({@code labels}) only: it never imports {@code org.apache.spark}
 * (a test enforces it) nor the layers.
 */
package io.sparkint8.quant;
