package io.sparkint8.quant;

import static org.junit.jupiter.api.Assertions.fail;

import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.Int8Backend;
import java.util.ArrayList;
import java.util.List;

/**
 * The backends a quant test runs on: the Java reference always, the native one where it loads.
 * Where it does not, the reason is printed, unless -Dint8.requireNative=true makes that a failure.
 */
final class TestBackends {
  private TestBackends() {}

  static List<Int8Backend> all() {
    List<Int8Backend> out = new ArrayList<>();
    out.add(new JavaBackend());
    Int8Backend nat = nativeOrNull();
    if (nat != null) {
      out.add(nat);
    }
    return out;
  }

  static Int8Backend nativeOrNull() {
    String reason = NativeBackend.unavailableReason();
    if (reason == null) {
      return NativeBackend.create();
    }
    if (Boolean.getBoolean("int8.requireNative")) {
      fail("native backend required but unavailable: " + reason);
    }
    System.out.println("quant tests: native backend not tested: " + reason);
    return null;
  }
}
