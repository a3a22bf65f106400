package io.sparkint8.train;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The partitions an accumulator holds, as a bit set: it counts the addends (which decide the
 * payload's width) and rejects a partition added twice. One bit per partition number, so 64
 * partitions cost 8 bytes on the wire. Immutable.
 */
final class PartitionSet implements Serializable {
  private static final long serialVersionUID = 1L;

  static final PartitionSet EMPTY = new PartitionSet(new long[0], 0);

  private final long[] words;
  private final int count;

  private PartitionSet(long[] words, int count) {
    this.words = words;
    this.count = count;
  }

  /** The set of one partition. */
  static PartitionSet of(int partition) {
    if (partition < 0) {
      throw new IllegalArgumentException("partition = " + partition + ", expected >= 0");
    }
    long[] w = new long[partition / 64 + 1];
    w[partition / 64] = 1L << (partition % 64);
    return new PartitionSet(w, 1);
  }

  /** A set read back from its words (bit p of word p / 64 is partition p). */
  static PartitionSet ofWords(long[] words) {
    int n = 0;
    for (long w : words) {
      n += Long.bitCount(w);
    }
    return new PartitionSet(words.clone(), n);
  }

  /** Both sets; throws if a partition is in both (each may contribute once). */
  PartitionSet union(PartitionSet o) {
    long[] w = Arrays.copyOf(words, Math.max(words.length, o.words.length));
    for (int i = 0; i < o.words.length; i++) {
      long both = w[i] & o.words[i];
      if (both != 0) {
        throw new IllegalArgumentException("GradientAccumulator.merge: partition "
            + (64 * i + Long.numberOfTrailingZeros(both)) + " is in both accumulators; each "
            + "partition may contribute once");
      }
      w[i] |= o.words[i];
    }
    return new PartitionSet(w, count + o.count);
  }

  int count() {
    return count;
  }

  /** The partitions, ascending. */
  int[] toArray() {
    int[] out = new int[count];
    int k = 0;
    for (int i = 0; i < words.length; i++) {
      long w = words[i];
      while (w != 0) {
        out[k++] = 64 * i + Long.numberOfTrailingZeros(w);
        w &= w - 1;
      }
    }
    return out;
  }

  long[] words() {
    return words.clone();
  }

  @Override
  public boolean equals(Object o) {
    // trailing zero words do not change the set
    if (!(o instanceof PartitionSet p) || p.count != count) {
      return false;
    }
    int n = Math.max(words.length, p.words.length);
    for (int i = 0; i < n; i++) {
      if ((i < words.length ? words[i] : 0) != (i < p.words.length ? p.words[i] : 0)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(toArray());
  }
}
