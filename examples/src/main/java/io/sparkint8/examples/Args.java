package io.sparkint8.examples;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line options of the form {@code --name value}, flags without a value, and {@code
 * --help}; every option must be read before {@link #done()}, which rejects unknown ones. Every
 * program's {@code main} goes through {@link #run}, so all of them answer alike: {@code --help}
 * (or {@code -h}) prints the usage and exits 0; a bad command line prints what is wrong and the
 * usage on stderr and exits 2.
 */
final class Args {
  /** Exit status of a bad command line. */
  static final int USAGE_STATUS = 2;

  private final Map<String, String> values = new HashMap<>();
  private final Set<String> flags = new HashSet<>();
  private final String usage;

  /** A bad command line (unknown option, missing or malformed value). */
  static final class UsageError extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UsageError(String message) {
      super(message);
    }
  }

  /** A program's body, given its arguments. */
  @FunctionalInterface
  interface Program {
    void run(String[] args) throws Exception;
  }

  /**
   * Runs a program: {@code --help} anywhere prints {@code usage} and exits 0; a {@link
   * UsageError} prints "{@code name}: message" and the usage on stderr and exits 2.
   */
  static void run(String name, String usage, String[] args, Program program) throws Exception {
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.println(usage);
      System.exit(0);
    }
    try {
      program.run(args);
    } catch (UsageError e) {
      System.err.println(name + ": " + e.getMessage());
      System.err.println(usage);
      System.exit(USAGE_STATUS);
    }
  }

  /**
   * Parses {@code args}; the names in {@code flagNames} take no value.
   *
   * @throws UsageError for a value without an option or an option without a value
   */
  Args(String[] args, String usage, String... flagNames) {
    this.usage = usage;
    Set<String> known = Set.of(flagNames);
    for (int i = 0; i < args.length; i++) {
      if (known.contains(args[i])) {
        flags.add(args[i]);
        continue;
      }
      if (!args[i].startsWith("--")) {
        throw fail("'" + args[i] + "' is not an option");
      }
      if (i + 1 >= args.length) {
        throw fail("option '" + args[i] + "' needs a value");
      }
      values.put(args[i], args[++i]);
    }
  }

  String string(String name, String dflt) {
    String v = values.remove(name);
    return v == null ? dflt : v;
  }

  Path path(String name, Path dflt) {
    String v = values.remove(name);
    return v == null ? dflt : Path.of(v);
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

  long longInteger(String name, long dflt) {
    String v = values.remove(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Long.parseLong(v);
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

  /** Whether the flag {@code name} (declared at construction) was given. */
  boolean flag(String name) {
    return flags.contains(name);
  }

  void done() {
    if (!values.isEmpty()) {
      throw fail("unknown option(s) " + values.keySet());
    }
  }

  UsageError fail(String message) {
    return new UsageError(message);
  }

  String usage() {
    return usage;
  }
}
