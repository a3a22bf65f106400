/**
 * The compute layer of spark-int8, one sub-package per part of its architecture:
 *
 * <ul>
 *   <li>{@code spi}: the kernel SPI {@link io.sparkint8.kernels.spi.Int8Backend}, its descriptors and
 *       the argument checks every backend shares;
 *   <li>{@code memory}: off-heap buffers with exactly one owner, an
 *       {@link io.sparkint8.kernels.memory.OffHeapAllocator} that fails on leaks;
 *   <li>{@code ref}: the pure-Java reference {@link io.sparkint8.kernels.ref.JavaBackend}, which
 *       defines the semantics every other backend reproduces bit for bit;
 *   <li>{@code jni}: {@link io.sparkint8.kernels.jni.NativeBackend} over libint8k (C kernels for
 *       scalar, AVX2 and AVX-512 VNNI CPUs, chosen at run time);
 *   <li>{@code cuda}: {@link io.sparkint8.kernels.cuda.CudaBackend}, PTX kernels through JCuda's
 *       driver API, and its device-resident API.
 * </ul>
 *
 * <p>This package holds {@link io.sparkint8.kernels.Backends}, which picks a backend by name. Images
 * are NHWC, matrices row-major. Nothing here imports Spark.
 */
package io.sparkint8.kernels;
