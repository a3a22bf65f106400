package io.sparkint8.ml;

import io.sparkint8.labels.Labelled;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.WeightScaling;
import io.sparkint8.nn.spec.LayerSpec;
import io.sparkint8.optim.LrScaling;
import io.sparkint8.optim.LrScheduleKind;
import io.sparkint8.optim.OptimizerKind;
import io.sparkint8.quant.ClippingKind;
import io.sparkint8.quant.ErrorRounding;
import io.sparkint8.step.GradientAggregation;
import io.sparkint8.step.KernelBackend;
import java.io.Serializable;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import scala.Function1;

/**
 * The Params of {@link Int8Classifier} and {@link Int8ClassificationModel}, created for one owner
 * (Java has no traits with state, so both stages hold one of these and expose each Param through
 * {@link Int8ClassifierParams}). {@link #declareDefaults} is the one place defaults are set.
 */
public final class Int8ParamSet implements Serializable {
  private static final long serialVersionUID = 1L;

  final IntArrayParam inputShape;
  final Param<String> network;
  final Param<String> precision;
  final IntParam weightBits;
  final IntParam gradientBits;
  final IntParam gradientGroupSize;
  final Param<String> rounding;
  final Param<String> gradientClipping;
  final IntParam clipUpdateInterval;
  final BooleanParam dclrs;
  final Param<String> lrScaling;
  final Param<String> weightScaling;
  final DoubleParam bnRectification;
  final Param<String> bnVariant;
  final DoubleParam bnMomentum;
  final IntParam batchSize;
  final IntParam maxEpochs;
  final Param<String> optimizer;
  final DoubleParam stepSize;
  final DoubleParam momentum;
  final BooleanParam nesterov;
  final DoubleParam weightDecay;
  final DoubleParam warmupEpochs;
  final Param<String> lrSchedule;
  final IntParam aggregationDepth;
  final IntParam threads;
  final Param<String> aggregationPrecision;
  final IntParam numPartitions;
  final Param<String> validationIndicatorCol;
  final LongParam seed;
  final Param<String> backend;
  final Param<String> checkpointDir;
  final IntParam checkpointInterval;

