/**
 * The compute layer of spark-int8, one sub-package per part of its architecture, each depending only on
 * the ones above it in this list (KernelLayersTest enforces it):
 *
 * <ul>
 *   <li>{@code memory}: off-heap buffers with exactly one owner, an {@link
 *       io.sparkint8.kernels.memory.OffHeapAllocator} that fails on leaks. Imports nothing of the project.
 *   <li>{@code spi}: the kernel SPI {@link io.sparkint8.kernels.spi.Int8Backend}, its descriptors, the
 *       argument checks ({@link io.sparkint8.kernels.spi.Checks}) and the base class every backend
 *       extends ({@link io.sparkint8.kernels.spi.AbstractBackend}: a public final method per operation
 *       checks once and calls the protected abstract hook {@code <op>Unchecked}). Imports memory only.
 *   <li>{@code ref}: the pure-Java reference, one class per op family ({@code GemmReference}, {@code
 *       QuantizeReference}, {@code StatisticsReference}, {@code WindowReference}, {@code
 *       ActivationReference}, {@code NormalizationReference}, {@code MatrixGlueReference}), which defines
 *       the semantics every other backend reproduces bit for bit; {@link
 *       io.sparkint8.kernels.ref.ReferenceBackend} runs every hook on it and {@link
 *       io.sparkint8.kernels.ref.JavaBackend} is that backend. Imports spi and memory.
 *   <li>{@code jni}: {@link io.sparkint8.kernels.jni.NativeBackend} over libint8k (C kernels for scalar,
 *       AVX2 and AVX-512 VNNI CPUs, chosen at run time; the ops are listed once in
 *       src/main/native/int8k_ops.def). Imports spi and memory.
 *   <li>{@code cuda}: {@link io.sparkint8.kernels.cuda.CudaBackend}, PTX kernels through JCuda's driver
 *       API, and its device-resident API; operations without a device kernel run the reference on the
 *       host. Imports spi, memory and ref.
 * </ul>
 *
 * <p>This package holds {@link io.sparkint8.kernels.Backends}, which picks a backend by name and is the
 * only class that knows them all. Images are NHWC, matrices row-major. Nothing here imports Spark.
 */
package io.sparkint8.kernels;
