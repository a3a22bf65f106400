package io.sparkint8.nn.spec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Recursive-descent parser of the spec grammar (see {@link NetworkSpec}). It works on characters
 * rather than a token stream because '-' means two things: a layer separator, and a sign inside an
 * argument list ({@code fc(-1)}, {@code dropout(1e-3)}). Every error reports the 1-based position
 * and the token it stopped at, with the spec and a caret underneath.
 */
final class SpecParser {

  private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

  /** A parsed layer and where its text starts and ends in the source. */
  private record Located(LayerSpec layer, int start, String text) {}

  private final String src;
  private int pos;

  /** Width-less fc layers found anywhere; only the last top-level layer may be one. */
  private final List<Located> classesFcs = new ArrayList<>();

  private SpecParser(String src) {
    this.src = src;
  }

  static NetworkSpec parse(String spec, int numClasses) {
    if (spec == null) {
      throw new IllegalArgumentException("network spec must not be null");
    }
    if (numClasses < 1) {
      throw new IllegalArgumentException("numClasses must be >= 1, got " + numClasses);
    }
    SpecParser parser = new SpecParser(spec);
    List<Located> layers = parser.whole();
    Located last = layers.get(layers.size() - 1);
    if (last.layer() instanceof LayerSpec.Fc fc
        && fc.outFeatures() != LayerSpec.Fc.CLASSES
        && fc.outFeatures() != numClasses) {
      throw parser.error(
          last.start(),
          last.text(),
          "the last layer has "
              + fc.outFeatures()
              + " outputs but numClasses is "
              + numClasses
              + " (write a bare fc to follow it)");
    }
    return new NetworkSpec(layers.stream().map(Located::layer).toList(), numClasses);
  }

  /** The width of {@code spec}'s last layer when it is an fc with an explicit width. */
  static OptionalInt statedClasses(String spec) {
    if (spec == null) {
      throw new IllegalArgumentException("network spec must not be null");
    }
    List<Located> layers = new SpecParser(spec).whole();
    LayerSpec last = layers.get(layers.size() - 1).layer();
    return last instanceof LayerSpec.Fc fc && fc.outFeatures() != LayerSpec.Fc.CLASSES
        ? OptionalInt.of(fc.outFeatures())
        : OptionalInt.empty();
  }

  /** The whole spec: its grammar, and a width-less fc nowhere but last. */
  private List<Located> whole() {
    skipSpaces();
    if (atEnd()) {
      throw error(0, "", "empty network spec");
    }
    List<Located> layers = network();
    skipSpaces();
    if (!atEnd()) {
      String what = peek() == ')' ? "unmatched ')'" : "expected '-' or the end of the spec";
      throw error(pos, found(), what);
    }
    Located last = layers.get(layers.size() - 1);
    for (Located fc : classesFcs) {
      if (fc != last) {
        throw error(
            fc.start(), fc.text(), "fc without a width takes numClasses, so it must be the last layer");
      }
    }
    return layers;
  }

  /** network := layer ('-' layer)* */
  private List<Located> network() {
    List<Located> layers = new ArrayList<>();
    while (true) {
      layers.add(layer());
      skipSpaces();
      if (peek() != '-') {
        return layers;
      }
      int dash = pos++;
      skipSpaces();
      if (atEnd() || peek() == ')') {
        throw error(dash, "-", "trailing '-': expected a layer after it, found " + foundText());
      }
    }
  }

  private Located layer() {
    skipSpaces();
    int start = pos;
    String name = readName();
    if (name.isEmpty()) {
      throw error(pos, found(), "expected a layer name, found " + foundText());
    }
    String key = name.toLowerCase(Locale.ROOT);
    if (key.equals("res")) {
      return residual(start);
    }
    LayerGrammar.Def def =
        LayerGrammar.find(key)
            .orElseThrow(
                () ->
                    error(
                        start,
                        name,
                        "unknown layer '"
                            + name
                            + "'; known layers: "
                            + LayerGrammar.knownNames()
                            + "; presets (as the whole spec): "
                            + String.join(", ", Presets.names())));
    LayerGrammar.Values values = arguments(def, start);
    LayerSpec layer;
    try {
      layer = def.build().apply(values);
    } catch (IllegalArgumentException e) {
      // Cross-argument rules live in the records (e.g. a pool's pad <= kernel / 2).
      throw error(start, src.substring(start, pos), e.getMessage());
    }
    Located located = new Located(layer, start, src.substring(start, pos));
    if (layer instanceof LayerSpec.Fc fc && fc.outFeatures() == LayerSpec.Fc.CLASSES) {
      classesFcs.add(located);
    }
    return located;
  }

