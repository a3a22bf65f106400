package io.sparkint8.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Device buffers have one owner: accounting, idempotent close, use after close, leaks reported. */
class DeviceAllocatorTest {
  FakeCudaDriver driver;
  CudaDevice device;

  @BeforeEach
  void open() {
    driver = new FakeCudaDriver(FakeCudaDriver.h100(0));
    device = CudaDevice.open(driver, 0, TestPtx.INSTANCE, null);
  }

  @AfterEach
  void close() {
    device.close();
    assertEquals(0, driver.liveAllocations(), "device memory left after the device closed");
  }

  @Test
  void buffersAreZeroedCountedAndFreedOnce() {
    try (DeviceAllocator alloc = device.newAllocator("t")) {
      DeviceBuffer b = alloc.allocate(DType.F32, 100);
      assertEquals(400, alloc.allocatedBytes());
      assertEquals(1, alloc.openBuffers());
      ByteBuffer host = ByteBuffer.allocateDirect(400).order(ByteOrder.nativeOrder());
      host.putFloat(0, 7f);
      device.download(host, b, 400);
      assertEquals(0f, host.getFloat(0), "allocations start zeroed");
      int before = driver.liveAllocations();
      b.close();
      b.close(); // idempotent
      assertEquals(before - 1, driver.liveAllocations());
      assertEquals(0, alloc.allocatedBytes());
      assertThrows(IllegalStateException.class, b::address);
      assertThrows(IllegalStateException.class, b::length);
    }
  }

  @Test
  void viewsShareMemoryAndDieWithTheirParent() {
    try (DeviceAllocator alloc = device.newAllocator("t")) {
      DeviceBuffer b = alloc.allocate(DType.S8, 64);
      DeviceBuffer v = b.view(DType.S32, 16, 4);
      assertEquals(b.address() + 16, v.address());
      v.close(); // a view frees nothing
      assertEquals(1, alloc.openBuffers());
      DeviceBuffer w = b.view(DType.F32, 0, 16);
      assertThrows(IllegalArgumentException.class, () -> b.view(DType.S32, 2, 1), "misaligned");
      assertThrows(IllegalArgumentException.class, () -> b.view(DType.S32, 0, 17), "too long");
      b.close();
      assertTrue(w.isClosed());
      assertThrows(IllegalStateException.class, w::address);
    }
  }

  @Test
  void closingWithOpenBuffersFreesThemAndReportsTheLeak() {
    DeviceAllocator alloc = device.newAllocator("leaky");
    alloc.allocate(DType.S8, 10);
    alloc.allocate(DType.S64, 3);
    int live = driver.liveAllocations();
    IllegalStateException e = assertThrows(IllegalStateException.class, alloc::close);
    assertTrue(e.getMessage().contains("2 open buffer(s)"), e.getMessage());
    assertEquals(live - 2, driver.liveAllocations());
    alloc.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> alloc.allocate(DType.S8, 1));
  }

  @Test
  void freeingWaitsForTheStream() {
    try (DeviceAllocator alloc = device.newAllocator("t")) {
      DeviceBuffer b = alloc.allocate(DType.S8, 10);
      driver.events().clear();
      b.close();
      assertEquals(java.util.List.of("sync", "free"), driver.events());
    }
  }

  @Test
  void badSizesAreRejected() {
    try (DeviceAllocator alloc = device.newAllocator("t")) {
      assertThrows(IllegalArgumentException.class, () -> alloc.allocate(DType.S8, 0));
      assertThrows(IllegalArgumentException.class, () -> alloc.allocate(null, 1));
      DeviceBuffer b = alloc.allocate(DType.S8, 8);
      ByteBuffer host = ByteBuffer.allocateDirect(4);
      assertThrows(IllegalArgumentException.class, () -> device.download(host, b, 8));
      assertThrows(IllegalArgumentException.class, () -> device.upload(b, host, 16));
      b.close();
    }
  }
}
