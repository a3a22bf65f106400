package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Objects;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.junit.jupiter.api.function.Executable;

/** Assertions shared by the Spark ML tests. */
final class ParamChecks {
  private ParamChecks() {}

  /** Param values compared as Spark stores them: arrays element by element. */
  static boolean sameValue(Object a, Object b) {
    return Objects.deepEquals(a, b);
  }

  static String show(Object v) {
    if (v instanceof int[] a) {
      return Arrays.toString(a);
    }
    if (v instanceof double[] a) {
      return Arrays.toString(a);
    }
    return String.valueOf(v);
  }

  /**
   * {@code actual} has the same Params as {@code expected} (by name), the same ones explicitly
   * set, and the same value (set or default) for each, all owned by its own uid.
   */
  static void assertSameParams(Params expected, Params actual) {
    assertEquals(names(expected), names(actual));
    for (Param<?> p : expected.params()) {
      Param<?> q = actual.getParam(p.name());
      assertEquals(actual.uid(), q.parent(), p.name() + " owner");
      assertEquals(expected.isSet(p), actual.isSet(q), p.name() + " isSet");
      assertEquals(expected.isDefined(p), actual.isDefined(q), p.name() + " isDefined");
      if (expected.isDefined(p)) {
        Object a = expected.getOrDefault(p);
        Object b = actual.getOrDefault(q);
        assertTrue(sameValue(a, b), p.name() + ": expected " + show(a) + ", got " + show(b));
      }
    }
  }

  static java.util.List<String> names(Params p) {
    return Arrays.stream(p.params()).map(Param::name).toList();
  }

  /**
   * {@code run} throws an IllegalArgumentException (possibly as the cause of what it throws, as
   * Spark wraps executor failures) whose message contains every one of {@code parts}; returns it.
   */
  static IllegalArgumentException assertIllegalArgument(Executable run, String... parts) {
    Throwable thrown = assertThrows(Throwable.class, run);
    IllegalArgumentException iae = null;
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException e) {
        iae = e;
        break;
      }
    }
    if (iae == null) {
      fail("expected an IllegalArgumentException in the cause chain, got " + thrown, thrown);
    }
    String message = iae.getMessage();
    for (String part : parts) {
      assertTrue(message != null && message.contains(part),
          "the message should contain \"" + part + "\" but is: " + message);
    }
    return iae;
  }

  /** As {@link #assertIllegalArgument} but the exception thrown must itself be one. */
  static IllegalArgumentException assertThrowsIllegalArgument(Executable run, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, run);
    for (String part : parts) {
      assertTrue(e.getMessage() != null && e.getMessage().contains(part),
          "the message should contain \"" + part + "\" but is: " + e.getMessage());
    }
    return e;
  }
}
