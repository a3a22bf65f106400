package io.sparkint8.arrow;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.RandomAccess;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Indexed access to the value of an array column of a {@link org.apache.spark.sql.Row}, whatever
 * holds it: Spark's own rows carry a Scala {@code ArraySeq} of boxed elements (whose backing
 * {@code Object[]} is used directly), rows built by hand may carry a Java list or array. Linear sequences are copied once so
 * that element access stays O(1) (no O(n^2) walks over a Scala {@code List}).
 */
final class ArrayValues {
  private ArrayValues() {}

  /**
   * {@code value} in a form {@link #size} and {@link #get} index in O(1), or null when it is not an
   * array value at all.
   */
  static Object indexable(Object value) {
    // Spark's deserialized rows: unwrap to the backing Object[] (or primitive array), no copy
    if (value instanceof scala.collection.mutable.ArraySeq<?> m) {
      return m.array();
    }
    if (value instanceof scala.collection.immutable.ArraySeq<?> m) {
      return m.unsafeArray();
    }
    if (value instanceof scala.collection.IndexedSeq<?> || value instanceof float[]
        || value instanceof double[] || value instanceof Object[]
        || (value instanceof List<?> && value instanceof RandomAccess)) {
      return value;
    }
    if (value instanceof scala.collection.Seq<?> s) {
      return new ArrayList<>(CollectionConverters.asJava(s));
    }
    if (value instanceof Collection<?> c) {
      return new ArrayList<>(c);
    }
    return null;
  }

  /** The number of elements of an {@link #indexable} value. */
  static int size(Object v) {
    if (v instanceof scala.collection.IndexedSeq<?> s) {
      return s.length();
    }
    if (v instanceof float[] f) {
      return f.length;
    }
    if (v instanceof double[] d) {
      return d.length;
    }
    if (v instanceof Object[] o) {
      return o.length;
    }
    return ((List<?>) v).size();
  }

  /** Element {@code i} of an {@link #indexable} value, boxed; null for a null element. */
  static Object get(Object v, int i) {
    if (v instanceof scala.collection.IndexedSeq<?> s) {
      return s.apply(i);
    }
    if (v instanceof float[] f) {
      return f[i];
    }
    if (v instanceof double[] d) {
      return d[i];
    }
    if (v instanceof Object[] o) {
      return o[i];
    }
    return ((List<?>) v).get(i);
  }
}
