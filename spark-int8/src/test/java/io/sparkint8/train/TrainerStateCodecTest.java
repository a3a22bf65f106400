package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.ModelState;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.OptimizerState;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The trainer part of a checkpoint round-trips bit for bit and refuses damaged bytes. */
class TrainerStateCodecTest {

  private static ModelState model() {
    try (OffHeapAllocator alloc = new OffHeapAllocator("TrainerStateCodecTest");
        Network net = Network.build(NetworkSpec.parse("fc(4)-relu-fc", 3), Shape.chw(5, 1, 1), 1,
            new LayerContext(new JavaBackend(), alloc, EngineConfig.defaults(Precision.INT8)))) {
      return ModelState.capture(net);
    }
  }

  private static TrainerState state(float[] scales) {
    Map<String, float[]> buffers = new TreeMap<>();
    buffers.put("momentum/fc0.weight", new float[] {1.5f, -0f, Float.MIN_VALUE, 3e-38f});
    buffers.put("momentum/fc0.bias", new float[] {0x1p-60f});
    EpochSummary e = new EpochSummary(1, 4, 1.25, 0.5, Double.NaN, 2, 2, 100, 64, List.of("0:fc"),
        new double[] {0.1}, new double[] {0.9}, 7L, 1);
    return new TrainerState(2, 8, 4.75, model(), new OptimizerState("sgd", 8, buffers), scales,
        List.of(e, e));
  }

  @Test
  void roundTripsEveryBit() throws IOException {
    TrainerState s = state(new float[] {0.5f, 0x1p-60f, 3.25e-7f});
    byte[] bytes = TrainerStateCodec.encode(s);
    TrainerState back = TrainerStateCodec.decode(bytes, s.model(), s.epochs());
    assertEquals(2, back.epochsDone());
    assertEquals(8, back.step());
    assertEquals(4.75, back.elapsedSeconds());
    assertArrayEquals(s.scales(), back.scales());
    assertEquals(s.optimizer(), back.optimizer());
    assertSame(s.model(), back.model());
    assertArrayEquals(bytes, TrainerStateCodec.encode(back));
    // no scales: the next step aggregates in fp32
    TrainerState none = state(null);
    assertNull(TrainerStateCodec.decode(TrainerStateCodec.encode(none), none.model(),
        none.epochs()).scales());
  }

  @Test
  void damagedBytesAreRefused() {
    TrainerState s = state(new float[] {0.5f});
    byte[] bytes = TrainerStateCodec.encode(s);
    IOException e = assertThrows(IOException.class, () -> TrainerStateCodec.decode(
        Arrays.copyOf(bytes, bytes.length - 1), s.model(), s.epochs()));
    assertTrue(e.getMessage().startsWith("truncated trainer state"), e.getMessage());
    byte[] flipped = bytes.clone();
    flipped[30] ^= 1;
    e = assertThrows(IOException.class,
        () -> TrainerStateCodec.decode(flipped, s.model(), s.epochs()));
    assertTrue(e.getMessage().contains("CRC32 mismatch"), e.getMessage());
    byte[] magic = bytes.clone();
    magic[0] = 'X';
    e = assertThrows(IOException.class,
        () -> TrainerStateCodec.decode(magic, s.model(), s.epochs()));
    assertTrue(e.getMessage().contains("not a spark-int8 trainer state"), e.getMessage());
  }
}
