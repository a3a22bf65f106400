package io.sparkint8.examples;

import java.util.HashMap;
import java.util.Map;

/**
 * Command-line options of the form {@code --name value} (and {@code --help}); every option must be
 * read before {@link #done()}, which rejects unknown ones with the usage text.
 */
final class Args {
  private final Map<String, String> values = new HashMap<>();
  private final String usage;

  Args(String[] args, String usage) {
    this.usage = usage;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--help") || args[i].equals("-h")) {
        System.out.println(usage);
        System.exit(0);
      }
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw fail("option '" + args[i] + "' needs a value");
      }
      values.put(args[i], args[++i]);
    }
  }

  String string(String name, String dflt) {
    String v = values.remove(name);
    return v == null ? dflt : v;
  }

  int integer(String name, int dflt) {
    String v = values.remove(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw fail(name + " " + v + ": expected an integer");
    }
  }

  double number(String name, double dflt) {
    String v = values.remove(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw fail(name + " " + v + ": expected a number");
    }
  }

  void done() {
    if (!values.isEmpty()) {
      throw fail("unknown option(s) " + values.keySet());
    }
  }

  private IllegalArgumentException fail(String message) {
    return new IllegalArgumentException(message + "\n" + usage);
  }
}
