package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.ml.SparkTestSession;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.junit.jupiter.api.Test;

/** Closing the reaper leaves every broadcast it was given destroyed, its blocks gone. */
class BroadcastReaperTest {
  @Test
  void closeWaitsUntilEveryBroadcastIsDestroyed() throws InterruptedException {
    JavaSparkContext jsc =
        JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    List<Broadcast<byte[]>> all = new ArrayList<>();
    try (BroadcastReaper reaper = new BroadcastReaper("reaper-test")) {
      for (int i = 0; i < 5; i++) {
        byte[] payload = new byte[100_000 + i];
        payload[i] = (byte) i;
        Broadcast<byte[]> bc = jsc.broadcast(payload);
        assertArrayEquals(payload, bc.value());
        all.add(bc);
        reaper.destroyLater(bc);
      }
    }
    for (Broadcast<byte[]> bc : all) {
      assertThrows(Exception.class, bc::value, "broadcast " + bc.id() + " is still readable");
    }
    // destroying is a request: the block manager removes the blocks shortly after
    long deadline = System.nanoTime() + 20_000_000_000L;
    List<Long> held = held(all);
    while (!held.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
      held = held(all);
    }
    assertTrue(held.isEmpty(), "broadcasts " + held + " still hold blocks 20 s after close");
  }

  private static List<Long> held(List<Broadcast<byte[]>> all) {
    List<Long> out = new ArrayList<>();
    for (Broadcast<byte[]> bc : all) {
      String name = "broadcast_" + bc.id();
      if (!SparkEnv.get().blockManager().getMatchingBlockIds(
          b -> b.name().equals(name) || b.name().startsWith(name + "_")).isEmpty()) {
        out.add(bc.id());
      }
    }
    return out;
  }
}
