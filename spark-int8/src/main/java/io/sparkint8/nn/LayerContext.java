package io.sparkint8.nn;

import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;

/**
 * What every layer of one network instance shares: the kernel backend, the allocator that owns the
 * layers' buffers, the engine configuration, and the position of the current step (used to key
 * stochastic rounding and dropout so that a step is reproducible whatever the thread count or retry).
 * One context per network instance; not shared between threads.
 */
public final class LayerContext {
  private final Int8Backend backend;
  private final OffHeapAllocator allocator;
  private final EngineConfig config;
  private long step;
  private int partition;
  private int nextLayerId;
  private Observer observer;
  private SharedActivations shared;

  /** Sees every layer call of a {@link Sequential} (profilers); must be cheap and not throw. */
  public interface Observer {
    void enter(Layer layer);

    void exit(Layer layer);
  }

  public LayerContext(Int8Backend backend, OffHeapAllocator allocator, EngineConfig config) {
    if (backend == null || allocator == null || config == null) {
      throw new IllegalArgumentException("backend, allocator and config must not be null");
    }
    this.backend = backend;
    this.allocator = allocator;
    this.config = config;
  }

  public Int8Backend backend() {
    return backend;
  }

  public OffHeapAllocator allocator() {
    return allocator;
  }

  public EngineConfig config() {
    return config;
  }

  /** Installs (or with null removes) the observer of layer calls. */
  public void setObserver(Observer newObserver) {
    this.observer = newObserver;
  }

  Observer observer() {
    return observer;
  }

  /**
   * The shared slots of the network being built on this context, or null (layers built on their own
   * keep every buffer).
   */
  SharedActivations sharedActivations() {
    return shared;
  }

  /** Installs (or with null removes) the shared slots; the network owns and closes them. */
  void shareActivations(SharedActivations slots) {
    if (slots != null && shared != null) {
      throw new IllegalStateException("this context already serves a network; one context per network");
    }
    this.shared = slots;
  }

  /** Sets the position of the step about to run (global step number, data partition). */
  public void beginStep(long newStep, int newPartition) {
    this.step = newStep;
    this.partition = newPartition;
  }

  public long step() {
    return step;
  }

  public int partition() {
    return partition;
  }

  /**
   * Whether this step measures the statistics that cost a pass of their own and feed no update (the
   * error gains ||G_X|| / ||G_Y|| of {@link LayerStats}): every clipUpdateInterval-th step, the
   * steps where the clip search also runs. Other steps report them as NaN.
   */
  public boolean measuresGains() {
    return step % config.clipUpdateInterval() == 0;
  }

  /** A stable id per layer, in construction order, for keying random streams. */
  int newLayerId() {
    return nextLayerId++;
  }

  /** The stochastic-rounding stream of (layer, tensor) at the current step and partition. */
  long stream(int layerId, int tensor) {
    return ((step * 65_537L + partition) * 4_099L + layerId) * 16L + tensor;
  }
}
