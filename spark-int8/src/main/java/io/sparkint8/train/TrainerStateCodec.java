package io.sparkint8.train;

import io.sparkint8.nn.ModelState;
import io.sparkint8.optim.OptimizerState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

/**
 * The part of a {@link TrainerState} that the model state does not hold: the counters, the shared
 * scales and the optimizer state. The master network goes to a checkpoint as a {@link ModelState}
 * in its own format, the epoch summaries as the model directory's summary JSON.
 *
 * <h2>Binary layout, format version 1</h2>
 *
 * Little-endian; {@code str} is an i32 byte count and UTF-8 bytes, {@code f32[]} an i32 count and
 * the raw IEEE 754 bits.
 *
 * <pre>
 * header   magic "SI8T", u32 version 1, i64 payload length
 * payload  i32 epochsDone, i64 step, f64 elapsedSeconds,
 *          i32 scale count (-1: none, the next step aggregates in fp32), f32 scales,
 *          str optimizer, i64 optimizer steps, i32 buffer count,
 *          per buffer (sorted by key): str key, f32[] values
 * trailer  u32 CRC-32 of every byte before it
 * </pre>
 */
public final class TrainerStateCodec {
  /** The first four bytes of the file. */
  public static final String MAGIC = "SI8T";
  public static final int FORMAT_VERSION = 1;
  private static final int HEADER_BYTES = 16;

  private TrainerStateCodec() {}

  /** The counters, scales and optimizer state of {@code s} in the layout of the class comment. */
  public static byte[] encode(TrainerState s) {
    OptimizerState opt = s.optimizer();
    Map<String, float[]> buffers = opt.buffers();
    byte[] name = opt.optimizer().getBytes(StandardCharsets.UTF_8);
    float[] scales = s.scales();
    long size = 4 + 8 + 8 + 4 + 4L * (scales == null ? 0 : scales.length) + 4 + name.length + 8
        + 4;
    for (Map.Entry<String, float[]> e : buffers.entrySet()) {
      size += 4 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4 + 4L * e.getValue().length;
    }
    if (size > Integer.MAX_VALUE - HEADER_BYTES - 4) {
      throw new IllegalArgumentException("trainer state of " + size + " bytes does not fit one "
          + "array");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size + HEADER_BYTES + 4).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC.getBytes(StandardCharsets.US_ASCII)).putInt(FORMAT_VERSION).putLong(size);
    b.putInt(s.epochsDone()).putLong(s.step()).putDouble(s.elapsedSeconds());
    if (scales == null) {
      b.putInt(-1);
    } else {
      putFloats(b, scales);
    }
    b.putInt(name.length).put(name).putLong(opt.step()).putInt(buffers.size());
    for (Map.Entry<String, float[]> e : buffers.entrySet()) {
      byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
      b.putInt(key.length).put(key);
      putFloats(b, e.getValue());
    }
    CRC32 crc = new CRC32();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  /**
   * The trainer state of {@code bytes} (from {@link #encode}) around {@code model} and {@code
   * epochs}, which the checkpoint stores apart.
   *
   * @throws IOException for another magic or version, a truncated or overlong file or a CRC
   *     mismatch, saying which
   */
  public static TrainerState decode(byte[] bytes, ModelState model, List<EpochSummary> epochs)
      throws IOException {
    if (bytes.length < HEADER_BYTES + 4) {
      throw new IOException("truncated trainer state: " + bytes.length + " bytes, a header and "
          + "CRC alone take " + (HEADER_BYTES + 4));
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[4];
    b.get(magic);
    if (!Arrays.equals(magic, MAGIC.getBytes(StandardCharsets.US_ASCII))) {
      throw new IOException("not a spark-int8 trainer state: magic "
          + new String(magic, StandardCharsets.ISO_8859_1) + ", expected " + MAGIC);
    }
    int version = b.getInt();
    if (version != FORMAT_VERSION) {
      throw new IOException("trainer state format version " + version + " is not supported; this "
          + "reader knows version " + FORMAT_VERSION);
    }
    long length = b.getLong();
    if (length != bytes.length - HEADER_BYTES - 4) {
      throw new IOException("truncated trainer state: the header announces a payload of " + length
          + " bytes, the file holds " + (bytes.length - HEADER_BYTES - 4));
    }
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, bytes.length - 4);
    int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN)
        .getInt();
    if (stored != (int) crc.getValue()) {
      throw new IOException("corrupt trainer state: CRC32 mismatch");
    }
    ByteBuffer p = ByteBuffer.wrap(bytes, HEADER_BYTES, (int) length).slice()
        .order(ByteOrder.LITTLE_ENDIAN);
    try {
      int epochsDone = p.getInt();
      long step = p.getLong();
      double elapsed = p.getDouble();
      int nScales = p.getInt();
      float[] scales = nScales == -1 ? null : floats(p, nScales);
      String optimizer = str(p);
      long optimizerSteps = p.getLong();
      int nBuffers = count(p, p.getInt(), 8);
      TreeMap<String, float[]> buffers = new TreeMap<>();
      for (int i = 0; i < nBuffers; i++) {
        String key = str(p);
        buffers.put(key, floats(p, p.getInt()));
      }
      if (p.hasRemaining()) {
        throw new IOException("invalid trainer state: " + p.remaining() + " bytes after the last "
            + "buffer");
      }
      return new TrainerState(epochsDone, step, elapsed, model,
          new OptimizerState(optimizer, optimizerSteps, buffers), scales, epochs);
    } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
      // the CRC matched, so the writer wrote something this reader does not accept
      throw new IOException("invalid trainer state: " + e, e);
    }
  }

  private static void putFloats(ByteBuffer b, float[] v) {
    b.putInt(v.length);
    for (float f : v) {
      b.putFloat(f);
    }
  }

  private static int count(ByteBuffer p, int n, int minBytes) throws IOException {
    if (n < 0 || (long) n * minBytes > p.remaining()) {
      throw new IOException("invalid trainer state: a count of " + n + " at offset "
          + (p.position() - 4) + ", " + p.remaining() + " bytes remain");
    }
    return n;
  }

  private static float[] floats(ByteBuffer p, int n) throws IOException {
    float[] v = new float[count(p, n, 4)];
    p.asFloatBuffer().get(v);
    p.position(p.position() + 4 * n);
    return v;
  }

  private static String str(ByteBuffer p) throws IOException {
    byte[] s = new byte[count(p, p.getInt(), 1)];
    p.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }
}
