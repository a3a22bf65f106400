package io.sparkint8.step;

import io.sparkint8.labels.Labelled;

/**
 * The kernel backend a training task builds its network on, by the name the kernels' {@code
 * Backends.byName} takes. An explicit choice that cannot load is an error; {@link #AUTO} never
 * picks the GPU.
 */
public enum KernelBackend implements Labelled {
  AUTO("auto", "native when it loads, else the Java reference"),
  JAVA("java", ""),
  NATIVE("native", ""),
  CUDA("cuda", "the GPU Spark assigned to the task through spark.task.resource.gpu.amount, else "
      + "GPU 0");

  private final String label;
  private final String note;

  KernelBackend(String label, String note) {
    this.label = label;
    this.note = note;
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public String note() {
    return note;
  }

  /** The label, so that messages and records print what users write. */
  @Override
  public String toString() {
    return label;
  }

  /** The backend labelled {@code s} (case-insensitive). */
  public static KernelBackend parse(String s) {
    return Labelled.parse(KernelBackend.class, "backend", s);
  }
}
