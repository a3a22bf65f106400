package io.sparkint8.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.spi.Int8Backend;
import org.junit.jupiter.api.Test;

/** Selecting the GPU backend by name: an error with the reason where it cannot run; never by auto. */
class CudaSelectionTest {

  @Test
  void cudaByNameRunsOrSaysWhyNot() {
    String reason = CudaBackend.unavailableReason(CudaBackend.defaultDevice());
    if (reason == null) {
      Int8Backend be = Backends.byName("cuda");
      assertEquals("cuda", be.name());
      assertTrue(be.isa().startsWith("sm_"), be.isa());
    } else {
      System.out.println("cuda unavailable here: " + reason);
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> Backends.byName(" CUDA "));
      assertEquals("int8.backend=cuda is unavailable: " + reason, e.getMessage());
      // a device that does not exist names the same first obstacle, or the ordinal
      assertThrows(IllegalStateException.class, () -> Backends.byName("cuda:7"));
    }
  }

  @Test
  void badCudaNamesAreRejected() {
    for (String bad : new String[] {"cuda:", "cuda:-1", "cuda:x", "gpu"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Backends.byName(bad));
      assertTrue(e.getMessage().contains("int8.backend=" + bad), e.getMessage());
    }
  }

  @Test
  void autoNeverPicksTheGpu() {
    assertNotEquals("cuda", Backends.byName("auto").name());
  }
}
