package io.sparkint8.train;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.sparkint8.quant.Dclrs;
import io.sparkint8.step.LayerFactors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The wire format of a {@link GradientAccumulator}: the integer payload as raw little-endian bytes
 * at its current width (1, 2 or 4 bytes per element, implied by the addend count) and small
 * fixed-width headers, so that {@link #sizeOf} is exact and the benchmark's bytes per step are the
 * bytes that cross the network. Nothing but the partition bit set grows with the number of
 * partitions held: one partition's statistics travel as its doubles, several partitions' as exact
 * fixed-point sums (16 bytes a value, {@link FixedSums}). Register it for {@link
 * GradientAccumulator} (Spark's KryoRegistrator does, with {@code
 * spark.kryo.registrationRequired=true}).
 *
 * <pre>
 * byte   format version (4)
 * int    addends P; P = 0 is the empty accumulator and ends here
 * byte   mode: 0 int8 codes, 1 fp32 gradients
 * long   step
 * int    tensors T;  T x (int length, float scale (0 in fp32 mode), float max|g|, long clipped)
 * long   rows, correct
 * int    W; W x long: the partitions held, partition p as bit p % 64 of word p / 64
 * int    BN layers L; L x (int channels, long rows)
 * stats  P = 1: double loss sum, double rectification loss, L x (channels x double mean, M2,
 *               mean |x - mean|)
 *        P > 1: (2 + 3 x Σ channels) x (long hi, long lo): loss, rectification loss, then per
 *               layer per channel Σx, Σx², Σ|x - μ_p|
 * bytes  int8 mode: payload, tensor after tensor, length x width bytes
 *        fp32 mode, P = 1: T x length floats; P > 1: T x (int exponent, length x long)
 * byte   report present (0/1); if 1: int lowest partition, int addends A,
 *        byte dclrs enabled, double alpha, double beta,
 *        int G, G x (int n, n UTF-8 bytes strategy, long steps, int v, v x double,
 *                    int measured, int searched),
 *        int M, M x (int layer index, double factor, double deviation, double gain, int state),
 *        G x 24 sums: A = 1 as doubles, A > 1 as (long hi, long lo)
 * </pre>
 */
public final class GradientAccumulatorSerializer extends Serializer<GradientAccumulator> {
  static final byte FORMAT_VERSION = 4;

  // Payloads of 2- and 4-byte elements are converted to bytes through a buffer of this size.
  private static final int CHUNK_BYTES = 1 << 16;

  public GradientAccumulatorSerializer() {
    // Immutable objects: Kryo may share rather than copy them.
    setImmutable(true);
  }

  /** Registers this serializer for {@link GradientAccumulator} with {@code kryo}. */
  public static void register(Kryo kryo) {
    kryo.register(GradientAccumulator.class, new GradientAccumulatorSerializer());
  }

  /** The number of bytes {@link #write} produces for {@code a}. */
  static long sizeOf(GradientAccumulator a) {
    long n = 1 + 4;
    if (a.isEmpty()) {
      return n;
    }
    StepStats st = a.stats();
    int layers = st.bnLayers();
    long channels = 0;
    for (int l = 0; l < layers; l++) {
      channels += st.channels(l);
    }
    boolean leaf = a.addends() == 1;
    n += 1 + 8 + 4 + 20L * a.tensorCount() + 16;
    n += 4 + 8L * a.partitionSet().words().length;
    n += 4 + 12L * layers;
    n += leaf ? 16 + 24 * channels : 16 * (2 + 3 * channels);
    n += a.payloadBytes();
    if (a.isFp32() && !leaf) {
      n += 4L * a.tensorCount();
    }
    n += 1;
    WorkerReport r = a.report();
    if (r != null) {
      n += 4 + 4 + 1 + 16 + 4;
      for (int g = 0; g < r.strategies.length; g++) {
        n += 4 + utf8(r.strategies[g]).length + 8 + 4 + 8L * r.values[g].length + 8;
      }
      n += 4 + 32L * r.factors.size();
      n += (long) r.strategies.length * WorkerReport.SUMS_PER_STATE * (r.addends == 1 ? 8 : 16);
    }
    return n;
  }

