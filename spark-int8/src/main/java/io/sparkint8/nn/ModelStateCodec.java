package io.sparkint8.nn;

import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.quant.ClippingKind;
import io.sparkint8.quant.ClippingState;
import io.sparkint8.quant.Dclrs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The binary layout of {@link ModelState} (documented there), versions 1 and 2. A state is written in
 * version 1 when that version holds it (no ShiftQuant groups, which version 1 engines did not have), so
 * that re-saving an older model gives back its bytes; else in version 2.
 */
final class ModelStateCodec {
  private static final byte[] MAGIC = ModelState.MAGIC.getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER_BYTES = 4 + 4 + 8;
  // a payload is read into one array, so it cannot exceed what an array holds
  private static final long MAX_PAYLOAD = Integer.MAX_VALUE - 16;

  private ModelStateCodec() {}

  static void write(ModelState s, OutputStream out) throws IOException {
    out.write(encode(s));
    out.flush();
  }

  /**
   * The whole encoding (header, payload, CRC) in one array of its exact size: a counting pass
   * sizes it, a second pass writes the payload in place. A broadcast state is encoded every
   * training step, so the array is the only allocation of the size of the weights.
   */
  static byte[] encode(ModelState s) {
    Out counter = new Out(null);
    int version = payload(s, counter);
    long length = counter.position();
    if (length > MAX_PAYLOAD) {
      throw new IllegalArgumentException("model state: a payload of " + length + " bytes, expected"
          + " at most " + MAX_PAYLOAD);
    }
    byte[] all = new byte[HEADER_BYTES + (int) length + 4];
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).putInt(version).putLong(length);
    payload(s, new Out(b));
    CRC32 crc = new CRC32();
    crc.update(all, 0, HEADER_BYTES + (int) length);
    b.putInt((int) crc.getValue());
    return all;
  }

  /** Writes the payload of {@code s} to {@code p}; returns the format version it wrote. */
  private static int payload(ModelState s, Out p) {
    p.str(s.specText());
    p.i32(s.numClasses());
    p.i32(s.inputShape().channels());
    p.i32(s.inputShape().height());
    p.i32(s.inputShape().width());
    EngineConfig c = s.config();
    p.str(c.precision().label());
    p.i32(c.gradientBits());
    p.str(c.clipping().label());
    p.i32(c.clipUpdateInterval());
    p.bool(c.dclrs().enabled());
    p.f64(c.dclrs().alpha());
    p.f64(c.dclrs().beta());
    p.bool(c.weightPerChannel());
    p.f64(c.bnRectification());
    p.f64(c.bnMomentum());
    p.f64(c.bnEps());
    p.i64(c.seed());
    int version = c.gradientGroupSize() == 0 ? 1 : ModelState.FORMAT_VERSION;
    if (version >= 2) {
      p.i32(c.gradientGroupSize());
    }
    p.i32(s.paramsView().size());
    for (Map.Entry<String, float[]> e : s.paramsView().entrySet()) {
      p.str(e.getKey());
      p.f32s(e.getValue());
    }
    p.i32(s.bnsView().size());
    for (Map.Entry<String, double[][]> e : s.bnsView().entrySet()) {
      p.str(e.getKey());
      p.f64s(e.getValue()[0]);
      p.f64s(e.getValue()[1]);
    }
    p.i32(s.clippingView().size());
    for (Map.Entry<String, ClippingState> e : s.clippingView().entrySet()) {
      p.str(e.getKey());
      p.str(e.getValue().strategy());
      p.i64(e.getValue().steps());
      p.f64s(e.getValue().values());
    }
    return version;
  }

  static ModelState read(InputStream in) throws IOException {
    byte[] header = readFully(in, HEADER_BYTES, "the header");
    ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    int version = checkHeader(h);
    long length = h.getLong();
    // readNBytes grows its buffer as data arrives, so a corrupt length cannot allocate ahead
    byte[] payload = readFully(in, (int) length, "the payload");
    byte[] trailer = readFully(in, 4, "the CRC");
    CRC32 crc = new CRC32();
    crc.update(header);
    crc.update(payload);
    checkCrc(ByteBuffer.wrap(trailer).order(ByteOrder.LITTLE_ENDIAN).getInt(), crc);
    return parse(ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN), version);
  }

  /**
   * The state encoded in {@code bytes}, which hold exactly one encoding, parsed in place (a task
   * decodes the broadcast state every step: no copy of the payload is made).
   */
  static ModelState decode(byte[] bytes) throws IOException {
    if (bytes.length < HEADER_BYTES + 4) {
      throw new IOException("truncated model state: " + bytes.length + " bytes, a state needs at"
          + " least " + (HEADER_BYTES + 4));
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int version = checkHeader(b);
    long length = b.getLong();
    if (length != bytes.length - HEADER_BYTES - 4L) {
      throw new IOException("corrupt model state: payload length " + length + " in " + bytes.length
          + " bytes, expected " + (bytes.length - HEADER_BYTES - 4));
    }
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, HEADER_BYTES + (int) length);
    checkCrc(b.getInt(HEADER_BYTES + (int) length), crc);
    ByteBuffer payload = b.slice(HEADER_BYTES, (int) length).order(ByteOrder.LITTLE_ENDIAN);
    return parse(payload, version);
  }

  /**
   * Checks the magic, the version and the bounds of the payload length at {@code h}'s position,
   * leaving {@code h} at the length; returns the version.
   */
  private static int checkHeader(ByteBuffer h) throws IOException {
    byte[] magic = new byte[4];
    h.get(magic);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw new IOException("not a spark-int8 model state: magic " + hex(magic) + ", expected "
          + hex(MAGIC) + " (\"" + ModelState.MAGIC + "\")");
    }
    int version = h.getInt();
    if (version < 1 || version > ModelState.FORMAT_VERSION) {
      throw new IOException("model state format version " + Integer.toUnsignedString(version)
          + " is not supported; this reader knows versions 1.." + ModelState.FORMAT_VERSION);
    }
    long length = h.getLong(h.position());
    if (length < 0 || length > MAX_PAYLOAD) {
      throw new IOException("corrupt model state: payload length " + length + ", expected 0.."
          + MAX_PAYLOAD);
    }
    return version;
  }

  private static void checkCrc(int stored, CRC32 computed) throws IOException {
    if (stored != (int) computed.getValue()) {
      throw new IOException("corrupt model state: CRC32 mismatch, stored "
          + String.format("%08x", stored) + ", computed "
          + String.format("%08x", computed.getValue()));
    }
  }

  private static ModelState parse(ByteBuffer payload, int version) throws IOException {
    try {
      return parse(new In(payload), version);
    } catch (IllegalArgumentException e) {
      // the CRC matched, so the writer put values in that the engine rejects
      throw new IOException("invalid model state: " + e.getMessage(), e);
    }
  }

  private static ModelState parse(In p, int version) throws IOException {
    String specText = p.str("spec");
    int classes = p.i32("numClasses");
    NetworkSpec spec = NetworkSpec.parse(specText, classes);
    if (!spec.toString().equals(specText)) {
      throw new IOException("invalid model state: spec '" + specText + "' is not in normalized form"
          + " ('" + spec + "')");
    }
    Shape input = Shape.chw(p.i32("input c"), p.i32("input h"), p.i32("input w"));
    Precision precision = Precision.parse(p.str("precision"));
    int gradientBits = p.i32("gradientBits");
    ClippingKind clippingKind = ClippingKind.parse(p.str("clipping"));
    int clipUpdateInterval = p.i32("clipUpdateInterval");
    Dclrs dclrs = new Dclrs(p.bool("dclrs.enabled"), p.f64("dclrs.alpha"), p.f64("dclrs.beta"));
    WeightScaling weightScaling =
        p.bool("weightPerChannel") ? WeightScaling.PER_CHANNEL : WeightScaling.PER_TENSOR;
    double bnRectification = p.f64("bnRectification");
    double bnMomentum = p.f64("bnMomentum");
    double bnEps = p.f64("bnEps");
    long seed = p.i64("seed");
    // version 1 engines quantized errors per tensor or channel at every bit width: no groups
    int groupSize = version >= 2 ? p.i32("gradientGroupSize") : 0;
    EngineConfig config = new EngineConfig(precision, gradientBits, groupSize, clippingKind,
        clipUpdateInterval, dclrs, weightScaling, bnRectification, bnMomentum, bnEps, seed);

    // every entry takes at least 8 bytes (two counts), which bounds the entry counts
    LinkedHashMap<String, float[]> params = new LinkedHashMap<>();
    int n = p.count("parameter count", 8);
    for (int i = 0; i < n; i++) {
      String name = p.str("parameter name");
      unique(params, name, "parameter");
      params.put(name, p.f32s("values of parameter " + name));
    }
    LinkedHashMap<String, double[][]> bns = new LinkedHashMap<>();
    n = p.count("BatchNorm count", 12);
    for (int i = 0; i < n; i++) {
      String name = p.str("BatchNorm name");
      unique(bns, name, "BatchNorm");
      double[] mean = p.f64s("running mean of " + name);
      double[] scale = p.f64s("running scale of " + name);
      if (mean.length != scale.length) {
        throw new IOException("invalid model state: BatchNorm " + name + " has " + mean.length
            + " running means and " + scale.length + " running scales");
      }
      bns.put(name, new double[][] {mean, scale});
    }
    LinkedHashMap<String, ClippingState> clipping = new LinkedHashMap<>();
    n = p.count("clipping count", 20);
    for (int i = 0; i < n; i++) {
      String layer = p.str("clipping layer name");
      unique(clipping, layer, "clipping layer");
      String strategy = p.str("strategy of " + layer);
      long steps = p.i64("steps of " + layer);
      clipping.put(layer, new ClippingState(strategy, steps, p.f64s("clipping state of " + layer)));
    }
    if (p.remaining() != 0) {
      throw new IOException("invalid model state: " + p.remaining()
          + " bytes left after the last section");
    }
    return new ModelState(specText, classes, input, config, params, bns, clipping);
  }

  private static void unique(Map<String, ?> m, String name, String what) throws IOException {
    if (m.containsKey(name)) {
      throw new IOException("invalid model state: " + what + " '" + name + "' appears twice");
    }
  }

  private static byte[] readFully(InputStream in, int n, String what) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new IOException("truncated model state: " + what + " needs " + n + " bytes, the stream"
          + " ends after " + b.length);
    }
    return b;
  }

  private static String hex(byte[] b) {
    StringBuilder s = new StringBuilder("0x");
    for (byte x : b) {
      s.append(String.format("%02x", x & 0xff));
    }
    return s.toString();
  }

  /** A little-endian payload writer into a buffer of the right size, or a counter of its bytes. */
  private static final class Out {
    private final ByteBuffer b;
    private long counted;

    /** Writes into {@code b} (little-endian) at its position; only counts when b is null. */
    Out(ByteBuffer b) {
      this.b = b;
    }

    long position() {
      return counted;
    }

    void i32(int v) {
      counted += 4;
      if (b != null) {
        b.putInt(v);
      }
    }

    void i64(long v) {
      counted += 8;
      if (b != null) {
        b.putLong(v);
      }
    }

    void f64(double v) {
      // raw bits, so NaN payloads and -0.0 survive the round trip
      i64(Double.doubleToRawLongBits(v));
    }

    void bool(boolean v) {
      counted += 1;
      if (b != null) {
        b.put((byte) (v ? 1 : 0));
      }
    }

    void str(String s) {
      byte[] u = s.getBytes(StandardCharsets.UTF_8);
      i32(u.length);
      counted += u.length;
      if (b != null) {
        b.put(u);
      }
    }

    void f32s(float[] v) {
      i32(v.length);
      counted += 4L * v.length;
      if (b != null) {
        b.asFloatBuffer().put(v);
        b.position(b.position() + 4 * v.length);
      }
    }

    void f64s(double[] v) {
      i32(v.length);
      counted += 8L * v.length;
      if (b != null) {
        b.asDoubleBuffer().put(v);
        b.position(b.position() + 8 * v.length);
      }
    }
  }

  /** A little-endian payload reader whose every length is bounded by the bytes that remain. */
  private static final class In {
    private final ByteBuffer b;

    In(ByteBuffer payload) {
      this.b = payload;
    }

    int remaining() {
      return b.remaining();
    }

    private void need(long n, String what) throws IOException {
      if (n > b.remaining()) {
        throw new IOException("invalid model state: " + what + " needs " + n + " bytes at offset "
            + b.position() + " of the payload, " + b.remaining() + " remain");
      }
    }

    int i32(String what) throws IOException {
      need(4, what);
      return b.getInt();
    }

    long i64(String what) throws IOException {
      need(8, what);
      return b.getLong();
    }

    double f64(String what) throws IOException {
      return Double.longBitsToDouble(i64(what));
    }

    boolean bool(String what) throws IOException {
      need(1, what);
      byte v = b.get();
      if (v != 0 && v != 1) {
        throw new IOException("invalid model state: " + what + " is " + v + ", expected 0 or 1");
      }
      return v == 1;
    }

    /** A count of items of at least {@code minBytes} each, bounded by the remaining bytes. */
    int count(String what, int minBytes) throws IOException {
      int n = i32(what);
      if (n < 0 || (long) n * minBytes > b.remaining()) {
        throw new IOException("invalid model state: " + what + " " + n + " at offset "
            + (b.position() - 4) + ", but only " + b.remaining() + " bytes remain");
      }
      return n;
    }

    String str(String what) throws IOException {
      int n = count(what + " length", 1);
      byte[] s = new byte[n];
      b.get(s);
      try {
        // strict decoding: a damaged name fails here instead of becoming U+FFFD
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(s)).toString();
      } catch (CharacterCodingException e) {
        throw new IOException("invalid model state: " + what + " is not valid UTF-8", e);
      }
    }

    float[] f32s(String what) throws IOException {
      float[] v = new float[count(what + " length", 4)];
      b.asFloatBuffer().get(v);
      b.position(b.position() + 4 * v.length);
      return v;
    }

    double[] f64s(String what) throws IOException {
      double[] v = new double[count(what + " length", 8)];
      b.asDoubleBuffer().get(v);
      b.position(b.position() + 8 * v.length);
      return v;
    }
  }
}
