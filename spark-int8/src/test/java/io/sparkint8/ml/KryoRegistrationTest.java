package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import io.sparkint8.arrow.PackedShard;
import io.sparkint8.train.GradientAccumulator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Training works with {@code spark.kryo.registrationRequired=true} (the shared session sets it, so
 * an unregistered class crossing the wire fails the job), through tree aggregations of depth 1
 * and 3 and both aggregation precisions. Six partitions make depth 3 add a real intermediate
 * level (Spark's treeAggregate shrinks 6 partitions to 3 first), i.e. a shuffle of gradient
 * accumulators. Because merging is exact and folded in partition
 * order, the depth must not change the trained model by a single bit.
 */
class KryoRegistrationTest {
  @Test
  void theSharedSessionRequiresRegistration() {
    SparkConf conf = SparkTestSession.get().sparkContext().getConf();
    assertEquals("true", conf.get("spark.kryo.registrationRequired"));
    assertEquals(KryoSerializer.class.getName(), conf.get("spark.serializer"));
    assertEquals(Int8KryoRegistrator.class.getName(), conf.get("spark.kryo.registrator"));
    Kryo kryo = new KryoSerializer(conf).newKryo();
    for (Class<?> c : List.of(GradientAccumulator.class, PackedShard.class, float[].class,
        SQLDataTypes.VectorType().getClass(), SQLDataTypes.MatrixType().getClass())) {
      // throws for an unregistered class when registration is required
      assertEquals(c, kryo.getRegistration(c).getType());
    }
  }

  @Test
  void fitsWithEveryAggregationDepthAndPrecision() {
    Dataset<Row> data = Blobs.frame(600, 4L, 6).cache();
    Map<String, Int8ClassificationModel> models = new LinkedHashMap<>();
    for (String precision : new String[] {"fp32", "int8"}) {
      for (int depth : new int[] {1, 3}) {
        Int8ClassificationModel m = Blobs.classifier(1).setBatchSize(200)
            .setAggregationPrecision(precision).setAggregationDepth(depth).fit(data);
        Int8TrainingSummary s = m.summary();
        assertEquals(1, s.totalEpochs());
        assertEquals(600, s.trainingRows());
        assertEquals(3, s.epochs().get(0).steps());
        assertTrue(Double.isFinite(s.lossHistory()[0]), precision + " depth " + depth);
        assertTrue(s.bytesAggregatedPerStep()[0] > 0);
        models.put(precision + "/" + depth, m);
      }
    }
    for (String precision : new String[] {"fp32", "int8"}) {
      Int8ClassificationModel d1 = models.get(precision + "/1");
      Int8ClassificationModel d3 = models.get(precision + "/3");
      assertEquals(d1.modelState(), d3.modelState(),
          precision + " aggregation: depth 1 and depth 3 trained different models");
      assertArrayEquals(d1.summary().lossHistory(), d3.summary().lossHistory(), precision);
    }
    double fp32Bytes = models.get("fp32/1").summary().bytesAggregatedPerStep()[0];
    double int8Bytes = models.get("int8/1").summary().bytesAggregatedPerStep()[0];
    assertTrue(int8Bytes < fp32Bytes, "int8 " + int8Bytes + " vs fp32 " + fp32Bytes + " bytes");
    // the model's transform crosses the wire as well
    assertEquals(600, models.get("int8/3").transform(data).select("prediction").count());
    data.unpersist();
  }
}
