/**
 * The Spark ML surface: {@link io.sparkint8.ml.Int8Classifier} (a ProbabilisticClassifier) and
 * {@link io.sparkint8.ml.Int8ClassificationModel}, their Params, persistence, training summary and
 * the Kryo registrator (and the check, at fit time, that a session uses it). The model's {@code
 * write()} is Spark's GeneralMLWriter: its formats {@code internal} ({@link
 * io.sparkint8.ml.InternalModelFormat}, the default) and {@code onnx} ({@link
 * io.sparkint8.ml.OnnxModelFormat}, over {@code io.sparkint8.onnx}) are registered in {@code
 * META-INF/services/org.apache.spark.ml.util.MLFormatRegister}. Written in Java against public
 * Spark APIs only; the training loop itself lives in {@code io.sparkint8.train}.
 */
package io.sparkint8.ml;
