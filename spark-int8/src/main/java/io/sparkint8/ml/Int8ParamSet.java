package io.sparkint8.ml;

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

  static final String[] PRECISIONS = {"fp32", "int8-forward", "int8"};
  static final String[] CLIPPINGS = {"max", "dsgc", "mcs"};
  static final String[] OPTIMIZERS = {"sgd", "lars", "adam", "adamw", "lamb"};
  static final String[] SCHEDULES = {"constant", "step", "cosine"};
  static final String[] LR_SCALINGS = {"none", "linear"};
  static final String[] WEIGHT_SCALINGS = {"per-channel", "per-tensor"};
  static final String[] BN_VARIANTS = {"l2", "l1"};
  static final String[] AGGREGATIONS = {"fp32", "int8"};
  static final String[] ROUNDINGS = {"stochastic"};
  static final String[] BACKENDS = {"auto", "java", "native", "cuda"};

  final IntArrayParam inputShape;
  final Param<String> network;
  final Param<String> precision;
  final IntParam weightBits;
  final IntParam gradientBits;
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
  final Param<String> aggregationPrecision;
  final IntParam numPartitions;
  final Param<String> validationIndicatorCol;
  final LongParam seed;
  final Param<String> backend;

  Int8ParamSet(Params owner) {
    inputShape = new IntArrayParam(owner, "inputShape",
        "shape of one example as (channels, height, width), e.g. [1, 28, 28]; the features of "
            + "every row must hold channels*height*width values, stored height x width x channels "
            + "(channels innermost, as Spark's image struct). Must be set.",
        validShape());
    network = new Param<>(owner, "network",
        "the network: a preset (mlp, lenet, cnn-small, resnet8, resnet20) or a spec such as "
            + "'conv(32,3,p=1)-bn-relu-maxpool(2)-fc(128)-relu-fc'; the last fc's width defaults to "
            + "the number of classes. Default cnn-small.",
        validNetwork());
    precision = new Param<>(owner, "precision",
        "which GEMMs run in int8: fp32 (none), int8-forward (forward only) or int8 (forward, "
            + "grad_input and grad_weight). Default int8.",
        ParamValidators.inArray(PRECISIONS));
    weightBits = new IntParam(owner, "weightBits",
        "bits of the quantized weights in the int8 GEMMs. Only 8 is implemented. Default 8.",
        ParamValidators.<Object>inRange(8, 8));
    gradientBits = new IntParam(owner, "gradientBits",
        "bits of the quantized errors (activation gradients), 2..8; below 8 the errors use "
            + "power-of-two group scales (ShiftQuant). Needs precision int8. Default 8.",
        ParamValidators.<Object>inRange(2, 8));
    rounding = new Param<>(owner, "rounding",
        "rounding of quantized errors: stochastic (unbiased; the only mode offered, nearest "
            + "rounding biases small gradients to zero). Forward tensors always round to nearest "
            + "even. Default stochastic.",
        ParamValidators.inArray(ROUNDINGS));
    gradientClipping = new Param<>(owner, "gradientClipping",
        "error clipping: max (no clipping), dsgc (cosine-deviation search) or mcs (per-channel "
            + "GVQ classes with magnitude-aware clipping). Default dsgc.",
        ParamValidators.inArray(CLIPPINGS));
    clipUpdateInterval = new IntParam(owner, "clipUpdateInterval",
        "steps between two searches of the DSGC clip, >= 1. Default 100.",
        ParamValidators.<Object>gtEq(1));
    dclrs = new BooleanParam(owner, "dclrs",
        "whether each layer's learning rate is scaled down by its gradient deviation (DCLRS, "
            + "alpha 20, beta 0.1). Default true.");
    lrScaling = new Param<>(owner, "lrScaling",
        "learning-rate scaling with the global batch: linear (stepSize * batchSize / 256) or "
            + "none. Default linear.",
        ParamValidators.inArray(LR_SCALINGS));
    weightScaling = new Param<>(owner, "weightScaling",
        "granularity of weight scales: per-channel (one per output channel) or per-tensor. "
            + "Default per-channel.",
        ParamValidators.inArray(WEIGHT_SCALINGS));
    bnRectification = new DoubleParam(owner, "bnRectification",
        "weight lambda of the BatchNorm rectification loss, >= 0 (0 = off). Default 1e-4.",
        ParamValidators.<Object>gtEq(0));
    bnVariant = new Param<>(owner, "bnVariant",
        "BatchNorm normalization: l2 (standard deviation) or l1 (mean absolute deviation, "
            + "sqrt(pi/2) scaled; rewrites every 'bn' of the network to 'bn-l1'). Default l2.",
        ParamValidators.inArray(BN_VARIANTS));
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
        "optimizer: sgd, lars (layer-wise trust ratio, eta 0.001), adam, adamw or lamb. "
            + "Default sgd.",
        ParamValidators.inArray(OPTIMIZERS));
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
        "learning-rate schedule after warmup: constant, step (x0.1 after every half of "
            + "maxEpochs) or cosine (to 0 at maxEpochs). Default cosine.",
        ParamValidators.inArray(SCHEDULES));
    aggregationDepth = new IntParam(owner, "aggregationDepth",
        "depth of the treeAggregate that sums gradients, >= 1. Default 2.",
        ParamValidators.<Object>gtEq(1));
    aggregationPrecision = new Param<>(owner, "aggregationPrecision",
        "how gradients travel to the driver: int8 (shared-scale codes with stochastic rounding, "
            + "exact integer sums) or fp32. Default int8.",
        ParamValidators.inArray(AGGREGATIONS));
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
    backend = new Param<>(owner, "backend",
        "kernel backend on the executors: auto (native when it loads, else the Java "
            + "reference), java, native or cuda (the GPU Spark assigned to the task through "
            + "spark.task.resource.gpu.amount, else GPU 0); an explicit choice that cannot load is "
            + "an error. auto never picks the GPU. Default auto.",
        ParamValidators.inArray(BACKENDS));
  }

  /** Sets every default; called once from each owner's constructor. */
  void declareDefaults(DefaultSetter s) {
    s.set(network, "cnn-small");
    s.set(precision, "int8");
    s.set(weightBits, 8);
    s.set(gradientBits, 8);
    s.set(rounding, "stochastic");
    s.set(gradientClipping, "dsgc");
    s.set(clipUpdateInterval, 100);
    s.set(dclrs, true);
    s.set(lrScaling, "linear");
    s.set(weightScaling, "per-channel");
    s.set(bnRectification, 1e-4);
    s.set(bnVariant, "l2");
    s.set(bnMomentum, 0.1);
    s.set(batchSize, 1024);
    s.set(maxEpochs, 10);
    s.set(optimizer, "sgd");
    s.set(stepSize, 0.025);
    s.set(momentum, 0.9);
    s.set(nesterov, true);
    s.set(weightDecay, 5e-4);
    s.set(warmupEpochs, 1.0);
    s.set(lrSchedule, "cosine");
    s.set(aggregationDepth, 2);
    s.set(aggregationPrecision, "int8");
    s.set(numPartitions, 0);
    s.set(seed, 42L);
    s.set(backend, "auto");
  }

  /** The owner's {@code setDefault}, which Java code outside the owner cannot call. */
  interface DefaultSetter {
    <T> void set(Param<T> param, T value);
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
