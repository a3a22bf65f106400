package io.sparkint8.ml;

import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.ModelState;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;

/** Untrained models built without Spark, for tests of the Params and schemas of the model. */
final class TinyModels {
  private TinyModels() {}

  /** The freshly initialised state of {@code spec} for 8x1x1 inputs and 4 classes. */
  static ModelState state(String spec) {
    try (OffHeapAllocator alloc = new OffHeapAllocator("TinyModels");
        Network net = Network.build(NetworkSpec.parse(spec, Blobs.CLASSES),
            Shape.chw(Blobs.DIM, 1, 1), 1,
            new LayerContext(new JavaBackend(), alloc, EngineConfig.defaults(Precision.INT8)))) {
      return ModelState.capture(net);
    }
  }

  /** An untrained fc(16)-relu-fc model with the given uid and no summary. */
  static Int8ClassificationModel model(String uid) {
    return new Int8ClassificationModel(uid, state(Blobs.NETWORK), null);
  }
}
