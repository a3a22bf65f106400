/**
 * Runnable programs of spark-int8, started through {@code examples/run NAME}: benchmarks that print one
 * JSON object per line, and (with the Spark issue) the Fashion-MNIST training job.
 */
package io.sparkint8.examples;
