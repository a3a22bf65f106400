package io.sparkint8.ml;

import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The Params shared by {@link Int8Classifier} and {@link Int8ClassificationModel}: one public
 * accessor per Param, named like it (Spark finds Params through these methods), and a getter.
 * The Param objects themselves live in each stage's {@link Int8ParamSet}; their docs state the
 * default and the valid range ({@code explainParams()} prints them).
 */
public interface Int8ClassifierParams extends Params {

  /** The stage's Param objects. */
  Int8ParamSet int8Params();

  default IntArrayParam inputShape() {
    return int8Params().inputShape;
  }

  default Param<String> network() {
    return int8Params().network;
  }

  default Param<String> precision() {
    return int8Params().precision;
  }

  default IntParam weightBits() {
    return int8Params().weightBits;
  }

  default IntParam gradientBits() {
    return int8Params().gradientBits;
  }

  default IntParam gradientGroupSize() {
    return int8Params().gradientGroupSize;
  }

  default Param<String> rounding() {
    return int8Params().rounding;
  }

  default Param<String> gradientClipping() {
    return int8Params().gradientClipping;
  }

  default IntParam clipUpdateInterval() {
    return int8Params().clipUpdateInterval;
  }

  default BooleanParam dclrs() {
    return int8Params().dclrs;
  }

  default Param<String> lrScaling() {
    return int8Params().lrScaling;
  }

  default Param<String> weightScaling() {
    return int8Params().weightScaling;
  }

  default DoubleParam bnRectification() {
    return int8Params().bnRectification;
  }

  default Param<String> bnVariant() {
    return int8Params().bnVariant;
  }

  default DoubleParam bnMomentum() {
    return int8Params().bnMomentum;
  }

  default IntParam batchSize() {
    return int8Params().batchSize;
  }

  default IntParam maxEpochs() {
    return int8Params().maxEpochs;
  }

  default Param<String> optimizer() {
    return int8Params().optimizer;
  }

  default DoubleParam stepSize() {
    return int8Params().stepSize;
  }

  default DoubleParam momentum() {
    return int8Params().momentum;
  }

  default BooleanParam nesterov() {
    return int8Params().nesterov;
  }

  default DoubleParam weightDecay() {
    return int8Params().weightDecay;
  }

  default DoubleParam warmupEpochs() {
    return int8Params().warmupEpochs;
  }

  default Param<String> lrSchedule() {
    return int8Params().lrSchedule;
  }

  default IntParam aggregationDepth() {
    return int8Params().aggregationDepth;
  }

  default IntParam threads() {
    return int8Params().threads;
  }

  default Param<String> aggregationPrecision() {
    return int8Params().aggregationPrecision;
  }

  default IntParam numPartitions() {
    return int8Params().numPartitions;
  }

  default Param<String> validationIndicatorCol() {
    return int8Params().validationIndicatorCol;
  }

  default LongParam seed() {
    return int8Params().seed;
  }

  default Param<String> backend() {
    return int8Params().backend;
  }

  default Param<String> checkpointDir() {
    return int8Params().checkpointDir;
  }

  default IntParam checkpointInterval() {
    return int8Params().checkpointInterval;
  }

  /**
   * (channels, height, width); an IllegalArgumentException when not set (an estimator then infers
   * it at fit, a model always has it).
   */
  default int[] getInputShape() {
    if (!isDefined(inputShape())) {
      throw new IllegalArgumentException("inputShape is not set: the shape of one example as "
          + "(channels, height, width), e.g. setInputShape(new int[] {1, 28, 28}); fit infers it "
          + "from the features column when it can");
    }
    return getOrDefault(inputShape()).clone();
  }

  default String getNetwork() {
    return getOrDefault(network());
  }

  default String getPrecision() {
    return getOrDefault(precision());
  }

  default int getWeightBits() {
    return (Integer) getOrDefault(weightBits());
  }

  default int getGradientBits() {
    return (Integer) getOrDefault(gradientBits());
  }

  default int getGradientGroupSize() {
    return (Integer) getOrDefault(gradientGroupSize());
  }

  default String getRounding() {
    return getOrDefault(rounding());
  }

  default String getGradientClipping() {
    return getOrDefault(gradientClipping());
  }

  default int getClipUpdateInterval() {
    return (Integer) getOrDefault(clipUpdateInterval());
  }

  default boolean getDclrs() {
    return (Boolean) getOrDefault(dclrs());
  }

  default String getLrScaling() {
    return getOrDefault(lrScaling());
  }

  default String getWeightScaling() {
    return getOrDefault(weightScaling());
  }

  default double getBnRectification() {
    return (Double) getOrDefault(bnRectification());
  }

  default String getBnVariant() {
    return getOrDefault(bnVariant());
  }

  default double getBnMomentum() {
    return (Double) getOrDefault(bnMomentum());
  }

  default int getBatchSize() {
    return (Integer) getOrDefault(batchSize());
  }

  default int getMaxEpochs() {
    return (Integer) getOrDefault(maxEpochs());
  }

  default String getOptimizer() {
    return getOrDefault(optimizer());
  }

  default double getStepSize() {
    return (Double) getOrDefault(stepSize());
  }

  default double getMomentum() {
    return (Double) getOrDefault(momentum());
  }

  default boolean getNesterov() {
    return (Boolean) getOrDefault(nesterov());
  }

  default double getWeightDecay() {
    return (Double) getOrDefault(weightDecay());
  }

  default double getWarmupEpochs() {
    return (Double) getOrDefault(warmupEpochs());
  }

  default String getLrSchedule() {
    return getOrDefault(lrSchedule());
  }

  default int getAggregationDepth() {
    return (Integer) getOrDefault(aggregationDepth());
  }

  default int getThreads() {
    return (Integer) getOrDefault(threads());
  }

  default String getAggregationPrecision() {
    return getOrDefault(aggregationPrecision());
  }

  default int getNumPartitions() {
    return (Integer) getOrDefault(numPartitions());
  }

  /** The validation indicator column, or null when none is set. */
  default String getValidationIndicatorCol() {
    return isDefined(validationIndicatorCol()) ? getOrDefault(validationIndicatorCol()) : null;
  }

  default String getBackend() {
    return getOrDefault(backend());
  }

  /** The checkpoint directory, or null when none is set. */
  default String getCheckpointDir() {
    return isDefined(checkpointDir()) ? getOrDefault(checkpointDir()) : null;
  }

  default int getCheckpointInterval() {
    return (Integer) getOrDefault(checkpointInterval());
  }

  default long getSeed() {
    return (Long) getOrDefault(seed());
  }
}
