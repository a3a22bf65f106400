package io.sparkint8.ml;

import com.esotericsoftware.kryo.Kryo;
import io.sparkint8.arrow.PackedShard;
import io.sparkint8.train.GradientAccumulatorSerializer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Registers every spark-int8 class that Spark serializes with Kryo: the gradient accumulator
 * (with its raw-bytes serializer, so the bytes on the wire are the payload the benchmarks report)
 * and the packed training shards (cached, spilled to disk). Use with
 * {@code spark.serializer=org.apache.spark.serializer.KryoSerializer} and
 * {@code spark.kryo.registrator=io.sparkint8.ml.Int8KryoRegistrator}; training works with
 * {@code spark.kryo.registrationRequired=true}, and so does loading a saved Pipeline around it
 * (the vector and matrix SQL types, which Spark leaves unregistered, are registered here too).
 */
public final class Int8KryoRegistrator implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    GradientAccumulatorSerializer.register(kryo);
    kryo.register(PackedShard.class);
    kryo.register(float[].class);
    kryo.register(int[].class);
    kryo.register(long[].class);
    kryo.register(double[].class);
    kryo.register(byte[].class);
    // Spark's KryoSerializer registers the vector and matrix classes but not their SQL types,
    // which travel inside StructTypes (e.g. when Parquet schemas are merged while a saved
    // Pipeline's StandardScalerModel loads); without them registrationRequired=true fails there.
    // Their classes are Spark-private, hence reached through the public SQLDataTypes.
    kryo.register(SQLDataTypes.VectorType().getClass());
    kryo.register(SQLDataTypes.MatrixType().getClass());
  }
}
