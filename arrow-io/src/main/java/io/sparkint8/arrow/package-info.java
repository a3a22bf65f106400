/**
 * The data path from a lake to the trainer: Spark rows of any supported feature type (vector,
 * {@code array<float|double>}, uint8 {@code binary}, Spark's image struct) packed into contiguous
 * {@link io.sparkint8.arrow.PackedShard}s, plus readers for IDX (MNIST) files and Arrow IPC. Depends
 * on Spark SQL and Arrow only, never on the training engine.
 */
package io.sparkint8.arrow;
