package io.sparkint8.optim;

/** Argument checks whose messages name the owner, the parameter, the bad value and its range. */
final class Checks {
  private Checks() {}

  static void require(boolean ok, String owner, String name, Object value, String range) {
    if (!ok) {
      throw new IllegalArgumentException(
          owner + ": " + name + "=" + value + ", expected " + range);
    }
  }

  /** 0 <= value < 1 (momentum and Adam betas: 1 would never forget, so it is excluded). */
  static void unitInterval(String owner, String name, double value) {
    require(value >= 0 && value < 1, owner, name, value, "0 <= " + name + " < 1");
  }

  static void nonNegative(String owner, String name, double value) {
    require(value >= 0 && Double.isFinite(value), owner, name, value, "finite and >= 0");
  }

  static void positive(String owner, String name, double value) {
    require(value > 0 && Double.isFinite(value), owner, name, value, "finite and > 0");
  }
}
