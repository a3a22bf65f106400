package io.sparkint8.arrow;

import org.apache.spark.sql.SparkSession;

/**
 * The one local[2] SparkSession of the test JVM (UI off, two shuffle partitions), created on first
 * use and never stopped by a test; the JVM's exit ends it.
 */
final class TestSpark {
  private static SparkSession spark;

  private TestSpark() {}

  static synchronized SparkSession get() {
    if (spark == null) {
      spark = SparkSession.builder()
          .master("local[2]")
          .appName("arrow-io-tests")
          .config("spark.ui.enabled", "false")
          .config("spark.sql.shuffle.partitions", "2")
          .config("spark.driver.host", "127.0.0.1")
          .getOrCreate();
      spark.sparkContext().setLogLevel("WARN");
    }
    return spark;
  }
}
