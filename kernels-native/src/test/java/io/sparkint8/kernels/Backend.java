package io.sparkint8.kernels;

import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.Int8Backend;
import java.util.ArrayList;
import java.util.List;

/** The backends a property test runs on: the reference always, the native one where it can run. */
public final class Backend {
  private Backend() {}

  public static List<Int8Backend> all() {
    List<Int8Backend> list = new ArrayList<>();
    list.add(new JavaBackend());
    String reason = NativeBackend.unavailableReason();
    if (reason == null) {
      list.add(NativeBackend.create());
    } else if (Boolean.getBoolean("int8.requireNative")) {
      throw new IllegalStateException("native backend required but unavailable: " + reason);
    } else {
      System.out.println("native backend not tested: " + reason);
    }
    return list;
  }
}
