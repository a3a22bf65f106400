package io.sparkint8.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import org.junit.jupiter.api.Test;

/**
 * Module loading up to the driver call, on the fake driver: device checks, the PTX of the right target
 * handed to cuModuleLoadData, kernel lookup by name (cached), launch checks, and a clean close.
 */
class CudaDeviceTest {

  private static CudaDevice open(FakeCudaDriver driver, String forced) {
    return CudaDevice.open(driver, 0, TestPtx.INSTANCE, forced);
  }

  @Test
  void anH100LoadsTheSm90PtxAndLooksKernelsUpOnce() {
    FakeCudaDriver driver = new FakeCudaDriver(FakeCudaDriver.h100(0));
    try (CudaDevice d = open(driver, null)) {
      assertEquals(PtxTarget.SM_90, d.target());
      assertEquals(1, driver.loadedPtx().size());
      assertTrue(driver.loadedPtx().get(0).contains(".target sm_90"));
      assertEquals(1, driver.retainedContexts());
      DeviceBuffer out = d.scratch(ScratchSlot.STAGE0, DType.S8, 16);
      KernelArgs args = new KernelArgs().i64(16).ptr(out).ptr(out).ptr(out);
      d.launch(CudaKernel.RELU, LaunchDims.elementwise(16, 256), args);
      d.launch(CudaKernel.RELU, LaunchDims.elementwise(16, 256), args);
      assertEquals(Collections.frequency(driver.lookedUp(), "int8k_relu"), 1, "cached lookup");
      assertEquals(2, driver.launches().size());
    }
    assertEquals(0, driver.retainedContexts(), "context released");
    assertEquals(0, driver.liveModules(), "module unloaded");
    assertEquals(0, driver.liveStreams(), "stream destroyed");
    assertEquals(0, driver.liveAllocations(), "scratch freed");
  }

