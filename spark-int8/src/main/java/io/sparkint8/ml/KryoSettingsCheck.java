package io.sparkint8.ml;

import java.util.Arrays;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a session serializes with Kryo and {@link Int8KryoRegistrator}, checked when a fit
 * starts. Training works without them, but then the gradient accumulators cross the network
 * without their raw-bytes serializer and the cached shards are written with Java serialization;
 * users rarely notice from the outside, so {@code fit} says which two settings to add.
 */
final class KryoSettingsCheck {
  static final String SERIALIZER = "spark.serializer";
  static final String REGISTRATOR = "spark.kryo.registrator";
  private static final Logger LOG = LoggerFactory.getLogger(KryoSettingsCheck.class);

  private KryoSettingsCheck() {}

  /** Logs {@link #warning}'s text as a warning when there is one; returns whether it did. */
  static boolean warnIfMissing(SparkConf conf) {
    Optional<String> warning = warning(conf);
    warning.ifPresent(LOG::warn);
    return warning.isPresent();
  }

  /**
   * The advice for a session that does not use Kryo with our registrator, naming both settings
   * to add and what they are now; empty when both are in place.
   */
  static Optional<String> warning(SparkConf conf) {
    String serializer = conf.get(SERIALIZER, "org.apache.spark.serializer.JavaSerializer");
    String registrators = conf.get(REGISTRATOR, "");
    boolean kryo = isKryo(serializer);
    boolean registered = Arrays.stream(registrators.split(","))
        .anyMatch(name -> name.trim().equals(Int8KryoRegistrator.class.getName()));
    if (kryo && registered) {
      return Optional.empty();
    }
    return Optional.of("spark-int8: this session does not serialize with Kryo and "
        + Int8KryoRegistrator.class.getSimpleName() + " (" + SERIALIZER + " = " + serializer
        + ", " + REGISTRATOR + " = " + (registrators.isEmpty() ? "<not set>" : registrators)
        + "), so gradients cross the network without their raw-bytes serializer and cached "
        + "shards are Java-serialized. Add --conf " + SERIALIZER + "="
        + KryoSerializer.class.getName() + " --conf " + REGISTRATOR + "="
        + Int8KryoRegistrator.class.getName()
        + (registrators.isEmpty() || registered ? "" : "," + registrators)
        + " to the session's configuration.");
  }

  /** Whether {@code className} is Spark's KryoSerializer or a subclass of it. */
  private static boolean isKryo(String className) {
    try {
      return KryoSerializer.class.isAssignableFrom(
          Class.forName(className.trim(), false, KryoSettingsCheck.class.getClassLoader()));
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
