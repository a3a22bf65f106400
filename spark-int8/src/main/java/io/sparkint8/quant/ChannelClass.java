package io.sparkint8.quant;

/**
 * The shape of one channel's gradient distribution in GVQ (Distribution Adaptive INT8): a channel
 * is {@link #GAUSSIAN} when more than λ of its |g| exceed its standard deviation, else {@link
 * #INVERTED_T} (sharp peak, long tail), whose outliers MCS clips.
 */
public enum ChannelClass {
  GAUSSIAN,
  INVERTED_T
}
