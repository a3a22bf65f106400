package io.sparkint8.ml;

/**
 * Makes a stage's uid visible while its Scala superclasses are being constructed. Spark's shared
 * Params (labelCol, featuresCol, ...) are created by trait initializers that run inside the
 * superclass constructor and ask {@code uid()} for their parent; a Java subclass cannot assign its
 * uid field before that, so the uid waits here, per thread, for the duration of the constructor.
 * Without it the Params would belong to a null uid and Spark would reject them ("does not belong
 * to").
 */
final class PendingUid {
  private static final ThreadLocal<String> PENDING = new ThreadLocal<>();

  private PendingUid() {}

  /** Stores {@code uid} for the constructor about to run and returns it. */
  static String stash(String uid) {
    if (uid == null || uid.isEmpty()) {
      throw new IllegalArgumentException("uid must be a non-empty string");
    }
    PENDING.set(uid);
    return uid;
  }

  /** The uid being constructed on this thread. */
  static String current() {
    return PENDING.get();
  }

  /** Called at the end of the constructor. */
  static void clear() {
    PENDING.remove();
  }
}
