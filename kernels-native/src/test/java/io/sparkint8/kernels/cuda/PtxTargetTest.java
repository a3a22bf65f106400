package io.sparkint8.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which PTX a device runs, where PTX is read from, and the PTX entry parser; no GPU involved. */
class PtxTargetTest {

  @Test
  void theNewestTargetNotNewerThanTheDeviceIsChosen() {
    assertEquals(PtxTarget.SM_75, PtxTarget.forCapability(75)); // T4
    assertEquals(PtxTarget.SM_80, PtxTarget.forCapability(80)); // A100
    assertEquals(PtxTarget.SM_80, PtxTarget.forCapability(86)); // A10, RTX 30xx
    assertEquals(PtxTarget.SM_80, PtxTarget.forCapability(89)); // L4, RTX 40xx
    assertEquals(PtxTarget.SM_90, PtxTarget.forCapability(90)); // H100, H200
    assertEquals(PtxTarget.SM_90, PtxTarget.forCapability(100)); // B200 runs the sm_90 PTX by JIT
    assertEquals("sm_90-mma", PtxTarget.SM_90.isa());
    assertEquals("sm_75-dp4a", PtxTarget.SM_75.isa());
    assertEquals("int8k_sm_80.ptx", PtxTarget.SM_80.fileName());
  }

  @Test
  void devicesOlderThanTuringAreRejectedWithTheReason() {
    CudaUnavailableException e =
        assertThrows(CudaUnavailableException.class, () -> PtxTarget.forCapability(70));
    assertTrue(e.getMessage().contains("sm_70") && e.getMessage().contains("sm_75"), e.getMessage());
  }

  @Test
  void aForcedTargetMayOnlyBeOlder() {
    assertEquals(PtxTarget.SM_75, PtxTarget.select(90, "sm_75"));
    assertEquals(PtxTarget.SM_80, PtxTarget.select(90, " SM_80 "));
    assertEquals(PtxTarget.SM_90, PtxTarget.select(90, null));
    assertTrue(assertThrows(CudaUnavailableException.class, () -> PtxTarget.select(80, "sm_90"))
        .getMessage().contains("newer than the GPU"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PtxTarget.select(90, "sm_86"))
        .getMessage().contains(PtxTarget.PROPERTY));
  }

  @Test
  void theTensorCoreGemmIsOnlyInTheSm80AndNewerTables() {
    assertTrue(!CudaKernel.GEMM_S8_MMA.availableOn(PtxTarget.SM_75));
    assertTrue(CudaKernel.GEMM_S8_MMA.availableOn(PtxTarget.SM_80));
    assertTrue(CudaKernel.GEMM_S8_DP4A.availableOn(PtxTarget.SM_90));
    assertEquals(CudaKernel.values().length - 1, CudaKernel.on(PtxTarget.SM_75).size());
    assertEquals(CudaKernel.values().length, CudaKernel.on(PtxTarget.SM_90).size());
  }

  @Test
  void aMissingPtxIsReportedWithWhatToDo() throws IOException {
    Path empty = Files.createTempDirectory("no-ptx");
    try {
      CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
          () -> PtxSource.directory(empty).load(PtxTarget.SM_90));
      assertTrue(e.getMessage().contains("int8k_sm_90.ptx"), e.getMessage());
    } finally {
      Files.delete(empty);
    }
  }

  @Test
  void aPtxDirectoryIsReadWhenItHoldsTheFile() throws IOException {
    Path dir = Files.createTempDirectory("ptx");
    Path f = dir.resolve(PtxTarget.SM_80.fileName());
    try {
      Files.writeString(f, TestPtx.synthetic(PtxTarget.SM_80));
      String text = PtxSource.directory(dir).load(PtxTarget.SM_80);
      assertTrue(PtxEntries.parse(text).entries().containsKey("int8k_gemm_s8_mma"));
    } finally {
      Files.delete(f);
      Files.delete(dir);
    }
  }

  @Test
  void entriesAndParameterTypesAreParsedAndChecked() {
    String ptx = "// Cuda compilation tools, release 13.0, V13.0.88\n"
        + ".visible .entry k_a(\n\t.param .u64 k_a_param_0,\n\t.param .u32 k_a_param_1,\n"
        + "\t.param .f32 k_a_param_2\n)\n.maxntid 256, 1, 1\n{\n}\n"
        + ".visible .entry k_b()\n{\n}\n"
        + ".entry k_c(\n\t.param .align 8 .b64 k_c_param_0\n)\n";
    PtxEntries e = PtxEntries.parse(ptx);
    assertEquals(List.of("u64", "u32", "f32"), e.entries().get("k_a"));
    assertEquals(List.of(), e.entries().get("k_b"));
    assertEquals(List.of("b64"), e.entries().get("k_c"));
    assertEquals("Cuda compilation tools, release 13.0, V13.0.88", e.toolkit());
    assertNull(e.mismatch("k_a", "pif"));
    assertNull(e.mismatch("k_a", "lif"));
    assertTrue(e.mismatch("k_a", "pi").contains("takes 3 parameters"));
    assertTrue(e.mismatch("k_a", "pff").contains("parameter 1"));
    assertTrue(e.mismatch("k_z", "").contains("no .entry k_z"));
  }

  @Test
  void theStandInPtxMatchesTheTable() {
    for (PtxTarget t : PtxTarget.values()) {
      PtxEntries e = PtxEntries.parse(TestPtx.synthetic(t));
      for (CudaKernel k : CudaKernel.on(t)) {
        assertNull(e.mismatch(k.entry(), k.signature()), k.toString());
      }
    }
  }
}
