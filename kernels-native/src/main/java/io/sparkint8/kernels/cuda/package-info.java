/**
 * The GPU backend: {@link io.sparkint8.kernels.cuda.CudaBackend} (the kernel SPI on PTX kernels; it
 * extends the reference backend, so an operation without a device kernel runs the reference on the
 * host), {@link io.sparkint8.kernels.cuda.CudaOps} (the same operations on device-resident buffers,
 * checked with the SPI's {@code Checks}) and the driver layer under them: the {@link
 * io.sparkint8.kernels.cuda.CudaDriver} interface (implemented on JCuda by {@link
 * io.sparkint8.kernels.cuda.JCudaDriverBinding}, the only class that touches JCuda), device selection and
 * PTX loading ({@link io.sparkint8.kernels.cuda.CudaDevice}, {@link io.sparkint8.kernels.cuda.PtxTarget},
 * {@link io.sparkint8.kernels.cuda.PtxSource}), the kernel-name table ({@link
 * io.sparkint8.kernels.cuda.CudaKernel}) and device memory with one owner per buffer ({@link
 * io.sparkint8.kernels.cuda.DeviceAllocator}, {@link io.sparkint8.kernels.cuda.DeviceBuffer}). Imports
 * {@code kernels.spi}, {@code kernels.memory} and {@code kernels.ref}; never Spark.
 */
package io.sparkint8.kernels.cuda;
