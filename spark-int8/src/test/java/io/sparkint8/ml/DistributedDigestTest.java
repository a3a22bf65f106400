package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkint8.nn.ModelState;
import io.sparkint8.train.EpochSummary;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Pins the bits of a distributed fit (the driver's step loop, the tasks' slicing, the int8 and fp32
 * aggregation, the optimizer and the running statistics): a SHA-256 over the fitted model's
 * parameters, running BN statistics and clipping states after one epoch of 512 Fashion-MNIST rows in
 * 2 partitions. A refactoring keeps these digests; a change of numerics on purpose updates them and
 * says so. The fp32 case runs on the Java reference backend (the native fp32 GEMM gives the same bits,
 * which TrainingDigestTest checks).
 */
class DistributedDigestTest {

  static String sha256(ModelState s) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (String name : s.parameterNames()) {
      float[] w = s.parameter(name);
      ByteBuffer b = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(w);
      md.update(b);
    }
    for (String bn : s.batchNormNames()) {
      update(md, s.runningMean(bn));
      update(md, s.runningScale(bn));
    }
    for (String layer : s.clippingLayers()) {
      md.update(s.clippingState(layer).strategy().getBytes(StandardCharsets.UTF_8));
      update(md, new double[] {s.clippingState(layer).steps()});
      update(md, s.clippingState(layer).values());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void update(MessageDigest md, double[] v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(v);
    md.update(b);
  }

  // the threads of a task split its GEMMs, never its sums: 3 threads give the bits of 1
  @ParameterizedTest(name = "{0} {1} {2} {3} threads={4}")
  @CsvSource({
    "cnn-small, int8, sgd, auto, 1, 61e7ddb2b57696afb67574635cc6d4788a6aaa8d02178535f85b9be8ac77e23f",
    "cnn-small, int8, sgd, auto, 3, 61e7ddb2b57696afb67574635cc6d4788a6aaa8d02178535f85b9be8ac77e23f",
    "resnet8, int8, lars, auto, 1, c638cd4b1118584cbc073c44cb5e9da378f314e446f24d92a525524a1f7d8058",
    "cnn-small, fp32, sgd, java, 1, fe40edfbe4c8f88e1a37f65f3996e1d3d68814f2219b78abb781acc9eb895fef",
  })
  void distributedTrainingBitsAreUnchanged(String network, String precision, String optimizer,
      String backend, int threads, String expected) throws Exception {
    Dataset<Row> train = SparkTestSession.fashion(512, false, 2);
    Int8Classifier c = new Int8Classifier()
        .setInputShape(new int[] {1, 28, 28})
        .setNetwork(network)
        .setPrecision(precision)
        .setOptimizer(optimizer)
        .setAggregationPrecision(precision.equals("fp32") ? "fp32" : "int8")
        .setBackend(backend)
        .setThreads(threads)
        .setBatchSize(128)
        .setClipUpdateInterval(2)
        .setWarmupEpochs(0.5)
        .setMaxEpochs(1)
        .setSeed(2024);
    Int8ClassificationModel model = c.fit(train);
    String digest = sha256(model.modelState());
    EpochSummary last = model.summary().epochs().get(model.summary().totalEpochs() - 1);
    System.out.println("digest distributed " + network + " " + precision + " " + optimizer + " "
        + backend + ": " + digest + " (" + last.saturatedCodes() + " saturated gradient codes, "
        + last.redoSteps() + " of " + last.steps() + " steps redone)");
    assertEquals(expected, digest, network + " " + precision + " " + optimizer);
  }
}
