package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkint8.nn.ModelDigest;
import io.sparkint8.nn.ModelState;
import io.sparkint8.train.EpochSummary;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Pins the bits of a distributed fit (the driver's step loop, the tasks' slicing, the int8 and fp32
 * aggregation, the optimizer and the running statistics): a SHA-256 over the fitted model's
 * parameters, running BN statistics and clipping states after one epoch of 512 Fashion-MNIST rows in
 * 2 partitions (and in 1). A refactoring keeps these digests; a change of numerics on purpose updates
 * them and says so. The fp32 case runs on the Java reference backend (the native fp32 GEMM gives the
 * same bits, which TrainingDigestTest checks).
 */
class DistributedDigestTest {

  // the digest programs print too (fashion-mnist's model_digest)
  static String sha256(ModelState s) {
    return ModelDigest.sha256(s);
  }

  // the threads of a task split its GEMMs, never its sums: 3 threads give the bits of 1.
  // The 2-partition digests changed when the loss, BN and DSGC statistics (and fp32 gradients)
  // became exact fixed-point sums over every partition, with DSGC's deviation, search and DCLRS
  // factors those of the whole batch (before: BN folded in partition order, DSGC from partition
  // 0 alone); a single partition's statistics are used as computed, so its digest did not change.
  // The int8 digests changed again with the gradient-saturation redo (it triggers on 2 of the 4
  // steps of both cnn-small rows) and the wider headroom of small tensors' shared scales (which also
  // changes resnet8's scales); fp32 has no shared scales. They changed once more when the int8
  // stem's fp32 weight and bias gradients became the direct convolution's blocked sums (fp32 chains
  // of 256 rows added in double, where the sgemm's blocking and a column-sum chain were before);
  // fp32 networks do not use that op, so their digest stayed. The cnn-small int8 rows changed again
  // when the stem's gradients came from the window moments of the bn-relu-maxpool after it
  // (bnMaxPoolBackwardMoments); resnet8's stem has no pool after its bn.
  @ParameterizedTest(name = "{0} {1} {2} {3} threads={4} partitions={5}")
  @CsvSource({
    "cnn-small, int8, sgd, auto, 1, 2, 5c871b96fc0a8af6391a5ebe5b0f37e7d8aa03dc0fbd964c5823924aaf64ce32",
    "cnn-small, int8, sgd, auto, 3, 2, 5c871b96fc0a8af6391a5ebe5b0f37e7d8aa03dc0fbd964c5823924aaf64ce32",
    "resnet8, int8, lars, auto, 1, 2, 9ad01bb49811bc850fe99819e2d91873f0110ae686402cb32b184a4ade25ac0b",
    "cnn-small, fp32, sgd, java, 1, 2, f553d6c26e19b6a8dd71240c17a7c6408fcddbd45e87e2098b37bb5821c1eb33",
    "cnn-small, int8, sgd, auto, 1, 1, 8da86990518d17d53b7a14c48dc934406fc74972236a226fdf222e91d9e76529",
  })
  void distributedTrainingBitsAreUnchanged(String network, String precision, String optimizer,
      String backend, int threads, int partitions, String expected) throws Exception {
    Dataset<Row> train = SparkTestSession.fashion(512, false, partitions);
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