  private Located residual(int start) {
    skipSpaces();
    if (peek() != '(') {
      throw error(start, "res", "res needs a body in parentheses: res(layer-layer-...)");
    }
    int open = pos++;
    skipSpaces();
    if (peek() == ')') {
      throw error(
          start,
          src.substring(start, pos + 1),
          "empty res(): a residual block needs at least one layer");
    }
    List<Located> body = network();
    skipSpaces();
    if (peek() != ')') {
      throw missingParen(open);
    }
    pos++;
    LayerSpec layer = new LayerSpec.Residual(body.stream().map(Located::layer).toList());
    return new Located(layer, start, src.substring(start, pos));
  }

  /** ['(' [args] ')'] for a simple layer; positional arguments first, then named ones. */
  private LayerGrammar.Values arguments(LayerGrammar.Def def, int start) {
    Map<String, Object> values = new HashMap<>();
    Map<String, Integer> namedAt = new HashMap<>();
    int positional = 0;
    skipSpaces();
    if (peek() == '(') {
      int open = pos++;
      skipSpaces();
      if (peek() == ')') {
        pos++;
      } else {
        while (true) {
          skipSpaces();
          int argAt = pos;
          String argName = namedArgumentAhead();
          if (argName != null) {
            String key = argName.toLowerCase(Locale.ROOT);
            LayerGrammar.Arg arg =
                def.namedArg(key)
                    .orElseThrow(
                        () ->
                            error(
                                argAt,
                                argName,
                                "unknown argument '"
                                    + argName
                                    + "' of "
                                    + def.name()
                                    + "; known: "
                                    + def.namedNames()));
            if (namedAt.containsKey(key)) {
              throw error(
                  argAt,
                  argName,
                  "duplicate argument '"
                      + key
                      + "' of "
                      + def.name()
                      + " (first at position "
                      + (namedAt.get(key) + 1)
                      + ")");
            }
            namedAt.put(key, argAt);
            values.put(key, value(def, arg));
          } else {
            if (!namedAt.isEmpty()) {
              throw error(argAt, readValueText(), "positional argument after a named one");
            }
            if (positional == def.positional().size()) {
              throw error(
                  argAt,
                  readValueText(),
                  def.name()
                      + " takes "
                      + def.positional().size()
                      + " positional argument(s)"
                      + (positional == 0 ? "" : " (" + def.positionalNames() + ")"));
            }
            LayerGrammar.Arg arg = def.positional().get(positional++);
            values.put(arg.name(), value(def, arg));
          }
          skipSpaces();
          if (peek() == ',') {
            pos++;
          } else if (peek() == ')') {
            pos++;
            break;
          } else {
            throw missingParen(open);
          }
        }
      }
    }
    if (positional < def.requiredPositional()) {
      throw error(
          start,
          src.substring(start, pos),
          def.name()
              + " needs "
              + def.requiredPositional()
              + " positional argument(s) ("
              + def.positionalNames()
              + "), got "
              + positional);
    }
    return new LayerGrammar.Values(values);
  }

