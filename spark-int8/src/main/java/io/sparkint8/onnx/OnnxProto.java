package io.sparkint8.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

/**
 * The ONNX messages an exported model is made of, encoded with {@link ProtoWriter}. Field numbers
 * and enum values are those of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto with TypeProto and TensorShapeProto, OperatorSetIdProto,
 * StringStringEntryProto), which ONNX keeps stable across versions.
 */
final class OnnxProto {
  /** TensorProto.DataType values used here. */
  static final int FLOAT = 1;

  static final int INT8 = 3;
  static final int INT64 = 7;

  /** IR version 8 is the one that goes with opset 17 (ONNX 1.12). */
  static final long IR_VERSION = 8;

  private OnnxProto() {}

  /** An attribute of a node: INT, FLOAT, INTS or STRING, by the Java type of the value. */
  record Attribute(String name, Object value) {
    Attribute {
      if (!(value instanceof Long || value instanceof Float || value instanceof long[]
          || value instanceof String)) {
        throw new IllegalArgumentException("attribute " + name + ": value of type "
            + (value == null ? "null" : value.getClass().getSimpleName())
            + ", expected Long, Float, long[] or String");
      }
    }

    static Attribute integer(String name, long value) {
      return new Attribute(name, value);
    }

    static Attribute ints(String name, long... values) {
      return new Attribute(name, values.clone());
    }

    ProtoWriter encode() {
      ProtoWriter a = new ProtoWriter().string(1, name);
      if (value instanceof Long i) {
        a.varint(3, i).varint(20, 2);
      } else if (value instanceof Float f) {
        a.float32(2, f).varint(20, 1);
      } else if (value instanceof long[] ints) {
        a.repeatedVarints(8, ints).varint(20, 7);
      } else {
        a.string(4, (String) value).varint(20, 3);
      }
      return a;
    }
  }

  static ProtoWriter node(String opType, String name, List<String> inputs, List<String> outputs,
      List<Attribute> attributes) {
    ProtoWriter n = new ProtoWriter();
    inputs.forEach(i -> n.string(1, i));
    outputs.forEach(o -> n.string(2, o));
    n.string(3, name).string(4, opType);
    attributes.forEach(a -> n.message(5, a.encode()));
    return n;
  }

  /** A tensor whose elements are given as little-endian bytes (raw_data). */
  static ProtoWriter tensor(String name, int dataType, long[] dims, byte[] raw) {
    return new ProtoWriter().repeatedVarints(1, dims).varint(2, dataType).string(8, name)
        .bytes(9, raw);
  }

  static ProtoWriter floatTensor(String name, long[] dims, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return tensor(name, FLOAT, dims, b.array());
  }

  static ProtoWriter int64Tensor(String name, long[] dims, long[] values) {
    ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return tensor(name, INT64, dims, b.array());
  }

  static ProtoWriter int8Tensor(String name, long[] dims, byte[] values) {
    return tensor(name, INT8, dims, values.clone());
  }

  /**
   * A graph input or output: a tensor of {@code elemType} whose dimensions are given as Long
   * (fixed) or String (symbolic, e.g. the batch "N").
   */
  static ProtoWriter valueInfo(String name, int elemType, List<Object> dims) {
    ProtoWriter shape = new ProtoWriter();
    for (Object d : dims) {
      ProtoWriter dim = new ProtoWriter();
      if (d instanceof Long v) {
        dim.varint(1, v);
      } else {
        dim.string(2, (String) d);
      }
      shape.message(1, dim);
    }
    ProtoWriter tensorType = new ProtoWriter().varint(1, elemType).message(2, shape);
    ProtoWriter type = new ProtoWriter().message(1, tensorType);
    return new ProtoWriter().string(1, name).message(2, type);
  }

  static ProtoWriter graph(String name, String doc, List<ProtoWriter> nodes,
      List<ProtoWriter> initializers, List<ProtoWriter> inputs, List<ProtoWriter> outputs) {
    ProtoWriter g = new ProtoWriter();
    nodes.forEach(n -> g.message(1, n));
    g.string(2, name);
    initializers.forEach(t -> g.message(5, t));
    g.string(10, doc);
    inputs.forEach(i -> g.message(11, i));
    outputs.forEach(o -> g.message(12, o));
    return g;
  }

  static ProtoWriter model(long opset, String producer, String producerVersion, String doc,
      ProtoWriter graph, Map<String, String> metadata) {
    ProtoWriter m = new ProtoWriter().varint(1, IR_VERSION).string(2, producer)
        .string(3, producerVersion).string(6, doc).message(7, graph);
    m.message(8, new ProtoWriter().string(1, "").varint(2, opset));
    metadata.forEach((k, v) -> m.message(14, new ProtoWriter().string(1, k).string(2, v)));
    return m;
  }
}
