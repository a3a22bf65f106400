package io.sparkint8.nn.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The argument signature of each simple layer name (every layer except {@code res}, whose argument
 * is a network): which positional and named arguments it takes, of what kind, and how to build the
 * record. Kept as data so the parser has one code path for all layers and the error messages list
 * the names.
 */
final class LayerGrammar {

  /** What an argument's text must be. */
  enum Kind {
    /** An integer >= 1. */
    SIZE,
    /** An integer >= 0. */
    NON_NEGATIVE,
    /** An integer >= 1, or -1 for "the number of classes". */
    WIDTH_OR_CLASSES,
    /** A decimal number in [0, 1). */
    PROBABILITY,
    /** {@code true} or {@code false}. */
    BOOLEAN
  }

  record Arg(String name, Kind kind) {}

  /** Converted argument values by argument name; absent ones take the builder's default. */
  record Values(Map<String, Object> byName) {
    int integer(String name, int fallback) {
      return (Integer) byName.getOrDefault(name, fallback);
    }

    double decimal(String name) {
      return (Double) byName.get(name);
    }

    boolean bool(String name, boolean fallback) {
      return (Boolean) byName.getOrDefault(name, fallback);
    }
  }

  record Def(
      String name,
      List<Arg> positional,
      int requiredPositional,
      List<Arg> named,
      Function<Values, LayerSpec> build) {

    Optional<Arg> namedArg(String argName) {
      return named.stream().filter(arg -> arg.name().equals(argName)).findFirst();
    }

    String positionalNames() {
      List<String> names = new ArrayList<>();
      positional.forEach(arg -> names.add(arg.name()));
      return String.join(", ", names);
    }

    String namedNames() {
      List<String> names = new ArrayList<>();
      named.forEach(arg -> names.add(arg.name()));
      return names.isEmpty() ? "none" : String.join(", ", names);
    }
  }

  private static final Map<String, Def> DEFS = defs();

  private LayerGrammar() {}

  static Optional<Def> find(String lowerCaseName) {
    return Optional.ofNullable(DEFS.get(lowerCaseName));
  }

  /** Every layer name of the grammar, {@code res} included, for error messages. */
  static String knownNames() {
    return String.join(", ", DEFS.keySet()) + ", res";
  }

  private static Map<String, Def> defs() {
    Arg stride = new Arg("s", Kind.SIZE);
    Arg pad = new Arg("p", Kind.NON_NEGATIVE);
    Arg kernel = new Arg("kernel", Kind.SIZE);
    List<Def> defs =
        List.of(
            new Def(
                "conv",
                List.of(new Arg("outChannels", Kind.SIZE), kernel),
                2,
                List.of(stride, pad, new Arg("bias", Kind.BOOLEAN)),
                v -> {
                  int k = v.integer("kernel", 0);
                  return new LayerSpec.Conv(
                      v.integer("outChannels", 0),
                      k,
                      v.integer("s", 1),
                      v.integer("p", k / 2),
                      v.bool("bias", true));
                }),
            new Def(
                "fc",
                List.of(new Arg("outFeatures", Kind.WIDTH_OR_CLASSES)),
                0,
                List.of(),
                v -> new LayerSpec.Fc(v.integer("outFeatures", LayerSpec.Fc.CLASSES))),
            noArgs("bn", v -> new LayerSpec.Bn(LayerSpec.Bn.Variant.STANDARD)),
            noArgs("bn-l1", v -> new LayerSpec.Bn(LayerSpec.Bn.Variant.L1)),
            noArgs("relu", v -> new LayerSpec.Relu()),
            new Def(
                "maxpool",
                List.of(kernel),
                1,
                List.of(stride, pad),
                v -> {
                  int k = v.integer("kernel", 0);
                  return new LayerSpec.MaxPool(k, v.integer("s", k), v.integer("p", 0));
                }),
            new Def(
                "avgpool",
                List.of(kernel),
                1,
                List.of(stride, pad),
                v -> {
                  int k = v.integer("kernel", 0);
                  return new LayerSpec.AvgPool(k, v.integer("s", k), v.integer("p", 0));
                }),
            noArgs("gap", v -> new LayerSpec.GlobalAvgPool()),
            noArgs("flatten", v -> new LayerSpec.Flatten()),
            new Def(
                "dropout",
                List.of(new Arg("p", Kind.PROBABILITY)),
                1,
                List.of(),
                v -> new LayerSpec.Dropout(v.decimal("p"))));
    Map<String, Def> byName = new LinkedHashMap<>();
    defs.forEach(def -> byName.put(def.name(), def));
    return byName;
  }

  private static Def noArgs(String name, Function<Values, LayerSpec> build) {
    return new Def(name, List.of(), 0, List.of(), build);
  }
}
