package io.sparkint8.kernels.cuda;

/**
 * The device's reusable scratch buffers ({@link CudaDevice#scratch}). STAGE slots hold the host SPI's
 * operands on their way to and from the device; the others are the internal temporaries of the device
 * operations, so that an operation never overwrites the staged operands of the call that runs it.
 */
public enum ScratchSlot {
  STAGE0,
  STAGE1,
  STAGE2,
  STAGE3,
  STAGE4,
  STAGE5,
  PACK_A,
  PACK_B,
  ACC64,
  GROUP_AMAX,
  GROUP_S,
  GROUP_INV,
  STATUS,
  LANES,
  CANDIDATES
}
