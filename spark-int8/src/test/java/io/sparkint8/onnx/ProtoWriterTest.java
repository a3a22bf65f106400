package io.sparkint8.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.ModelState;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The wire encodings against protobuf's documented examples, and an exported model read back with
 * a minimal decoder: its IR version, opset and the bytes its weights take.
 */
class ProtoWriterTest {

  @Test
  void encodesAsProtobufDocumentsIt() {
    // the encoding guide's examples: field 1 = 150 is 08 96 01; field 2 = "testing"
    assertArrayEquals(bytes(0x08, 0x96, 0x01), new ProtoWriter().varint(1, 150).toByteArray());
    assertArrayEquals(bytes(0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'),
        new ProtoWriter().string(2, "testing").toByteArray());
    // a negative int64 is ten bytes, all continuation bits set but the last
    byte[] minusOne = new ProtoWriter().varint(1, -1).toByteArray();
    assertEquals(11, minusOne.length);
    assertEquals(0x01, minusOne[10]);
    // 1.0f as fixed32 little-endian after tag (field 2, wire type 5)
    assertArrayEquals(bytes(0x15, 0x00, 0x00, 0x80, 0x3f),
        new ProtoWriter().float32(2, 1f).toByteArray());
    // an embedded message is length-delimited: field 3 { field 1 = 150 }
    assertArrayEquals(bytes(0x1a, 0x03, 0x08, 0x96, 0x01),
        new ProtoWriter().message(3, new ProtoWriter().varint(1, 150)).toByteArray());
    assertArrayEquals(bytes(0x08, 0x01, 0x08, 0x02),
        new ProtoWriter().repeatedVarints(1, new long[] {1, 2}).toByteArray());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new ProtoWriter().varint(0, 1));
    assertTrue(e.getMessage().contains("field=0"), e.getMessage());
  }

  @Test
  void exportedModelDeclaresOpset17AndStoresInt8Weights() throws Exception {
    Shape in = Shape.chw(1, 12, 12);
    NetworkSpec spec = NetworkSpec.parse("conv(16,3)-bn-relu-maxpool(2)-fc(64)-relu-fc", 10);
    try (OffHeapAllocator alloc = new OffHeapAllocator("onnx-structure");
        Network net = Network.build(spec, in, 1,
            new LayerContext(new JavaBackend(), alloc, EngineConfig.defaults(Precision.INT8)))) {
      ModelState state = ModelState.capture(net);
      OnnxExport.Result result = OnnxExport.export(state);
      Message model = Message.parse(result.bytes());
      assertEquals(List.of(OnnxProto.IR_VERSION), model.varints(1), "ir_version");
      List<Message> opsets = model.messages(8);
      assertEquals(1, opsets.size());
      assertEquals(List.of((long) OnnxExport.OPSET), opsets.get(0).varints(2), "opset version");
      assertTrue(OnnxExport.OPSET >= 17);
      long fp32Bytes = 0;
      for (float[] p : net.weights()) {
        fp32Bytes += 4L * p.length;
      }
      // int8 weights, fp32 biases, scales and BN scale/shift: just over a quarter
      double ratio = (double) result.initializerBytes() / fp32Bytes;
      assertTrue(ratio > 0.25 && ratio < 0.27, "initializer bytes / fp32 parameter bytes = "
          + ratio);
      assertTrue(result.bytes().length < 0.3 * fp32Bytes, "file of " + result.bytes().length
          + " bytes for " + fp32Bytes + " fp32 parameter bytes");
      // the graph: one input, two outputs, named as the model's columns
      Message graph = model.messages(7).get(0);
      assertEquals(List.of(OnnxExport.INPUT), names(graph.messages(11)));
      assertEquals(List.of(OnnxExport.RAW_PREDICTION, OnnxExport.PROBABILITY),
          names(graph.messages(12)));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      OnnxExport.write(state, out);
      assertArrayEquals(result.bytes(), out.toByteArray(), "export is deterministic");
    }
  }

  private static List<String> names(List<Message> valueInfos) {
    List<String> names = new ArrayList<>();
    for (Message m : valueInfos) {
      names.add(m.string(1));
    }
    return names;
  }

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  /** A decoded message: its fields in order as (number, varint or bytes). */
  private record Message(List<long[]> varintFields, List<Object[]> byteFields) {
    static Message parse(byte[] data) {
      List<long[]> varints = new ArrayList<>();
      List<Object[]> lengthDelimited = new ArrayList<>();
      int[] at = {0};
      while (at[0] < data.length) {
        long tag = readVarint(data, at);
        int field = (int) (tag >>> 3);
        switch ((int) (tag & 7)) {
          case 0 -> varints.add(new long[] {field, readVarint(data, at)});
          case 2 -> {
            int length = (int) readVarint(data, at);
            byte[] body = java.util.Arrays.copyOfRange(data, at[0], at[0] + length);
            at[0] += length;
            lengthDelimited.add(new Object[] {field, body});
          }
          case 5 -> at[0] += 4;
          default -> throw new AssertionError("wire type " + (tag & 7) + " at " + at[0]);
        }
      }
      return new Message(varints, lengthDelimited);
    }

    List<Long> varints(int field) {
      return varintFields.stream().filter(f -> f[0] == field).map(f -> f[1]).toList();
    }

    List<Message> messages(int field) {
      return byteFields.stream().filter(f -> (int) f[0] == field)
          .map(f -> parse((byte[]) f[1])).toList();
    }

    String string(int field) {
      return byteFields.stream().filter(f -> (int) f[0] == field)
          .map(f -> new String((byte[]) f[1], java.nio.charset.StandardCharsets.UTF_8))
          .findFirst().orElseThrow();
    }

    private static long readVarint(byte[] data, int[] at) {
      long v = 0;
      for (int shift = 0; ; shift += 7) {
        int b = data[at[0]++] & 0xff;
        v |= (long) (b & 0x7f) << shift;
        if (b < 0x80) {
          return v;
        }
      }
    }
  }
}
