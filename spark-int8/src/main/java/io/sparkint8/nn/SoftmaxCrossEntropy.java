package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import java.nio.FloatBuffer;

/**
 * Softmax cross-entropy over logits [batch x classes], computed stably (the row max is subtracted before
 * exponentiation, sums in double). The gradient is that of the SUM of the batch's losses: softmax - one-hot.
 */
public final class SoftmaxCrossEntropy implements AutoCloseable {
  private final int classes;
  private final Float32Buffer grad;

  public SoftmaxCrossEntropy(OffHeapAllocator allocator, int classes, int maxBatch) {
    if (classes < 2) {
      throw new IllegalArgumentException("classes=" + classes + ", expected >= 2");
    }
    this.classes = classes;
    this.grad = allocator.allocateFloat32((long) classes * maxBatch);
  }

  /** Loss sum and correct count of one batch; also fills {@link #gradient()}. */
  public record Result(double lossSum, int correct) {}

  public Result apply(Float32Buffer logits, int[] labels, int labelOffset, int batch) {
    FloatBuffer z = logits.bytes().asFloatBuffer();
    FloatBuffer g = grad.bytes().asFloatBuffer();
    double loss = 0;
    int correct = 0;
    for (int b = 0; b < batch; b++) {
      int label = labels[labelOffset + b];
      if (label < 0 || label >= classes) {
        throw new IllegalArgumentException(
            "label " + label + " at row " + (labelOffset + b) + ", expected 0.." + (classes - 1));
      }
      int base = b * classes;
      float max = z.get(base);
      int arg = 0;
      for (int j = 1; j < classes; j++) {
        if (z.get(base + j) > max) {
          max = z.get(base + j);
          arg = j;
        }
      }
      if (!Float.isFinite(max)) {
        throw new IllegalArgumentException("non-finite logit " + max + " at row "
            + (labelOffset + b) + ": training diverged");
      }
      double sum = 0;
      for (int j = 0; j < classes; j++) {
        sum += Math.exp(z.get(base + j) - max);
      }
      double logSum = Math.log(sum);
      loss += logSum - (z.get(base + label) - max);
      for (int j = 0; j < classes; j++) {
        double p = Math.exp(z.get(base + j) - max - logSum);
        g.put(base + j, (float) (p - (j == label ? 1 : 0)));
      }
      if (arg == label) {
        correct++;
      }
    }
    return new Result(loss, correct);
  }

  public Float32Buffer gradient() {
    return grad;
  }

  @Override
  public void close() {
    grad.close();
  }
}
