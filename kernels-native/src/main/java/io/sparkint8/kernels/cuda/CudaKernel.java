package io.sparkint8.kernels.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * The kernel-name table: every PTX entry the Java side launches, with its parameter signature in {@link
 * KernelArgs} type codes and the oldest target whose PTX contains it. The names and signatures mirror
 * the extern "C" kernels of src/main/cuda; a test parses each built PTX and checks that every entry a
 * target should have is there with exactly these parameter types, and every launch checks its
 * arguments against the signature before calling the driver.
 */
public enum CudaKernel {
  GEMM_S8_MMA("int8k_gemm_s8_mma", "pipipiiiiiifpppf", PtxTarget.SM_80),
  GEMM_S8_DP4A("int8k_gemm_s8_dp4a", "pipipiiiiiifpppf", PtxTarget.SM_75),
  GEMM_FINISH_S64("int8k_gemm_finish_s64", "piiipifpppf", PtxTarget.SM_75),
  PACK_KMAJOR("int8k_pack_kmajor", "piiiipi", PtxTarget.SM_75),
  GEMM_F32("int8k_gemm_f32", "iiiiifpipifpi", PtxTarget.SM_75),
  ABSMAX_TENSOR("int8k_absmax_tensor", "plp", PtxTarget.SM_75),
  ABSMAX_RUNS("int8k_absmax_runs", "piiip", PtxTarget.SM_75),
  ABSMAX_COLS("int8k_absmax_cols", "piiip", PtxTarget.SM_75),
  QUANT_SCALES("int8k_quant_scales", "ppiiipppp", PtxTarget.SM_75),
  QUANTIZE("int8k_quantize", "piiiiiilppp", PtxTarget.SM_75),
  DEQUANTIZE("int8k_dequantize", "piiiipp", PtxTarget.SM_75),
  CHANNEL_FRACTION("int8k_channel_fraction", "piip", PtxTarget.SM_75),
  CLIP_DEVIATION("int8k_clip_deviation", "pliipp", PtxTarget.SM_75),
  IM2COL_S8("int8k_im2col_s8", "p" + Window.ARGS + "p", PtxTarget.SM_75),
  IM2COL_F32("int8k_im2col_f32", "p" + Window.ARGS + "p", PtxTarget.SM_75),
  COL2IM_F32("int8k_col2im_f32", "p" + Window.ARGS + "p", PtxTarget.SM_75),
  COL2IM_S32("int8k_col2im_s32", "p" + Window.ARGS + "p", PtxTarget.SM_75),
  MAX_POOL("int8k_max_pool", "p" + Window.ARGS + "pp", PtxTarget.SM_75),
  MAX_POOL_BACKWARD_CHECK("int8k_max_pool_backward_check", "p" + Window.ARGS + "p", PtxTarget.SM_75),
  MAX_POOL_BACKWARD_GATHER("int8k_max_pool_backward_gather", "pp" + Window.ARGS + "p", PtxTarget.SM_75),
  MAX_POOL_BACKWARD_SERIAL("int8k_max_pool_backward_serial", "pplp", PtxTarget.SM_75),
  RELU("int8k_relu", "lppp", PtxTarget.SM_75),
  RELU_BACKWARD("int8k_relu_backward", "lppp", PtxTarget.SM_75);

  private final String entry;
  private final String signature;
  private final PtxTarget since;

  CudaKernel(String entry, String signature, PtxTarget since) {
    this.entry = entry;
    this.signature = signature;
    this.since = since;
  }

  /** The PTX .entry name. */
  public String entry() {
    return entry;
  }

  /** Parameter types in KernelArgs codes. */
  public String signature() {
    return signature;
  }

  /** Whether the PTX of {@code target} contains this kernel. */
  public boolean availableOn(PtxTarget target) {
    return target.capability() >= since.capability();
  }

  /** The kernels a target's PTX must contain. */
  public static List<CudaKernel> on(PtxTarget target) {
    List<CudaKernel> out = new ArrayList<>();
    for (CudaKernel k : values()) {
      if (k.availableOn(target)) {
        out.add(k);
      }
    }
    return out;
  }

  /** The ten int arguments of a window op: n, h, w, c, kh, kw, strideH, strideW, padH, padW. */
  private static final class Window {
    static final String ARGS = "iiiiiiiiii";
  }
}
