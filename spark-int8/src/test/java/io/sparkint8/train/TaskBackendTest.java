package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

/** A task asking for cuda runs on the GPU Spark assigned to it; other backends pass through. */
class TaskBackendTest {

  private static Map<String, ResourceInformation> gpus(String... addresses) {
    return Map.of("gpu", new ResourceInformation("gpu", addresses));
  }

  @Test
  void theTasksFirstGpuAddressIsTheDeviceOrdinal() {
    assertEquals("cuda:1", TaskBackend.resolve("cuda", gpus("1")));
    assertEquals("cuda:0", TaskBackend.resolve("cuda", gpus(" 0 ", "3")));
  }

  @Test
  void withoutAnAssignedGpuTheNameStays() {
    assertEquals("cuda", TaskBackend.resolve("cuda", Map.of()));
    assertEquals("cuda", TaskBackend.resolve("cuda", gpus()));
    assertEquals("cuda", TaskBackend.resolve("cuda", null));
    // outside a task (driver side, local tests) there is no TaskContext
    assertEquals("cuda", TaskBackend.resolve("cuda"));
  }

  @Test
  void otherBackendsIgnoreGpus() {
    assertEquals("native", TaskBackend.resolve("native"));
    assertEquals("auto", TaskBackend.resolve("auto"));
    assertNull(TaskBackend.resolve(null));
  }

  @Test
  void aNonNumericAddressIsAClearError() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> TaskBackend.resolve("cuda", gpus("GPU-8f2a")));
    assertTrue(e.getMessage().contains("GPU-8f2a"), e.getMessage());
  }
}