  @Override
  public void write(Kryo kryo, Output out, GradientAccumulator a) {
    out.writeByte(FORMAT_VERSION);
    out.writeInt(a.addends());
    if (a.isEmpty()) {
      return;
    }
    boolean fp32 = a.isFp32();
    boolean leaf = a.addends() == 1;
    out.writeByte(fp32 ? 1 : 0);
    out.writeLong(a.step());
    int tensors = a.tensorCount();
    out.writeInt(tensors);
    float[] max = a.maxAbs();
    for (int t = 0; t < tensors; t++) {
      out.writeInt(a.tensorLength(t));
      out.writeFloat(fp32 ? 0f : a.scales().scale(t));
      out.writeFloat(max[t]);
      out.writeLong(a.clippedCount(t));
    }
    out.writeLong(a.rows());
    out.writeLong(a.correct());
    long[] words = a.partitionSet().words();
    out.writeInt(words.length);
    out.writeLongs(words);
    StepStats st = a.stats();
    out.writeInt(st.bnLayers());
    for (int l = 0; l < st.bnLayers(); l++) {
      out.writeInt(st.channels(l));
      out.writeLong(st.bnCount(l));
    }
    if (leaf) {
      out.writeDouble(st.lossSum());
      out.writeDouble(st.rectificationLoss());
      for (int l = 0; l < st.bnLayers(); l++) {
        writeDoubles(out, st.mean(l));
        writeDoubles(out, st.m2(l));
        writeDoubles(out, st.mad(l));
      }
    } else {
      out.writeLongs(st.sums().words());
    }
    Fp32Sums f = a.fp32();
    for (int t = 0; t < tensors; t++) {
      if (!fp32) {
        writePayload(out, a.codes(t));
      } else if (leaf) {
        out.writeFloats(f.leafTensor(t));
      } else {
        out.writeInt(f.exponent(t));
        out.writeLongs(f.codes(t));
      }
    }
    writeReport(out, a.report());
  }

  private static void writeReport(Output out, WorkerReport r) {
    out.writeByte(r == null ? 0 : 1);
    if (r == null) {
      return;
    }
    out.writeInt(r.partition);
    out.writeInt(r.addends);
    out.writeByte(r.dclrs.enabled() ? 1 : 0);
    out.writeDouble(r.dclrs.alpha());
    out.writeDouble(r.dclrs.beta());
    out.writeInt(r.strategies.length);
    for (int g = 0; g < r.strategies.length; g++) {
      byte[] name = utf8(r.strategies[g]);
      out.writeInt(name.length);
      out.writeBytes(name);
      out.writeLong(r.steps[g]);
      out.writeInt(r.values[g].length);
      writeDoubles(out, r.values[g]);
      out.writeInt(r.measured[g]);
      out.writeInt(r.searched[g]);
    }
    int[] layerIndex = r.factors.layerIndex();
    double[] lrFactor = r.factors.lrFactor();
    double[] deviation = r.factors.deviation();
    double[] gain = r.factors.gain();
    out.writeInt(layerIndex.length);
    for (int i = 0; i < layerIndex.length; i++) {
      out.writeInt(layerIndex[i]);
      out.writeDouble(lrFactor[i]);
      out.writeDouble(deviation[i]);
      out.writeDouble(gain[i]);
      out.writeInt(r.stateOfFactor[i]);
    }
    if (r.addends == 1) {
      writeDoubles(out, r.leafSums);
    } else {
      out.writeLongs(r.sums.words());
    }
  }

