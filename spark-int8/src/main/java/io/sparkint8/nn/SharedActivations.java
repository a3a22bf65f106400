package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Two fp32 buffers that the layers of one network share for what lives only from one layer call to
 * the next: every input gradient (layer i's is read by layer i-1's backward and then dead), and the
 * forward outputs that their consumer reads once and does not keep for its backward (a BatchNorm's
 * output read by a max-pool, a pool's output quantized by an int8 conv). A layer asks for the slot
 * that does not hold its own input ({@link #other}), so what it reads is never what it writes, and
 * the two slots alternate down the chain. Without them every layer held its own gradient buffer and
 * these outputs: about half of the bytes of an int8 step.
 *
 * <p>Layers reserve their largest request while the network is built; the slots are allocated at
 * the first request after that, with the largest size, and freed by {@link #close()} (the network's).
 * A container that needs an error or an input after its children ran (a residual block) keeps its
 * own copy.
 *
 * <p>Besides the two slots, one int8 region holds the codes that live only inside one layer call: a
 * conv's quantized input before it is unfolded, the error codes of an int8 backward and their
 * unfolded image. A layer lays its pieces out at offsets of its own ({@link #int8Scratch}). Not
 * thread-safe, like the network.
 */
final class SharedActivations implements AutoCloseable {
  private final OffHeapAllocator allocator;
  private long largest;
  private final Float32Buffer[] slots = new Float32Buffer[2];
  // views handed out, per slot and length: made once, so a step allocates nothing
  private final Map<Float32Buffer, Integer> slotOfView = new IdentityHashMap<>();
  private final Map<Long, Float32Buffer[]> viewsByLength = new HashMap<>();
  private long int8Largest;
  private Int8Buffer int8Region;
  private final Map<Span, Int8Buffer> int8Views = new HashMap<>();

  private record Span(long offset, long length) {}

  SharedActivations(OffHeapAllocator allocator) {
    this.allocator = allocator;
  }

  /** Makes the slots hold at least {@code elements} floats; only before the first {@link #other}. */
  void reserve(long elements) {
    if (slots[0] != null) {
      throw new IllegalStateException("shared activations reserved after their first use");
    }
    largest = Math.max(largest, elements);
  }

  /** Makes the int8 region hold at least {@code bytes}; only before its first use. */
  void reserveInt8(long bytes) {
    if (int8Region != null) {
      throw new IllegalStateException("shared int8 scratch reserved after its first use");
    }
    int8Largest = Math.max(int8Largest, bytes);
  }

  /**
   * Bytes [offset, offset + length) of the int8 region: valid inside one layer call only (the next
   * layer's call may overwrite it).
   */
  Int8Buffer int8Scratch(long offset, long length) {
    if (offset < 0 || length < 0 || offset + length > int8Largest) {
      throw new IllegalStateException("shared int8 scratch [" + offset + ", " + (offset + length)
          + ") outside the " + int8Largest + " bytes reserved");
    }
    if (int8Region == null) {
      int8Region = allocator.allocateInt8(int8Largest);
    }
    return int8Views.computeIfAbsent(new Span(offset, length),
        sp -> int8Region.slice(Math.toIntExact(sp.offset()), Math.toIntExact(sp.length())));
  }

  /**
   * Elements [0, elements) of the slot that does not hold {@code avoid} (slot 0 when {@code avoid}
   * is no slot of this network, e.g. a layer's own buffer).
   */
  Float32Buffer other(Float32Buffer avoid, long elements) {
    if (elements > largest) {
      throw new IllegalStateException(
          "shared activation of " + elements + " elements, reserved " + largest);
    }
    if (slots[0] == null) {
      slots[0] = allocator.allocateFloat32(largest);
      slots[1] = allocator.allocateFloat32(largest);
    }
    Integer held = avoid == null ? null : slotOfView.get(avoid);
    int slot = held != null && held == 0 ? 1 : 0;
    Float32Buffer[] views = viewsByLength.computeIfAbsent(elements, n -> new Float32Buffer[2]);
    if (views[slot] == null) {
      views[slot] = slots[slot].slice(0, Math.toIntExact(elements));
      slotOfView.put(views[slot], slot);
    }
    return views[slot];
  }

  /** Whether {@code buffer} is a view of one of the slots. */
  boolean holds(Float32Buffer buffer) {
    return buffer != null && slotOfView.containsKey(buffer);
  }

  @Override
  public void close() {
    for (int i = 0; i < slots.length; i++) {
      if (slots[i] != null) {
        slots[i].close();
        slots[i] = null;
      }
    }
    slotOfView.clear();
    viewsByLength.clear();
    if (int8Region != null) {
      int8Region.close();
      int8Region = null;
    }
    int8Views.clear();
  }
}
