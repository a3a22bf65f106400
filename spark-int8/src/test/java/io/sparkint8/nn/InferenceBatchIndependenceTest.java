package io.sparkint8.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * In inference an int8 network quantizes every example with its own scale, so an example's logits
 * are bit-identical whatever else shares its batch (a model must not predict a row differently
 * because of how a DataFrame was partitioned). Training keeps one scale per batch.
 */
class InferenceBatchIndependenceTest {
  @Test
  void logitsOfARowDoNotDependOnItsBatch() {
    Shape in = Shape.chw(1, 12, 12);
    int batch = 8;
    SplittableRandom rnd = new SplittableRandom(5);
    float[] x = new float[batch * in.size()];
    for (int i = 0; i < x.length; i++) {
      // rows on very different scales: a shared scale would crush the small ones
      x[i] = (float) (GemmCore.gaussian(rnd) * (1 + 20 * ((i / in.size()) % 3)));
    }
    EngineConfig cfg = EngineConfig.defaults(Precision.INT8);
    try (OffHeapAllocator alloc = new OffHeapAllocator("batch-independence");
        Network net = Network.build(
            NetworkSpec.parse("conv(4,3,p=1)-bn-relu-maxpool(2)-fc(8)-relu-fc", 3), in, batch,
            new LayerContext(Backends.get(), alloc, cfg));
        Float32Buffer all = alloc.allocateFloat32(x.length).copyFrom(x);
        Float32Buffer one = alloc.allocateFloat32(in.size())) {
      float[] together = net.forward(all, batch, false).toArray();
      for (int r = 0; r < batch; r++) {
        one.copyFrom(Arrays.copyOfRange(x, r * in.size(), (r + 1) * in.size()));
        float[] alone = Arrays.copyOf(net.forward(one, 1, false).toArray(), 3);
        assertArrayEquals(Arrays.copyOfRange(together, r * 3, r * 3 + 3), alone,
            "logits of row " + r + " alone vs in a batch of " + batch);
      }
      // the guard: with one scale per batch (training mode) the rows would not be independent
      float[] train = net.forward(all, batch, true).toArray();
      boolean differsFromTraining = !Arrays.equals(Arrays.copyOf(train, batch * 3),
          Arrays.copyOf(together, batch * 3));
      assertTrue(differsFromTraining, "training and inference forward should differ here");
    }
  }
}
