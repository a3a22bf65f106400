package io.sparkint8.examples;

import io.sparkint8.ml.Int8KryoRegistrator;
import org.apache.spark.sql.SparkSession;

/** The one local[2] SparkSession of the examples' test JVM. */
final class ExampleSession {
  private static SparkSession spark;

  private ExampleSession() {}

  static synchronized SparkSession get() {
    if (spark == null) {
      spark = SparkSession.builder()
          .master("local[2]")
          .appName("spark-int8-examples-tests")
          .config("spark.ui.enabled", "false")
          // a task that leaves a cached block locked fails instead of logging it; adaptive execution
          // is off because its materialization of a cached DataFrame (Spark 4.1) leaves such a lock
          // itself, which would hide ours
          .config("spark.storage.exceptionOnPinLeak", "true")
          .config("spark.sql.adaptive.enabled", "false")
          .config("spark.sql.shuffle.partitions", "2")
          .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
          .config("spark.kryo.registrator", Int8KryoRegistrator.class.getName())
          .config("spark.driver.host", "127.0.0.1")
          .getOrCreate();
      spark.sparkContext().setLogLevel("WARN");
    }
    return spark;
  }
}
