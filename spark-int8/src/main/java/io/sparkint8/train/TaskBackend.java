package io.sparkint8.train;

import java.util.Locale;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The kernel backend a Spark task runs on. For {@code cuda} it is the GPU Spark's resource scheduling
 * assigned to the task ({@code spark.task.resource.gpu.amount} with a discovery script on the executors:
 * {@code TaskContext.resources().get("gpu")}, whose first address is the device ordinal), else GPU 0 (or
 * {@code -Dint8.cuda.device}) where Spark assigns none, e.g. in local mode. Other names pass through.
 * Kept apart from the engine so that the engine packages stay free of Spark.
 */
final class TaskBackend {
  private TaskBackend() {}

  /** The backend name to build with: "cuda:N" for a task holding GPU N, else {@code backend}. */
  static String resolve(String backend) {
    if (backend == null || !backend.trim().toLowerCase(Locale.ROOT).equals("cuda")) {
      return backend;
    }
    TaskContext task = TaskContext.get();
    if (task == null) {
      return backend;
    }
    return resolve(backend, task.resourcesJMap());
  }

  /** As above for a task's resource map (the testable part). */
  static String resolve(String backend, Map<String, ResourceInformation> resources) {
    ResourceInformation gpu = resources == null ? null : resources.get("gpu");
    if (gpu == null || gpu.addresses().length == 0) {
      return backend;
    }
    String address = gpu.addresses()[0].trim();
    try {
      return "cuda:" + Integer.parseInt(address);
    } catch (NumberFormatException e) {
      throw new IllegalStateException("spark-int8: the task's GPU address '" + address
          + "' is not a device ordinal (the discovery script must report CUDA ordinals such as "
          + "\"0\")", e);
    }
  }
}
