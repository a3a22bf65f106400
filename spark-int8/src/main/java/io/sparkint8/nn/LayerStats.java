package io.sparkint8.nn;

import io.sparkint8.quant.ClipStats;

/**
 * Per-layer statistics of one step: the error clipping decision (max |g|, clip, DSGC deviation, GVQ
 * classes), the DCLRS learning-rate factor it implies, and the error amplification ||G_X|| / ||G_Y||
 * through the layer (the health metric of rectified BN; measured on the steps where {@link
 * LayerContext#measuresGains()}, NaN on others). Null fields are not measured for that layer.
 */
public record LayerStats(String layer, ClipStats clip, double lrFactor, double gradientGain) {}
