package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import io.sparkint8.kernels.jni.NativeBackend;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the native backend for a test. Where it cannot run the test is skipped with the reason printed,
 * unless the build requires it (-Dint8.requireNative=true, set whenever Maven built the library), in
 * which case the test fails: a broken native build must never pass as "skipped".
 */
public final class NativeTestSupport {
  private NativeTestSupport() {}

  public static NativeBackend nativeBackend() {
    String reason = NativeBackend.unavailableReason();
    if (reason != null) {
      if (Boolean.getBoolean("int8.requireNative")) {
        fail("native backend required but unavailable: " + reason);
      }
      System.out.println("SKIPPED native tests: " + reason);
      Assumptions.assumeTrue(false, reason);
    }
    return NativeBackend.create();
  }
}