  /** Reads and converts one value at the current position, reporting its own position on error. */
  private Object value(LayerGrammar.Def def, LayerGrammar.Arg arg) {
    skipSpaces();
    int at = pos;
    String text = readValueText();
    String what = def.name() + " " + arg.name();
    if (text.isEmpty()) {
      throw error(at, found(), "expected a value for " + what + ", found " + foundText());
    }
    switch (arg.kind()) {
      case BOOLEAN:
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
          return Boolean.parseBoolean(text);
        }
        throw error(at, text, "bad boolean for " + what + " (expected true or false)");
      case PROBABILITY:
        if (!DECIMAL.matcher(text).matches()) {
          throw error(at, text, "bad number for " + what);
        }
        double p = Double.parseDouble(text);
        if (!(p >= 0.0 && p < 1.0)) {
          throw error(at, text, what + " must be in [0, 1), got " + text);
        }
        return p;
      default:
        return integer(at, text, what, arg.kind());
    }
  }

  private int integer(int at, String text, String what, LayerGrammar.Kind kind) {
    int value;
    try {
      if (!INTEGER.matcher(text).matches()) {
        throw new NumberFormatException();
      }
      value = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw error(at, text, "bad number for " + what + " (expected an integer)");
    }
    boolean ok =
        switch (kind) {
          case SIZE -> value >= 1;
          case NON_NEGATIVE -> value >= 0;
          case WIDTH_OR_CLASSES -> value >= 1 || value == LayerSpec.Fc.CLASSES;
          default -> throw new IllegalStateException("not an integer kind: " + kind);
        };
    if (!ok) {
      String range =
          switch (kind) {
            case SIZE -> ">= 1";
            case NON_NEGATIVE -> ">= 0";
            default -> ">= 1 (or -1 for the number of classes)";
          };
      throw error(at, text, what + " must be " + range + ", got " + value);
    }
    return value;
  }

  /** If an identifier followed by '=' comes next, consumes both and returns the identifier. */
  private String namedArgumentAhead() {
    int mark = pos;
    String name = readName();
    skipSpaces();
    if (!name.isEmpty() && peek() == '=') {
      pos++;
      return name;
    }
    pos = mark;
    return null;
  }

  /** An identifier; {@code bn-l1} is the one name containing '-', so it is matched explicitly. */
  private String readName() {
    int start = pos;
    if (!atEnd() && Character.isLetter(src.charAt(pos))) {
      while (!atEnd() && isNameChar(src.charAt(pos))) {
        pos++;
      }
    }
    String name = src.substring(start, pos);
    if (name.equalsIgnoreCase("bn")
        && src.regionMatches(true, pos, "-l1", 0, 3)
        && (pos + 3 == src.length() || !isNameChar(src.charAt(pos + 3)))) {
      pos += 3;
      name = src.substring(start, pos);
    }
    return name;
  }

  /**
   * The text of a value: an optional sign, then name characters and '.', a sign after an exponent.
   */
  private String readValueText() {
    int start = pos;
    if (!atEnd() && (peek() == '-' || peek() == '+')) {
      pos++;
    }
    while (!atEnd()) {
      char c = src.charAt(pos);
      boolean exponentSign =
          (c == '-' || c == '+')
              && pos > start
              && (src.charAt(pos - 1) == 'e' || src.charAt(pos - 1) == 'E')
              && looksNumeric(src.substring(start, pos - 1));
      if (!isNameChar(c) && c != '.' && !exponentSign) {
        break;
      }
      pos++;
    }
    return src.substring(start, pos);
  }

  private static boolean looksNumeric(String text) {
    return DECIMAL.matcher(text).matches();
  }

  private static boolean isNameChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }

  private IllegalArgumentException missingParen(int open) {
    return error(
        pos,
        found(),
        "missing ')' to close '(' at position " + (open + 1) + ", found " + foundText());
  }

  private void skipSpaces() {
    while (!atEnd() && Character.isWhitespace(src.charAt(pos))) {
      pos++;
    }
  }

  private boolean atEnd() {
    return pos >= src.length();
  }

  private char peek() {
    return atEnd() ? '\0' : src.charAt(pos);
  }

  /** The character at the current position, or "" at the end. */
  private String found() {
    return atEnd() ? "" : String.valueOf(src.charAt(pos));
  }

  private String foundText() {
    return atEnd() ? "the end of the spec" : "'" + src.charAt(pos) + "'";
  }

  /**
   * "at position 12, 'conv2': unknown layer ..." followed by the spec and a caret, so the message
   * reads well both in a log line and in a terminal.
   */
  private IllegalArgumentException error(int at, String token, String what) {
    String shown = token.isEmpty() ? "<end>" : "'" + token + "'";
    String message = "at position " + (at + 1) + ", " + shown + ": " + what;
    String caret = " ".repeat(Math.min(at, src.length())) + "^";
    return new IllegalArgumentException(message + "\n  " + src + "\n  " + caret);
  }
}
