package io.sparkint8.onnx;

import io.sparkint8.onnx.OnnxProto.Attribute;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX graph under construction: nodes in topological order (each added after its inputs),
 * initializers, and value names kept unique. Every node is named after the value it produces, so
 * a value's name says which layer made it ("conv0/codes").
 */
final class OnnxGraph {
  private final List<ProtoWriter> nodes = new ArrayList<>();
  private final List<ProtoWriter> initializers = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  private final Map<String, String> sharedConstants = new HashMap<>();
  private final Map<String, Integer> opCounts = new HashMap<>();
  private long initializerBytes;

  OnnxGraph(String... inputs) {
    for (String input : inputs) {
      claim(input);
    }
  }

  /** Adds node {@code opType} and returns the name of its one output ({@code name}, made unique). */
  String op(String opType, String name, List<String> inputs, Attribute... attributes) {
    String out = unique(name);
    nodes.add(OnnxProto.node(opType, out, inputs, List.of(out), List.of(attributes)));
    opCounts.merge(opType, 1, Integer::sum);
    return out;
  }

  /** Like {@link #op} but with an output name the caller needs exactly (a graph output). */
  String opNamed(String opType, String output, List<String> inputs, Attribute... attributes) {
    claim(output);
    nodes.add(OnnxProto.node(opType, output, inputs, List.of(output), List.of(attributes)));
    opCounts.merge(opType, 1, Integer::sum);
    return output;
  }

  String floats(String name, long[] dims, float[] values) {
    String n = unique(name);
    initializers.add(OnnxProto.floatTensor(n, dims, values));
    initializerBytes += 4L * values.length;
    return n;
  }

  String int8s(String name, long[] dims, byte[] values) {
    String n = unique(name);
    initializers.add(OnnxProto.int8Tensor(n, dims, values));
    initializerBytes += values.length;
    return n;
  }

  String int64s(String name, long[] dims, long[] values) {
    String n = unique(name);
    initializers.add(OnnxProto.int64Tensor(n, dims, values));
    initializerBytes += 8L * values.length;
    return n;
  }

  /** A float scalar constant, shared by every node that uses the same value. */
  String scalar(float value) {
    return sharedConstants.computeIfAbsent("f" + Float.floatToRawIntBits(value),
        k -> floats("const/" + value, new long[0], new float[] {value}));
  }

  /** The int8 scalar 0, the zero point that makes QuantizeLinear produce int8 codes. */
  String int8Zero() {
    return sharedConstants.computeIfAbsent("i8zero",
        k -> int8s("const/int8_zero", new long[0], new byte[] {0}));
  }

  /** A 1-D int64 constant (a shape for Reshape), shared by equal values. */
  String shape(long... values) {
    return sharedConstants.computeIfAbsent("shape" + java.util.Arrays.toString(values),
        k -> int64s("const/shape", new long[] {values.length}, values));
  }

  List<ProtoWriter> nodes() {
    return nodes;
  }

  List<ProtoWriter> initializers() {
    return initializers;
  }

  /** Bytes of initializer data (weights, scales, constants), as stored. */
  long initializerBytes() {
    return initializerBytes;
  }

  /** How many nodes of each operator the graph holds. */
  Map<String, Integer> opCounts() {
    return Map.copyOf(opCounts);
  }

  private String unique(String base) {
    String n = base;
    for (int i = 2; names.contains(n); i++) {
      n = base + "_" + i;
    }
    names.add(n);
    return n;
  }

  private void claim(String name) {
    if (!names.add(name)) {
      throw new IllegalStateException("value name '" + name + "' is used twice in the graph");
    }
  }
}
