package io.sparkint8.nn;

import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.Parameter;
import io.sparkint8.quant.ClippingState;
import io.sparkint8.quant.ClippingStrategy;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable snapshot of a trained model: everything needed to rebuild the network and either run
 * inference or continue training bit for bit — the normalized spec text, the number of classes,
 * the input shape, the {@link EngineConfig}, every parameter by name, every BatchNorm's running
 * mean and running scale, and the state of every conv/fc layer's error-clipping strategy (DSGC's
 * ratio, MCS's per-channel clips, step counters). Optimizer state is not part of it: it belongs to
 * the trainer ({@code Optimizer.state()}).
 *
 * <p>Clipping state is kept for every conv/fc layer whatever the precision (each one owns a
 * strategy; in fp32 it simply never advances), so the layer set of a state depends on the spec
 * only.
 *
 * <h2>Binary layout, format versions 1 and 2</h2>
 *
 * All numbers little-endian; {@code str} is an i32 byte count then that many UTF-8 bytes; {@code
 * f32[]} and {@code f64[]} are an i32 element count then the elements (IEEE 754, raw bits);
 * {@code bool} is one byte, 0 or 1.
 *
 * <pre>
 * header   magic     4 bytes  "SI8M" (0x53 0x49 0x38 0x4D)
 *          version   u32      1 or 2
 *          length    i64      byte length of the payload that follows
 * payload  spec      str      NetworkSpec.toString(): the normalized form, which parses back
 *          classes   i32
 *          input     i32 c, i32 h, i32 w        per-sample shape, stored NHWC
 *          config    str precision ("fp32", "int8-forward", "int8"), i32 gradientBits,
 *                    str clipping, i32 clipUpdateInterval, bool dclrs.enabled,
 *                    f64 dclrs.alpha, f64 dclrs.beta, bool weightPerChannel,
 *                    f64 bnRectification, f64 bnMomentum, f64 bnEps, i64 seed,
 *                    version 2 only: i32 gradientGroupSize (version 1 means 0: no groups)
 *          params    i32 count, then per parameter in Network.parameters() order:
 *                    str name ("conv0.weight", "bn1.gamma", ...), f32[] values
 *          bns       i32 count, then per BatchNorm in forward order:
 *                    str name ("bn1"; "bnl16" for a bn-l1 of id 6),
 *                    f64[] runningMean, f64[] runningScale
 *          clipping  i32 count, then per conv/fc layer in forward order:
 *                    str layer ("conv0", "fc7"), str strategy ("max", "dsgc", "mcs"),
 *                    i64 steps, f64[] values (layout at each strategy's exportState)
 * trailer  crc32     u32      CRC-32 (java.util.zip.CRC32) of every byte before it
 * </pre>
 *
 * <p>The payload length in the header lets a reader take the payload, check the CRC and only then
 * parse, with every count bounded by the bytes that remain; a corrupt length therefore ends in a
 * "truncated" error, never in a huge allocation. A reader rejects another magic, a version other
 * than 1 or 2, a truncated stream, a CRC mismatch, a payload with bytes left over and values the engine
 * would reject (e.g. a spec that does not parse), each with an {@link IOException} saying which. A
 * new field means a new version; older files must keep loading. The writer uses version 1 for a state
 * without ShiftQuant groups (what version 1 holds), version 2 otherwise.
 */
public final class ModelState {
  /** The first four bytes of every model state. */
  public static final String MAGIC = "SI8M";
  /** The format version this class writes and reads. */
  public static final int FORMAT_VERSION = 2;

  private final String spec;
  private final int numClasses;
  private final Shape input;
  private final EngineConfig config;
  private final Map<String, float[]> params;
  private final Map<String, double[][]> bns; // name -> {runningMean, runningScale}
  private final Map<String, ClippingState> clipping;

  /** Takes ownership of the maps and arrays: callers pass fresh copies. */
  ModelState(String spec, int numClasses, Shape input, EngineConfig config,
      LinkedHashMap<String, float[]> params, LinkedHashMap<String, double[][]> bns,
      LinkedHashMap<String, ClippingState> clipping) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.numClasses = numClasses;
    this.input = Objects.requireNonNull(input, "input");
    this.config = Objects.requireNonNull(config, "config");
    this.params = Collections.unmodifiableMap(params);
    this.bns = Collections.unmodifiableMap(bns);
    this.clipping = Collections.unmodifiableMap(clipping);
  }

  /** A snapshot of {@code net}'s current weights, running statistics and clipping state. */
  public static ModelState capture(Network net) {
    LinkedHashMap<String, float[]> params = new LinkedHashMap<>();
    for (Parameter p : net.parameters()) {
      params.put(p.name(), p.values().clone());
    }
    LinkedHashMap<String, double[][]> bns = new LinkedHashMap<>();
    for (BatchNorm bn : net.batchNorms()) {
      bns.put(bn.name(), new double[][] {bn.runningMean(), bn.runningScale()});
    }
    LinkedHashMap<String, ClippingState> clipping = new LinkedHashMap<>();
    for (GemmCore core : gemmCores(net)) {
      clipping.put(core.name(), core.clipping().exportState());
    }
    return new ModelState(net.spec().toString(), net.numClasses(), net.inputShape(),
        net.context().config(), params, bns, clipping);
  }

  /**
   * Builds a network for this state (its spec, input shape and engine config) in a new context over
   * {@code backend} and {@code allocator}, and applies the state to it. The caller closes it.
   */
  public Network build(Int8Backend backend, OffHeapAllocator allocator, int maxBatch) {
    LayerContext ctx = new LayerContext(backend, allocator, config);
    Network net = Network.build(spec(), input, maxBatch, ctx);
    try {
      apply(net);
      return net;
    } catch (RuntimeException e) {
      net.close();
      throw e;
    }
  }

  /**
   * Restores this state into {@code net}: parameters, running statistics and clipping state. The
   * network must have the same spec, number of classes, input shape and engine config (a
   * different seed or clipping setting would not continue the same training), and the same
   * parameter, BatchNorm and layer names and sizes. Everything is checked before anything
   * changes; a mismatch throws {@link IllegalArgumentException} naming it and leaves the network
   * as it was.
   */
  public void apply(Network net) {
    String netSpec = net.spec().toString();
    if (!netSpec.equals(spec) || net.numClasses() != numClasses) {
      throw new IllegalArgumentException("model state is for '" + spec + "' with " + numClasses
          + " classes, the network is '" + netSpec + "' with " + net.numClasses());
    }
    if (!net.inputShape().equals(input)) {
      throw new IllegalArgumentException("model state is for inputs of shape " + input
          + ", the network takes " + net.inputShape());
    }
    checkConfig(net.context().config());
    List<Parameter> netParams = net.parameters();
    checkNames("parameters", params.keySet(), netParams.stream().map(Parameter::name).toList());
    for (Parameter p : netParams) {
      int have = params.get(p.name()).length;
      if (have != p.size()) {
        throw new IllegalArgumentException("parameter " + p.name() + " has " + p.size()
            + " values in the network, " + have + " in the model state");
      }
    }
    List<BatchNorm> netBns = net.batchNorms();
    checkNames("BatchNorm layers", bns.keySet(), netBns.stream().map(Layer::name).toList());
    for (BatchNorm bn : netBns) {
      int channels = bn.runningMean().length;
      int have = bns.get(bn.name())[0].length;
      if (have != channels) {
        throw new IllegalArgumentException("BatchNorm " + bn.name() + " has " + channels
            + " channels in the network, " + have + " in the model state");
      }
    }
    List<GemmCore> cores = gemmCores(net);
    checkNames("conv/fc layers", clipping.keySet(), cores.stream().map(GemmCore::name).toList());
    importClipping(cores);
    for (Parameter p : netParams) {
      float[] v = params.get(p.name());
      System.arraycopy(v, 0, p.values(), 0, v.length);
    }
    for (BatchNorm bn : netBns) {
      double[][] stats = bns.get(bn.name());
      bn.setRunning(stats[0], stats[1]);
    }
  }

  /** Imports every layer's clipping state, or none: a rejected one rolls the others back. */
  private void importClipping(List<GemmCore> cores) {
    List<ClippingState> before = new ArrayList<>();
    for (GemmCore core : cores) {
      before.add(core.clipping().exportState());
    }
    for (int i = 0; i < cores.size(); i++) {
      GemmCore core = cores.get(i);
      try {
        core.clipping().importState(clipping.get(core.name()));
      } catch (IllegalArgumentException e) {
        for (int j = 0; j < i; j++) {
          cores.get(j).clipping().importState(before.get(j));
        }
        throw new IllegalArgumentException("clipping state of layer " + core.name() + ": "
            + e.getMessage(), e);
      }
    }
  }

  private void checkConfig(EngineConfig other) {
    if (config.equals(other)) {
      return;
    }
    List<String> diffs = new ArrayList<>();
    for (RecordComponent rc : EngineConfig.class.getRecordComponents()) {
      Object mine = component(rc, config);
      Object theirs = component(rc, other);
      if (!Objects.equals(mine, theirs)) {
        diffs.add(rc.getName() + " " + mine + " in the model state, " + theirs + " in the network");
      }
    }
    throw new IllegalArgumentException("engine config differs: " + String.join("; ", diffs));
  }

  private static Object component(RecordComponent rc, EngineConfig c) {
    try {
      return rc.getAccessor().invoke(c);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("reading EngineConfig." + rc.getName(), e);
    }
  }

  private static void checkNames(String what, Set<String> mine, List<String> theirs) {
    if (new ArrayList<>(mine).equals(theirs)) {
      return;
    }
    List<String> missing = new ArrayList<>(theirs);
    missing.removeAll(mine);
    List<String> extra = new ArrayList<>(mine);
    extra.removeAll(theirs);
    throw new IllegalArgumentException(what + " differ: the network has " + theirs
        + ", the model state " + List.copyOf(mine)
        + (missing.isEmpty() ? "" : "; missing from the state " + missing)
        + (extra.isEmpty() ? "" : "; not in the network " + extra));
  }

  /** Every conv/fc layer's GEMM core, in forward order (residual blocks expanded). */
  static List<GemmCore> gemmCores(Network net) {
    List<GemmCore> cores = new ArrayList<>();
    for (Layer l : net.layers()) {
      if (l instanceof Conv2d c) {
        cores.add(c.core());
      } else if (l instanceof Linear f) {
        cores.add(f.core());
      }
    }
    return cores;
  }

  /** Writes the binary layout of the class comment; does not close {@code out}. */
  public void write(OutputStream out) throws IOException {
    ModelStateCodec.write(this, out);
  }

  /** The binary layout of the class comment as a byte array (what a Spark job broadcasts). */
  public byte[] toBytes() {
    return ModelStateCodec.encode(this);
  }

  /**
   * The state whose binary layout {@code bytes} hold, exactly (what a Spark task reads from the
   * broadcast), parsed without copying them.
   *
   * @throws IOException as {@link #read(InputStream)} does, or when bytes follow the CRC
   */
  public static ModelState fromBytes(byte[] bytes) throws IOException {
    return ModelStateCodec.decode(bytes);
  }

  /**
   * Reads one model state from {@code in}, leaving the stream just after its CRC; does not close
   * it.
   *
   * @throws IOException for another magic, an unknown version, truncation, a CRC mismatch or
   *     invalid content, with a message saying which
   */
  public static ModelState read(InputStream in) throws IOException {
    return ModelStateCodec.read(in);
  }

  /** Writes this state to {@code file}, replacing it. */
  public void save(Path file) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
      write(out);
    }
  }

  /** Reads a state saved by {@link #save}; the file must hold nothing after the CRC. */
  public static ModelState load(Path file) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      ModelState s = read(in);
      if (in.read() != -1) {
        throw new IOException(file + ": bytes after the model state's CRC");
      }
      return s;
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(file.toString())) {
        throw e;
      }
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** The normalized spec text (parses back to {@link #spec()}). */
  public String specText() {
    return spec;
  }

  public NetworkSpec spec() {
    return NetworkSpec.parse(spec, numClasses);
  }

  public int numClasses() {
    return numClasses;
  }

  public Shape inputShape() {
    return input;
  }

  public EngineConfig config() {
    return config;
  }

  /** Parameter names in the network's parameter order. */
  public List<String> parameterNames() {
    return List.copyOf(params.keySet());
  }

  /** A copy of the values of parameter {@code name}. */
  public float[] parameter(String name) {
    return lookup(params, name, "parameter").clone();
  }

  /** BatchNorm names in forward order. */
  public List<String> batchNormNames() {
    return List.copyOf(bns.keySet());
  }

  public double[] runningMean(String batchNorm) {
    return lookup(bns, batchNorm, "BatchNorm")[0].clone();
  }

  public double[] runningScale(String batchNorm) {
    return lookup(bns, batchNorm, "BatchNorm")[1].clone();
  }

  /** Conv/fc layer names in forward order. */
  public List<String> clippingLayers() {
    return List.copyOf(clipping.keySet());
  }

  public ClippingState clippingState(String layer) {
    return lookup(clipping, layer, "conv/fc layer");
  }

  private static <T> T lookup(Map<String, T> map, String name, String what) {
    T v = map.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no " + what + " '" + name
          + "' in the model state; it has " + map.keySet());
    }
    return v;
  }

  // the codec walks the maps in order without copying
  Map<String, float[]> paramsView() {
    return params;
  }

  Map<String, double[][]> bnsView() {
    return bns;
  }

  Map<String, ClippingState> clippingView() {
    return clipping;
  }

  /** Equal when every field is, arrays bit for bit and maps in the same order. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ModelState s)) {
      return false;
    }
    if (!spec.equals(s.spec) || numClasses != s.numClasses || !input.equals(s.input)
        || !config.equals(s.config) || !clipping.equals(s.clipping)
        || !new ArrayList<>(params.keySet()).equals(new ArrayList<>(s.params.keySet()))
        || !new ArrayList<>(bns.keySet()).equals(new ArrayList<>(s.bns.keySet()))
        || !new ArrayList<>(clipping.keySet()).equals(new ArrayList<>(s.clipping.keySet()))) {
      return false;
    }
    for (Map.Entry<String, float[]> e : params.entrySet()) {
      if (!Arrays.equals(e.getValue(), s.params.get(e.getKey()))) {
        return false;
      }
    }
    for (Map.Entry<String, double[][]> e : bns.entrySet()) {
      if (!Arrays.deepEquals(e.getValue(), s.bns.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(spec, numClasses, input, config, clipping);
    for (Map.Entry<String, float[]> e : params.entrySet()) {
      h = 31 * h + (e.getKey().hashCode() ^ Arrays.hashCode(e.getValue()));
    }
    for (Map.Entry<String, double[][]> e : bns.entrySet()) {
      h = 31 * h + (e.getKey().hashCode() ^ Arrays.deepHashCode(e.getValue()));
    }
    return h;
  }

  @Override
  public String toString() {
    return "ModelState[" + spec + ", " + numClasses + " classes, input " + input + ", "
        + config.precision() + ", " + params.size() + " parameters, " + bns.size()
        + " BatchNorms, " + clipping.size() + " clipping states]";
  }
}
