package io.sparkint8.train;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.nn.ModelState;
import io.sparkint8.nn.Network;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The networks of one executor JVM, kept between steps so that a step costs a state update rather
 * than a network build. A network is borrowed by one task at a time; its weights, running
 * statistics and clipping state are overwritten from the step's broadcast state on every borrow,
 * so which pooled instance a task gets never changes its result. Networks of an older key (a
 * finished fit or a replaced model) are closed when a new key appears. Networks are pooled per
 * backend as the task resolves it ({@link TaskBackend}): a task holding GPU 1 never borrows a network
 * built on GPU 0.
 */
public final class WorkerPool {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);
  /** Idle networks by {@link #slot}(key, resolved backend). */
  private static final Map<String, ArrayDeque<Pooled>> IDLE = new HashMap<>();
  private static String currentKey;
  /** Guards the broadcast array parsed last and its state ({@link #parse}). */
  private static final Object PARSE_LOCK = new Object();
  private static byte[] lastStateBytes;
  private static ModelState lastState;

  private WorkerPool() {}

  /** A network and the allocator that owns its buffers. */
  public static final class Pooled implements AutoCloseable {
    private final String key;
    private final String backend;
    private final OffHeapAllocator allocator;
    private final Network network;
    private final Float32Buffer input;
    private final int[] labels;
    private BackendLeafQuantizer leafQuantizer;

    private Pooled(String key, String backend, OffHeapAllocator allocator, Network network) {
      this.key = key;
      this.backend = backend;
      this.allocator = allocator;
      this.network = network;
      this.input = allocator.allocateFloat32(
          (long) network.maxBatch() * network.inputShape().size());
      this.labels = new int[network.maxBatch()];
    }

    public Network network() {
      return network;
    }

    /** The input batch buffer: maxBatch rows of the network's input shape. */
    public Float32Buffer input() {
      return input;
    }

    /** The label buffer of the batch: maxBatch entries. */
    public int[] labels() {
      return labels;
    }

    /**
     * How this network's task quantizes its gradient leaf: with the network's kernels when they
     * are the native CPU ones (built on first use), else the Java loop (a GPU backend would first
     * copy the gradients to the device). The same codes either way.
     */
    LeafQuantizer.Implementation leafQuantizer() {
      if (!"native".equals(network.context().backend().name())) {
        return LeafQuantizer.JAVA;
      }
      if (leafQuantizer == null) {
        leafQuantizer = new BackendLeafQuantizer(network.context().backend(), allocator);
      }
      return leafQuantizer;
    }

    @Override
    public void close() {
      if (leafQuantizer != null) {
        leafQuantizer.close();
      }
      input.close();
      network.close();
      allocator.close();
    }
  }

  /**
   * A network for {@code key} holding the state in {@code stateBytes} (a {@link ModelState} in
   * its binary format), built on first use with {@code backend} for batches of up to maxBatch.
   */
  public static Pooled borrow(String key, byte[] stateBytes, String backend, int maxBatch) {
    return borrow(key, stateBytes, backend, 1, maxBatch);
  }

  /**
   * As {@link #borrow(String, byte[], String, int)}, the network's kernels running {@code threads}
   * threads (pooled networks of one key share the count: keys differ by it).
   */
  public static Pooled borrow(String key, byte[] stateBytes, String backend, int threads,
      int maxBatch) {
    ModelState state = parse(stateBytes);
    String resolved = TaskBackend.resolve(backend);
    Pooled p;
    synchronized (WorkerPool.class) {
      if (!key.equals(currentKey)) {
        evictAllBut(key);
        currentKey = key;
      }
      ArrayDeque<Pooled> idle = IDLE.get(slot(key, resolved));
      p = idle == null ? null : idle.poll();
    }
    if (p == null) {
      OffHeapAllocator alloc = new OffHeapAllocator("spark-int8 " + key);
      try {
        Network net = state.build(Backends.byName(resolved).withThreads(threads), alloc,
            maxBatch);
        LOG.info("spark-int8: built {} on backend {} for batches of up to {}", net,
            net.context().backend().name(), maxBatch);
        try {
          return new Pooled(key, resolved, alloc, net);
        } catch (RuntimeException e) {
          net.close();
          throw e;
        }
      } catch (RuntimeException e) {
        alloc.close();
        throw e;
      }
    }
    state.apply(p.network);
    return p;
  }

  /** Returns a borrowed network; one of a replaced key is closed instead. */
  public static void giveBack(Pooled p) {
    synchronized (WorkerPool.class) {
      if (p.key.equals(currentKey)) {
        IDLE.computeIfAbsent(slot(p.key, p.backend), k -> new ArrayDeque<>()).push(p);
        return;
      }
    }
    p.close();
  }

  /**
   * Closes every idle network of this JVM and forgets the current key, giving their off-heap
   * memory back; a later task builds its network again. Networks borrowed at the time are closed
   * when they are given back. Returns how many were closed.
   */
  public static int closeIdle() {
    List<Pooled> idle = new ArrayList<>();
    synchronized (WorkerPool.class) {
      IDLE.values().forEach(idle::addAll);
      IDLE.clear();
      currentKey = null;
    }
    synchronized (PARSE_LOCK) {
      lastStateBytes = null;
      lastState = null;
    }
    KeptSteps.clear();
    idle.forEach(Pooled::close);
    return idle.size();
  }

  /** The idle list of networks of {@code key} built on the backend {@code resolved}. */
  private static String slot(String key, String resolved) {
    return key + '\n' + resolved;
  }

  private static void evictAllBut(String key) {
    Iterator<Map.Entry<String, ArrayDeque<Pooled>>> it = IDLE.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, ArrayDeque<Pooled>> e = it.next();
      if (!e.getKey().startsWith(key + '\n')) {
        e.getValue().forEach(Pooled::close);
        it.remove();
      }
    }
  }

  /**
   * The state in {@code bytes}. The tasks of one step read the same broadcast array, so the last
   * one parsed is kept, and a task that arrives while another parses it waits for that parse
   * rather than parsing a second copy (a state is only read: applying it copies its values into
   * the network). Its own lock, so that borrowing and giving back never wait on a parse.
   */
  private static ModelState parse(byte[] bytes) {
    synchronized (PARSE_LOCK) {
      if (bytes != lastStateBytes) {
        try {
          lastState = ModelState.fromBytes(bytes);
        } catch (IOException e) {
          throw new UncheckedIOException("spark-int8: the broadcast model state is unreadable", e);
        }
        lastStateBytes = bytes;
      }
      return lastState;
    }
  }
}
