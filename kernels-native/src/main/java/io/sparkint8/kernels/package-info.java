/**
 * The compute layer of spark-int8: one kernel SPI ({@link io.sparkint8.kernels.Int8Backend}), its
 * pure-Java reference ({@link io.sparkint8.kernels.JavaBackend}, which defines the semantics) and the JNI
 * backend ({@link io.sparkint8.kernels.NativeBackend}: C kernels for scalar, AVX2 and AVX-512 VNNI CPUs)
 * and the GPU backend ({@link io.sparkint8.kernels.CudaBackend}: PTX kernels launched through JCuda's
 * driver API, with a device-resident API in {@link io.sparkint8.kernels.CudaOps}; the driver layer lives
 * in {@code io.sparkint8.kernels.cuda}).
 *
 * <p>Tensors live off-heap in {@link io.sparkint8.kernels.OffHeapBuffer}s that have exactly one owner
 * (a {@link io.sparkint8.kernels.BufferAllocator}); images are NHWC. This package never imports Spark.
 */
package io.sparkint8.kernels;
