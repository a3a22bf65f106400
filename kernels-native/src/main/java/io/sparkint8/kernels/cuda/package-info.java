/**
 * The GPU backend: {@link io.sparkint8.kernels.cuda.CudaBackend} (the kernel SPI on PTX kernels),
 * {@link io.sparkint8.kernels.cuda.CudaOps} (the same operations on device-resident buffers) and the
 * driver layer under them: the {@link io.sparkint8.kernels.cuda.CudaDriver} interface (implemented on
 * JCuda by {@link io.sparkint8.kernels.cuda.JCudaDriverBinding}, the only class that touches JCuda),
 * device selection and PTX loading ({@link io.sparkint8.kernels.cuda.CudaDevice}, {@link
 * io.sparkint8.kernels.cuda.PtxTarget}, {@link io.sparkint8.kernels.cuda.PtxSource}), the kernel-name
 * table ({@link io.sparkint8.kernels.cuda.CudaKernel}) and device memory with one owner per buffer
 * ({@link io.sparkint8.kernels.cuda.DeviceAllocator}, {@link io.sparkint8.kernels.cuda.DeviceBuffer}).
 * Never imports Spark.
 */
package io.sparkint8.kernels.cuda;
