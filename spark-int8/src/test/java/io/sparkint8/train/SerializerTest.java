package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.sparkint8.nn.BnStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Kryo wire format: lossless, and about one byte per gradient element at the leaves. */
class SerializerTest {
  /**
   * cnn-small on 28x28x1 Fashion-MNIST: conv(32,3) w+b, bn γ+β, conv(64,3) w+b, bn γ+β, fc(128)
   * w+b over 64x7x7, fc(10) w+b.
   */
  private static final int[] CNN_SMALL =
      {288, 32, 32, 32, 18432, 64, 64, 64, 401408, 128, 1280, 10};

  @Test
  void roundTripPreservesEverythingAtEveryWidth() {
    List<GradientAccumulator> leaves = Fixtures.leaves(21, 7);
    List<GradientAccumulator> cases = new ArrayList<>();
    cases.add(GradientAccumulator.empty());
    cases.add(leaves.get(3));
    cases.add(Fixtures.fold(leaves));
    cases.add(bnLeaf(0).merge(bnLeaf(5)));
    cases.add(int32Accumulator());
    int[] widths = {0, 1, 2, 2, 4};
    for (int i = 0; i < cases.size(); i++) {
      GradientAccumulator a = cases.get(i);
      assertEquals(widths[i], a.width());
      byte[] bytes = serialize(a);
      assertEquals(a.wireBytes(), bytes.length, "case " + i);
      GradientAccumulator back = deserialize(bytes);
      assertEquals(a, back, "case " + i);
      assertArrayEquals(bytes, serialize(back), "case " + i);
      if (!a.isEmpty()) {
        float[][] d = a.decode(a.rows());
        float[][] e = back.decode(back.rows());
        for (int t = 0; t < d.length; t++) {
          assertArrayEquals(d[t], e[t]);
        }
        List<BnStats> bn = a.bnStats();
        for (int l = 0; l < bn.size(); l++) {
          assertArrayEquals(bn.get(l).m2(), back.bnStats().get(l).m2(), 0.0);
        }
      }
    }
  }

  @Test
  void leafIsAboutOneBytePerElement() {
    Random rnd = new Random(2);
    float[][] g = Fixtures.gradients(rnd, CNN_SMALL);
    List<BnStats> bn = List.of(bn(rnd, 32), bn(rnd, 64));
    SharedScales scales = SharedScales.fromMaxima(SharedScales.localMaxima(g));
    GradientAccumulator leaf =
        GradientAccumulator.of(Fixtures.step(512, g, bn), scales, 1, 1, 0);
    long elements = 0;
    for (int n : CNN_SMALL) {
      elements += n;
    }
    long wire = serialize(leaf).length;
    double ratio = wire / (4.0 * elements);
    System.out.printf("cnn-small leaf: %d elements, %d wire bytes, %.4f x fp32 (%d header)%n",
        elements, wire, ratio, wire - elements);
    assertEquals(elements, leaf.payloadBytes());
    assertTrue(ratio <= 0.26, "wire/fp32 = " + ratio);
    GradientAccumulator pair = leaf.merge(
        GradientAccumulator.of(Fixtures.step(512, g, bn), scales, 1, 1, 1));
    System.out.printf("cnn-small 2-partition node: %d wire bytes, %.4f x fp32%n",
        pair.wireBytes(), pair.wireBytes() / (4.0 * elements));
    assertTrue(pair.wireBytes() <= 0.51 * 4 * elements);
  }

  @Test
  void registrationRequiredKryoReadsItsOwnFormatOnly() {
    byte[] bytes = serialize(Fixtures.leaves(1, 1).get(0));
    bytes[0] = 9; // writeObject writes no class id: the version byte comes first.
    KryoException e = assertThrows(KryoException.class, () -> deserialize(bytes));
    assertTrue(e.getMessage().contains("format version 9"), e.getMessage());
  }

  private static GradientAccumulator int32Accumulator() {
    float[][] g = {{0.25f, -0.5f, 0.125f}};
    GradientAccumulator a = GradientAccumulator.empty();
    for (int p = 0; p < 260; p++) {
      a = a.merge(GradientAccumulator.of(Fixtures.step(2, g), SharedScales.of(0.5f), 3, 3, p));
    }
    return a;
  }

  private static GradientAccumulator bnLeaf(int partition) {
    Random rnd = new Random(partition);
    return GradientAccumulator.of(
        Fixtures.step(12, Fixtures.gradients(rnd, 4, 9), List.of(bn(rnd, 3), bn(rnd, 2))),
        SharedScales.of(3f, 0.5f), 5, 9, partition);
  }

  private static BnStats bn(Random rnd, int channels) {
    double[][] x = new double[20][channels];
    for (double[] row : x) {
      for (int c = 0; c < channels; c++) {
        row[c] = rnd.nextGaussian();
      }
    }
    return Fixtures.bnOf(x);
  }

  private static Kryo kryo() {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    // Without reference tracking Kryo adds no byte of its own, so sizes compare exactly.
    kryo.setReferences(false);
    GradientAccumulatorSerializer.register(kryo);
    return kryo;
  }

  private static byte[] serialize(GradientAccumulator a) {
    Output out = new Output(1 << 10, -1);
    kryo().writeObject(out, a);
    return out.toBytes();
  }

  private static GradientAccumulator deserialize(byte[] bytes) {
    return kryo().readObject(new Input(bytes), GradientAccumulator.class);
  }
}
