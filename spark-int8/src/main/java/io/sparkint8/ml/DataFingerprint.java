package io.sparkint8.ml;

import io.sparkint8.arrow.PackedShard;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.types.StructType;

/**
 * What a checkpoint records of the data it was trained on, so that a fit on other data never
 * resumes it: the row count, the rows of every partition (a step's slices depend on them), the
 * schema of the feature and label columns (with their metadata: a nominal label's classes), and a
 * SHA-256 over the packed shards' headers (partition, rows, features per row) and a CRC-32C of each
 * shard's labels and feature bits. Computing it is one pass over the cached shards.
 *
 * @param rows training rows
 * @param rowsPerPartition rows of each partition, in partition order
 * @param columns the JSON schema of the feature and label columns
 * @param shards the hex SHA-256 over the shards
 */
record DataFingerprint(long rows, long[] rowsPerPartition, String columns, String shards) {

  /** The fingerprint of {@code shards} (one per partition) of columns {@code columns}. */
  static DataFingerprint of(JavaRDD<PackedShard> shards, long[] rowsPerPartition,
      StructType schema, String featuresCol, String labelCol) {
    List<long[]> headers = Shards.collect(shards.mapPartitions(DataFingerprint::header));
    long[][] byPartition = new long[rowsPerPartition.length][];
    for (long[] h : headers) {
      byPartition[(int) h[0]] = h;
    }
    MessageDigest md = sha256();
    ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    for (int p = 0; p < byPartition.length; p++) {
      long[] h = byPartition[p] == null ? new long[] {p, 0, 0, 0} : byPartition[p];
      b.clear();
      for (long v : h) {
        b.putLong(v);
      }
      md.update(b.array());
    }
    String columns = new StructType(new org.apache.spark.sql.types.StructField[] {
        schema.apply(featuresCol), schema.apply(labelCol)}).json();
    return new DataFingerprint(Arrays.stream(rowsPerPartition).sum(), rowsPerPartition.clone(),
        columns, HexFormat.of().formatHex(md.digest()));
  }

  /** The identity entries of a checkpoint, keyed "data ...". */
  Map<String, String> entries() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("data rows", Long.toString(rows));
    m.put("data rows per partition", Arrays.toString(rowsPerPartition));
    m.put("data columns", columns);
    m.put("data shards", shards);
    return m;
  }

  // drains the iterator: that releases the cached block's read lock
  private static Iterator<long[]> header(Iterator<PackedShard> it) {
    long[] h = null;
    while (it.hasNext()) {
      PackedShard s = it.next();
      CRC32C crc = new CRC32C();
      ByteBuffer labels = ByteBuffer.allocate(4 * s.rows()).order(ByteOrder.LITTLE_ENDIAN);
      labels.asIntBuffer().put(s.labels(), 0, s.rows());
      crc.update(labels);
      float[] x = s.features();
      int n = s.rows() * s.featureLength();
      ByteBuffer chunk = ByteBuffer.allocate(4 * 65536).order(ByteOrder.LITTLE_ENDIAN);
      for (int from = 0; from < n; from += 65536) {
        int len = Math.min(65536, n - from);
        chunk.clear();
        chunk.asFloatBuffer().put(x, from, len);
        chunk.limit(4 * len);
        crc.update(chunk);
      }
      h = new long[] {s.partition(), s.rows(), s.featureLength(), crc.getValue()};
    }
    return h == null ? Collections.emptyIterator() : Collections.singletonList(h).iterator();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DataFingerprint d && d.entries().equals(entries());
  }

  @Override
  public int hashCode() {
    return entries().hashCode();
  }

  @Override
  public String toString() {
    return "DataFingerprint" + entries();
  }
}