  Int8ParamSet(Params owner) {
    inputShape = new IntArrayParam(owner, "inputShape",
        "shape of one example as (channels, height, width), e.g. [1, 28, 28]; the features of "
            + "every row must hold channels*height*width values, stored height x width x channels "
            + "(channels innermost, as Spark's image struct). Optional: when not set, fit infers "
            + "it from the features column, as (nChannels, height, width) of an image struct's "
            + "first image, or as [n, 1, 1] for a vector, array or binary column of n values, "
            + "which only a network without conv/pool layers accepts.",
        validShape());
    network = new Param<>(owner, "network",
        "the network: a preset (mlp, lenet, cnn-small, resnet8, resnet20) or a spec such as "
            + "'conv(32,3,p=1)-bn-relu-maxpool(2)-fc(128)-relu-fc'; the last fc's width defaults to "
            + "the number of classes. Default cnn-small.",
        validNetwork());
    precision = new Param<>(owner, "precision",
        "which GEMMs run in int8: " + Labelled.choices(Precision.class) + ". In int8 the stem (a"
            + " first conv on at most 4 input channels) runs its backward in fp32, where an int8"
            + " grad_weight over 9..36 products is slower than fp32; its forward stays int8."
            + " Default int8.",
        oneOf(Precision.class));
    weightBits = new IntParam(owner, "weightBits",
        "bits of the quantized weights in the int8 GEMMs. Only 8 is implemented. Default 8.",
        ParamValidators.<Object>inRange(8, 8));
    gradientBits = new IntParam(owner, "gradientBits",
        "bits of the quantized errors (activation gradients), 2..8; below 8 the errors of the "
            + "grad_weight GEMMs use power-of-two group scales (ShiftQuant, see "
            + "gradientGroupSize). Needs precision int8. Default 8.",
        ParamValidators.<Object>inRange(2, 8));
    gradientGroupSize = new IntParam(owner, "gradientGroupSize",
        "below 8 gradientBits, how many consecutive error values of one channel (rows of the "
            + "batch) share a power-of-two scale (ShiftQuant): 1.." + EngineConfig.MAX_GROUP_SIZE
            + ", or 0 for one scale per tensor (per channel with mcs clipping) as at 8 bits. The "
            + "grad_weight GEMM reduces over those rows and aligns its groups by exact shifts of "
            + "their int32 partial sums; grad_input reduces over channels, so it uses a second "
            + "quantization of the error, per tensor (per channel with mcs), folded into the "
            + "weights. Default 64.",
        ParamValidators.<Object>inRange(0, EngineConfig.MAX_GROUP_SIZE));
    rounding = new Param<>(owner, "rounding",
        "rounding of quantized errors: " + Labelled.choices(ErrorRounding.class)
            + ". Forward tensors always round to nearest even. Default stochastic.",
        oneOf(ErrorRounding.class));
    gradientClipping = new Param<>(owner, "gradientClipping",
        "error clipping: " + Labelled.choices(ClippingKind.class) + ". Default dsgc.",
        oneOf(ClippingKind.class));
    clipUpdateInterval = new IntParam(owner, "clipUpdateInterval",
        "steps between two searches of the DSGC clip, >= 1. Default 100.",
        ParamValidators.<Object>gtEq(1));
    dclrs = new BooleanParam(owner, "dclrs",
        "whether each layer's learning rate is scaled down by its gradient deviation (DCLRS, "
            + "alpha 20, beta 0.1), the DSGC deviation of the whole batch's error. With "
            + "precision int8 it needs gradientClipping dsgc (max and mcs measure no deviation: "
            + "set dclrs false with them); without quantized errors it has no effect. "
            + "Default true.");
    lrScaling = new Param<>(owner, "lrScaling",
        "learning-rate scaling with the global batch: " + Labelled.choices(LrScaling.class)
            + "; the base rate is stepSize. Default linear.",
        oneOf(LrScaling.class));
    weightScaling = new Param<>(owner, "weightScaling",
        "granularity of weight scales: " + Labelled.choices(WeightScaling.class)
            + ". Default per-channel.",
        oneOf(WeightScaling.class));
    bnRectification = new DoubleParam(owner, "bnRectification",
        "weight lambda of the BatchNorm rectification loss, >= 0 (0 = off). Default 1e-4.",
        ParamValidators.<Object>gtEq(0));
    bnVariant = new Param<>(owner, "bnVariant",
        "BatchNorm normalization: " + Labelled.choices(LayerSpec.Bn.Variant.class)
            + "; l1 turns every 'bn' of the network into 'bn-l1'. Default l2.",
        oneOf(LayerSpec.Bn.Variant.class));
    bnMomentum = new DoubleParam(owner, "bnMomentum",
        "momentum of the running BatchNorm statistics, in (0, 1]. Default 0.1.",
        ParamValidators.<Object>inRange(0, 1, false, true));
    batchSize = new IntParam(owner, "batchSize",
        "global batch size: rows per optimizer step summed over all partitions, >= 1 and >= the "
            + "number of partitions. Default 1024.",
        ParamValidators.<Object>gtEq(1));
    maxEpochs = new IntParam(owner, "maxEpochs",
        "number of passes over the training rows, >= 1. Default 10.",
        ParamValidators.<Object>gtEq(1));
    optimizer = new Param<>(owner, "optimizer",
        "optimizer: " + Labelled.choices(OptimizerKind.class) + ". Default sgd.",
        oneOf(OptimizerKind.class));
    stepSize = new DoubleParam(owner, "stepSize",
        "base learning rate, > 0; with lrScaling=linear it is the rate at batch 256 (0.1 at the "
            + "default batch 1024; higher rates made cnn-small diverge in its first steps at that "
            + "batch). Default 0.025.",
        ParamValidators.<Object>gt(0));
    momentum = new DoubleParam(owner, "momentum",
        "momentum of sgd and lars, in [0, 1). Default 0.9.",
        ParamValidators.<Object>inRange(0, 1, true, false));
    nesterov = new BooleanParam(owner, "nesterov",
        "Nesterov momentum for sgd and lars (needs momentum > 0). Default true.");
    weightDecay = new DoubleParam(owner, "weightDecay",
        "weight decay, >= 0; L2 for sgd/lars/adam, decoupled for adamw/lamb; never applied to "
            + "BatchNorm parameters or biases. Default 5e-4.",
        ParamValidators.<Object>gtEq(0));
    warmupEpochs = new DoubleParam(owner, "warmupEpochs",
        "epochs of linear learning-rate warmup from 10% of the rate, >= 0. Default 1.",
        ParamValidators.<Object>gtEq(0));
    lrSchedule = new Param<>(owner, "lrSchedule",
        "learning-rate schedule after warmup, over maxEpochs: "
            + Labelled.choices(LrScheduleKind.class) + ". Default cosine.",
        oneOf(LrScheduleKind.class));
    aggregationDepth = new IntParam(owner, "aggregationDepth",
        "depth of the treeAggregate that sums gradients, >= 1. Default 2.",
        ParamValidators.<Object>gtEq(1));
    aggregationPrecision = new Param<>(owner, "aggregationPrecision",
        "how gradients travel to the driver: " + Labelled.choices(GradientAggregation.class)
            + ". Default int8.",
        oneOf(GradientAggregation.class));
    numPartitions = new IntParam(owner, "numPartitions",
        "partitions (parallel tasks) of the training data, >= 0; 0 keeps the input's "
            + "partitioning. Default 0.",
        ParamValidators.<Object>gtEq(0));
    validationIndicatorCol = new Param<>(owner, "validationIndicatorCol",
        "name of a boolean column: rows where it is true are held out and used to report "
            + "validation accuracy after every epoch (as in Spark's GBT). Optional, no default.",
        (Function1<String, Object> & Serializable) v -> v != null && !v.isBlank());
    seed = new LongParam(owner, "seed",
        "seed of weight initialization, shuffling and stochastic rounding. Default 42.");
    threads = new IntParam(owner, "threads",
        "kernel threads of each training task, >= 1: its GEMMs split output rows over them with a"
            + " fixed partition, so the bits do not depend on the count. Give Spark the cores too"
            + " (spark.task.cpus = threads). Default 1.",
        ParamValidators.<Object>gtEq(1));
    backend = new Param<>(owner, "backend",
        "kernel backend on the executors: " + Labelled.choices(KernelBackend.class)
            + "; an explicit choice that cannot load is an error. auto never picks the GPU. "
            + "Default auto.",
        oneOf(KernelBackend.class));
    checkpointDir = new Param<>(owner, "checkpointDir",
        "directory of training checkpoints, any Hadoop FileSystem path (local, HDFS, S3A...). "
            + "fit saves one every checkpointInterval epochs and after the last (the newest two "
            + "are kept) and, when the directory holds a checkpoint, resumes from it: the resumed "
            + "model is bit-identical to an uninterrupted run's. A checkpoint of other data or "
            + "other Params (maxEpochs may grow) is an error naming the difference. One fit per "
            + "directory at a time. Optional, no default (no checkpoints).",
        (Function1<String, Object> & Serializable) v -> v != null && !v.isBlank());
    checkpointInterval = new IntParam(owner, "checkpointInterval",
        "epochs between two checkpoints in checkpointDir, >= 1, or -1 to disable checkpoints "
            + "(nothing is saved or resumed). Default 1.",
        (Function1<Object, Object> & Serializable) v -> (Integer) v == -1 || (Integer) v >= 1);
  }

