package io.sparkint8.kernels.cuda;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The argument list of one kernel launch, typed so that it can be checked against the kernel's PTX
 * signature before it reaches the driver (a mismatch there is undefined behaviour on the GPU, not an
 * error). Type codes: {@code p} device pointer (64-bit address, 0 for null), {@code i} 32-bit int,
 * {@code l} 64-bit int, {@code f} float, {@code d} double.
 */
public final class KernelArgs {
  private final StringBuilder types = new StringBuilder();
  private final List<Object> values = new ArrayList<>();

  /** A device buffer's address; null passes a null pointer (optional kernel operands). */
  public KernelArgs ptr(DeviceBuffer buffer) {
    return add('p', buffer == null ? 0L : buffer.address());
  }

  public KernelArgs i32(int value) {
    return add('i', value);
  }

  public KernelArgs i64(long value) {
    return add('l', value);
  }

  public KernelArgs f32(float value) {
    return add('f', value);
  }

  private KernelArgs add(char type, Object value) {
    types.append(type);
    values.add(value);
    return this;
  }

  /** The type codes in order, e.g. "pipi". */
  public String signature() {
    return types.toString();
  }

  /** The values in order: Long for p and l, Integer, Float, Double. */
  public List<Object> values() {
    return Collections.unmodifiableList(values);
  }

  /** The pointer arguments' addresses in order (0 for null). */
  public List<Long> pointers() {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      if (types.charAt(i) == 'p') {
        out.add((Long) values.get(i));
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return types + values.toString();
  }
}