  @Test
  void anOlderDeviceOrAForcedTargetLoadsItsOwnPtx() {
    FakeCudaDriver ampere = new FakeCudaDriver(FakeCudaDriver.withCapability(8, 6));
    try (CudaDevice d = open(ampere, null)) {
      assertEquals(PtxTarget.SM_80, d.target());
      assertTrue(ampere.loadedPtx().get(0).contains(".target sm_80"));
    }
    FakeCudaDriver forced = new FakeCudaDriver(FakeCudaDriver.h100(0));
    try (CudaDevice d = open(forced, "sm_75")) {
      assertEquals("sm_75-dp4a", d.target().isa());
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> d.launch(CudaKernel.GEMM_S8_MMA, LaunchDims.of(1, 256, 0), new KernelArgs()));
      assertTrue(e.getMessage().contains("not in the sm_75 PTX"), e.getMessage());
    }
  }

  @Test
  void whyCudaCannotRunIsReported() {
    FakeCudaDriver noLib = new FakeCudaDriver().failingInit(
        "the CUDA driver library libcuda.so.1 is not installed (no NVIDIA driver on this machine)");
    assertTrue(assertThrows(CudaUnavailableException.class, () -> open(noLib, null))
        .getMessage().contains("libcuda.so.1"));
    assertTrue(assertThrows(CudaUnavailableException.class, () -> open(new FakeCudaDriver(), null))
        .getMessage().contains("sees no GPU"));
    FakeCudaDriver one = new FakeCudaDriver(FakeCudaDriver.h100(0));
    assertTrue(assertThrows(CudaUnavailableException.class,
        () -> CudaDevice.open(one, 3, TestPtx.INSTANCE, null)).getMessage()
        .contains("GPU 3 was requested, the driver sees 1"));
    FakeCudaDriver volta = new FakeCudaDriver(FakeCudaDriver.withCapability(7, 0));
    assertTrue(assertThrows(CudaUnavailableException.class, () -> open(volta, null))
        .getMessage().contains("sm_70"));
  }

  @Test
  void aPtxTheDriverRejectsIsReportedAndTheContextReleased() {
    FakeCudaDriver old = new FakeCudaDriver(FakeCudaDriver.h100(0)).failingModuleLoad(
        new CudaException(222, "cuModuleLoadData: CUDA_ERROR_UNSUPPORTED_PTX_VERSION"));
    CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> open(old, null));
    assertTrue(e.getMessage().contains("UNSUPPORTED_PTX_VERSION") && e.getMessage().contains("sm_90"),
        e.getMessage());
    assertEquals(0, old.retainedContexts());
  }

  @Test
  void aPtxLackingAKernelOfTheTableIsRejectedBeforeLoading() {
    PtxSource truncated = new PtxSource() {
      @Override
      public String load(PtxTarget target) {
        String full = TestPtx.INSTANCE.load(target);
        return full.replace("int8k_quantize(", "int8k_quantize_old(");
      }

      @Override
      public String describe() {
        return "truncated";
      }
    };
    FakeCudaDriver driver = new FakeCudaDriver(FakeCudaDriver.h100(0));
    CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
        () -> CudaDevice.open(driver, 0, truncated, null));
    assertTrue(e.getMessage().contains("int8k_quantize"), e.getMessage());
    assertEquals(0, driver.retainedContexts());
    assertEquals(0, driver.loadedPtx().size());
  }

  @Test
  void launchesAreCheckedBeforeTheDriverSeesThem() {
    FakeCudaDriver driver = new FakeCudaDriver(FakeCudaDriver.h100(0));
    try (CudaDevice d = open(driver, null)) {
      DeviceBuffer b = d.scratch(ScratchSlot.STAGE0, DType.F32, 4);
      // wrong argument types: a float where the kernel takes a pointer
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.launch(
          CudaKernel.RELU_BACKWARD, LaunchDims.of(1, 256, 0),
          new KernelArgs().i64(4).f32(1f).ptr(b).ptr(b)));
      assertTrue(e.getMessage().contains("parameter 1"), e.getMessage());
      // too much shared memory for the device
      e = assertThrows(IllegalStateException.class, () -> d.launch(CudaKernel.GEMM_S8_MMA,
          LaunchDims.of(1, 256, 300_000), new KernelArgs().ptr(b).i32(16).ptr(b).i32(16).ptr(b)
              .i32(1).i32(1).i32(1).i32(1).i32(1).i32(0).f32(1).ptr(null).ptr(null).ptr(null)
              .f32(0)));
      assertTrue(e.getMessage().contains("shared memory"), e.getMessage());
      assertEquals(0, driver.launches().size());
      // more than 48 KiB but within the opt-in limit: the attribute is set once
      KernelArgs ok = new KernelArgs().ptr(b).i32(16).ptr(b).i32(16).ptr(b).i32(1).i32(1).i32(1)
          .i32(1).i32(1).i32(0).f32(1).ptr(null).ptr(null).ptr(null).f32(0);
      d.launch(CudaKernel.GEMM_S8_MMA, LaunchDims.of(1, 256, 64 * 1024), ok);
      d.launch(CudaKernel.GEMM_S8_MMA, LaunchDims.of(1, 256, 64 * 1024), ok);
      assertEquals(1, driver.events().stream().filter(s -> s.startsWith("optin")).count());
    }
  }

  @Test
  void gridsAndBlocksOutsideTheHardwareLimitsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> LaunchDims.of(1L << 31, 256, 0));
    assertThrows(IllegalArgumentException.class, () -> LaunchDims.of(0, 256, 0));
    assertThrows(IllegalArgumentException.class, () -> new LaunchDims(1, 32, 64, 1, 0));
    assertEquals(LaunchDims.MAX_EW_BLOCKS, LaunchDims.elementwise(Integer.MAX_VALUE, 256).gridX());
    assertEquals(1, LaunchDims.elementwise(1, 256).gridX());
  }

  @Test
  void scratchGrowsAndInvalidatesOlderViews() {
    FakeCudaDriver driver = new FakeCudaDriver(FakeCudaDriver.h100(0));
    try (CudaDevice d = open(driver, null)) {
      DeviceBuffer small = d.scratch(ScratchSlot.STAGE0, DType.F32, 10);
      DeviceBuffer same = d.scratch(ScratchSlot.STAGE0, DType.S8, 40);
      assertEquals(small.address(), same.address(), "a fitting request reuses the allocation");
      DeviceBuffer big = d.scratch(ScratchSlot.STAGE0, DType.F32, 1000);
      assertTrue(small.isClosed(), "the grown slot's older views are dead");
      assertThrows(IllegalStateException.class, small::address);
      assertEquals(1000, big.length());
      int syncsBeforeFree = driver.events().lastIndexOf("free");
      assertTrue(syncsBeforeFree > 0 && driver.events().get(syncsBeforeFree - 1).equals("sync"),
          "the old allocation is freed only after the stream drained: " + driver.events());
      assertSame(d, big.device());
    }
  }
}
