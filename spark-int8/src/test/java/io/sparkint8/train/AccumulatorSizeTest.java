package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.ml.Int8KryoRegistrator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The bytes of one merged accumulator do not grow with the partitions it holds: the BN
 * statistics, losses and DSGC sums travel as fixed-size exact sums, not one entry per partition.
 * Measured as Spark sends it: its KryoSerializer with the project's registrator and registration
 * required, on real leaves of a small BN network ({@link NetworkLeaves}).
 */
class AccumulatorSizeTest {

  private static SerializerInstance sparkKryo() {
    SparkConf conf = new SparkConf(false)
        .set("spark.serializer", KryoSerializer.class.getName())
        .set("spark.kryo.registrator", Int8KryoRegistrator.class.getName())
        .set("spark.kryo.registrationRequired", "true");
    return new KryoSerializer(conf).newInstance();
  }

  static long sparkBytes(GradientAccumulator a) {
    return sparkKryo().serialize(a, TAG).remaining();
  }

  /** {@code a} written and read back by Spark's Kryo. */
  static GradientAccumulator roundTrip(GradientAccumulator a) {
    SerializerInstance kryo = sparkKryo();
    return kryo.deserialize(kryo.serialize(a, TAG), TAG);
  }

  private static final ClassTag<GradientAccumulator> TAG =
      ClassTag$.MODULE$.apply(GradientAccumulator.class);

  @Test
  void oneMergedAccumulatorOf64PartitionsIsAtMostTenPercentLargerThanOneOf2() {
    Map<Integer, Long> int8 = new LinkedHashMap<>();
    Map<Integer, Long> fp32 = new LinkedHashMap<>();
    for (int partitions : new int[] {2, 16, 64}) {
      try (NetworkLeaves nets = new NetworkLeaves(partitions, 53)) {
        GradientAccumulator a = Fixtures.fold(nets.leaves(0));
        assertEquals(partitions, a.addends());
        assertEquals(partitions, a.report().addends());
        assertEquals(3, a.bnStats().size());
        int8.put(partitions, sparkBytes(a));
        GradientAccumulator f = Fixtures.fold(nets.fp32Leaves(1));
        fp32.put(partitions, sparkBytes(f));
        long payload = a.payloadBytes();
        System.out.println("merged accumulator of " + partitions + " partitions: int8 "
            + int8.get(partitions) + " bytes (payload " + payload + "), fp32 "
            + fp32.get(partitions) + " bytes (payload " + f.payloadBytes() + ")");
        // Spark's framing adds a few bytes to the serializer's exact size
        long exact = a.wireBytes();
        assertTrue(int8.get(partitions) >= exact && int8.get(partitions) <= exact + 8,
            "Spark bytes " + int8.get(partitions) + " vs wireBytes " + exact);
      }
    }
    for (Map<Integer, Long> sizes : List.of(int8, fp32)) {
      assertTrue(sizes.get(64) <= 1.1 * sizes.get(2), "64 partitions: " + sizes.get(64)
          + " bytes, 2 partitions: " + sizes.get(2) + " bytes (" + sizes + ")");
      assertTrue(sizes.get(16) <= 1.1 * sizes.get(2), sizes.toString());
    }
  }
}