  private static WorkerReport readReport(Input in) {
    if (in.readByte() == 0) {
      return null;
    }
    int partition = in.readInt();
    int addends = in.readInt();
    if (addends < 1) {
      throw new KryoException("GradientAccumulator: report of " + addends + " partitions");
    }
    boolean enabled = in.readByte() == 1;
    double alpha = in.readDouble();
    double beta = in.readDouble();
    int g = nonNegative(in.readInt(), "clipping state count");
    String[] strategies = new String[g];
    long[] steps = new long[g];
    double[][] values = new double[g][];
    int[] measured = new int[g];
    int[] searched = new int[g];
    for (int i = 0; i < g; i++) {
      int len = nonNegative(in.readInt(), "strategy name length");
      strategies[i] = new String(in.readBytes(len), java.nio.charset.StandardCharsets.UTF_8);
      steps[i] = in.readLong();
      values[i] = in.readDoubles(nonNegative(in.readInt(), "clipping state length"));
      measured[i] = in.readInt();
      searched[i] = in.readInt();
    }
    int m = nonNegative(in.readInt(), "measured layer count");
    int[] index = new int[m];
    double[] factor = new double[m];
    double[] dev = new double[m];
    double[] gain = new double[m];
    int[] state = new int[m];
    for (int i = 0; i < m; i++) {
      index[i] = in.readInt();
      factor[i] = in.readDouble();
      dev[i] = in.readDouble();
      gain[i] = in.readDouble();
      state[i] = in.readInt();
    }
    int n = g * WorkerReport.SUMS_PER_STATE;
    try {
      return new WorkerReport(partition, strategies, steps, values,
          new LayerFactors(index, factor, dev, gain), state, new Dclrs(enabled, alpha, beta),
          addends, measured, searched, addends == 1 ? in.readDoubles(n) : null,
          addends == 1 ? null : FixedSums.ofWords(in.readLongs(2 * n)));
    } catch (IllegalArgumentException e) {
      throw new KryoException(e.getMessage(), e);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public GradientAccumulator read(Kryo kryo, Input in, Class<GradientAccumulator> type) {
    byte version = in.readByte();
    if (version != FORMAT_VERSION) {
      throw new KryoException(
          "GradientAccumulator: format version " + version + ", this build reads "
              + FORMAT_VERSION);
    }
    int addends = in.readInt();
    if (addends == 0) {
      return GradientAccumulator.empty();
    }
    boolean leaf = addends == 1;
    boolean fp32 = in.readByte() == 1;
    int width = fp32 ? 0 : widthOrFail(addends);
    long step = in.readLong();
    int tensors = nonNegative(in.readInt(), "tensor count");
    int[] lengths = new int[tensors];
    float[] scales = new float[tensors];
    float[] max = new float[tensors];
    long[] clipped = new long[tensors];
    for (int t = 0; t < tensors; t++) {
      lengths[t] = nonNegative(in.readInt(), "length of tensor " + t);
      scales[t] = in.readFloat();
      max[t] = in.readFloat();
      clipped[t] = in.readLong();
    }
    long rows = in.readLong();
    long correct = in.readLong();
    PartitionSet partitions =
        PartitionSet.ofWords(in.readLongs(nonNegative(in.readInt(), "partition words")));
    if (partitions.count() != addends) {
      throw new KryoException("GradientAccumulator: " + addends + " addends but "
          + partitions.count() + " partitions in the set");
    }
    int layers = nonNegative(in.readInt(), "BN layer count");
    int[] channels = new int[layers];
    long[] count = new long[layers];
    int total = 0;
    for (int l = 0; l < layers; l++) {
      channels[l] = nonNegative(in.readInt(), "channels of BN layer " + l);
      count[l] = in.readLong();
      total += channels[l];
    }
    StepStats stats;
    if (leaf) {
      double loss = in.readDouble();
      double rect = in.readDouble();
      double[][] mean = new double[layers][];
      double[][] m2 = new double[layers][];
      double[][] mad = new double[layers][];
      for (int l = 0; l < layers; l++) {
        mean[l] = in.readDoubles(channels[l]);
        m2[l] = in.readDoubles(channels[l]);
        mad[l] = in.readDoubles(channels[l]);
      }
      stats = StepStats.leaf(count, loss, rect, mean, m2, mad);
    } else {
      stats = StepStats.merged(channels, count,
          FixedSums.ofWords(in.readLongs(2 * (2 + 3 * total))));
    }
    CodeArray[] codes = new CodeArray[fp32 ? 0 : tensors];
    Fp32Sums sums = null;
    if (!fp32) {
      for (int t = 0; t < codes.length; t++) {
        codes[t] = readPayload(in, lengths[t], width);
      }
    } else if (leaf) {
      float[][] g = new float[tensors][];
      for (int t = 0; t < tensors; t++) {
        g[t] = in.readFloats(lengths[t]);
      }
      sums = Fp32Sums.leaf(g);
    } else {
      int[] e = new int[tensors];
      long[][] c = new long[tensors][];
      for (int t = 0; t < tensors; t++) {
        e[t] = in.readInt();
        c[t] = in.readLongs(lengths[t]);
      }
      sums = Fp32Sums.merged(e, c);
    }
    WorkerReport report = readReport(in);
    SharedScales shared = null;
    try {
      if (!fp32) {
        shared = SharedScales.of(scales);
      }
    } catch (IllegalArgumentException e) {
      throw new KryoException(e.getMessage(), e);
    }
    return new GradientAccumulator(step, shared, codes, sums, max, partitions, stats, rows,
        correct, clipped, report);
  }

  private static void writeDoubles(Output out, double[] v) {
    for (double d : v) {
      out.writeDouble(d);
    }
  }

  private static void writePayload(Output out, CodeArray c) {
    if (c.width() == 1) {
      out.writeBytes(c.int8());
      return;
    }
    int n = c.length();
    int per = CHUNK_BYTES / c.width();
    ByteBuffer chunk =
        ByteBuffer.allocate(Math.min(n, per) * c.width()).order(ByteOrder.LITTLE_ENDIAN);
    for (int off = 0; off < n; off += per) {
      int k = Math.min(per, n - off);
      if (c.width() == 2) {
        chunk.asShortBuffer().put(c.int16(), off, k);
      } else {
        chunk.asIntBuffer().put(c.int32(), off, k);
      }
      out.writeBytes(chunk.array(), 0, k * c.width());
    }
  }

  private static CodeArray readPayload(Input in, int n, int width) {
    if (width == 1) {
      return CodeArray.ownInt8(in.readBytes(n));
    }
    int per = CHUNK_BYTES / width;
    byte[] chunk = new byte[Math.min(n, per) * width];
    ByteBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
    short[] s = width == 2 ? new short[n] : null;
    int[] w = width == 4 ? new int[n] : null;
    for (int off = 0; off < n; off += per) {
      int k = Math.min(per, n - off);
      in.readBytes(chunk, 0, k * width);
      if (width == 2) {
        view.asShortBuffer().get(s, off, k);
      } else {
        view.asIntBuffer().get(w, off, k);
      }
    }
    return width == 2 ? CodeArray.ownInt16(s) : CodeArray.ownInt32(w);
  }

  private static int widthOrFail(int addends) {
    try {
      return CodeArray.widthFor(addends);
    } catch (IllegalArgumentException e) {
      throw new KryoException(e.getMessage(), e);
    }
  }

  private static int nonNegative(int v, String what) {
    if (v < 0) {
      throw new KryoException("GradientAccumulator: " + what + " = " + v + ", expected >= 0");
    }
    return v;
  }
}