  /** Sets every default; called once from each owner's constructor. */
  void declareDefaults(DefaultSetter s) {
    s.set(network, "cnn-small");
    s.set(precision, Precision.INT8.label());
    s.set(weightBits, 8);
    s.set(gradientBits, 8);
    s.set(gradientGroupSize, EngineConfig.DEFAULT_GROUP_SIZE);
    s.set(rounding, ErrorRounding.STOCHASTIC.label());
    s.set(gradientClipping, ClippingKind.DSGC.label());
    s.set(clipUpdateInterval, 100);
    s.set(dclrs, true);
    s.set(lrScaling, LrScaling.LINEAR.label());
    s.set(weightScaling, WeightScaling.PER_CHANNEL.label());
    s.set(bnRectification, 1e-4);
    s.set(bnVariant, LayerSpec.Bn.Variant.STANDARD.label());
    s.set(bnMomentum, 0.1);
    s.set(batchSize, 1024);
    s.set(maxEpochs, 10);
    s.set(optimizer, OptimizerKind.SGD.label());
    s.set(stepSize, 0.025);
    s.set(momentum, 0.9);
    s.set(nesterov, true);
    s.set(weightDecay, 5e-4);
    s.set(warmupEpochs, 1.0);
    s.set(lrSchedule, LrScheduleKind.COSINE.label());
    s.set(aggregationDepth, 2);
    s.set(aggregationPrecision, GradientAggregation.INT8.label());
    s.set(numPartitions, 0);
    s.set(seed, 42L);
    s.set(backend, KernelBackend.AUTO.label());
    s.set(threads, 1);
    s.set(checkpointInterval, 1);
  }

  /** The owner's {@code setDefault}, which Java code outside the owner cannot call. */
  interface DefaultSetter {
    <T> void set(Param<T> param, T value);
  }

  /** Accepts exactly the labels of {@code type}. */
  private static <E extends Enum<E> & Labelled> Function1<String, Object> oneOf(Class<E> type) {
    return ParamValidators.inArray(Labelled.labels(type));
  }

  private static Function1<int[], Object> validShape() {
    return (Function1<int[], Object> & Serializable) v ->
        v != null && v.length == 3 && v[0] >= 1 && v[1] >= 1 && v[2] >= 1
            && (long) v[0] * v[1] * v[2] <= Integer.MAX_VALUE;
  }

  private static Function1<String, Object> validNetwork() {
    // the grammar is checked by transformSchema, whose error names the position and token
    return (Function1<String, Object> & Serializable) v -> v != null && !v.isBlank();
  }
}
