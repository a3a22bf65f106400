package io.sparkint8.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every program examples/run launches answers {@code --help} with a usage that names every option
 * its source reads, exit status 0, and an unknown option with a message naming it, exit status 2.
 * The programs are the launcher's own list (its {@code NAME) main=CLASS} cases), each run in a
 * child JVM on this test's classpath, as examples/run would run it.
 */
class ProgramHelpTest {
  private static final Pattern CASE = Pattern.compile("^\\s*([a-z][a-z0-9-]*)\\)");
  private static final Pattern MAIN = Pattern.compile("main=(io\\.sparkint8\\.examples\\.\\w+)");
  private static final Pattern OPTION = Pattern.compile("\"(--[a-z][a-z0-9-]*)");

  @Test
  void everyProgramAnswersHelpAndRejectsUnknownOptions() throws Exception {
    Map<String, String> programs = launcherPrograms();
    assertTrue(programs.keySet().containsAll(List.of("fashion-mnist", "export-onnx",
        "bench-train", "bench-kernels", "bench-accuracy", "bench-ingest", "bench-spark",
        "data-lake", "pipeline")), "examples/run lists " + programs.keySet());
    for (Map.Entry<String, String> p : programs.entrySet()) {
      String name = p.getKey();
      String mainClass = p.getValue();
      Result help = launch(mainClass, "--help");
      assertEquals(0, help.status(), name + " --help: " + help);
      assertTrue(help.stdout().contains("usage: examples/run " + name), name + " --help: " + help);
      for (String option : optionsInSource(mainClass)) {
        assertTrue(help.stdout().contains(option), name + " --help does not mention " + option
            + ": " + help.stdout());
      }
      Result unknown = launch(mainClass, "--no-such-option", "1");
      assertEquals(Args.USAGE_STATUS, unknown.status(), name + " --no-such-option: " + unknown);
      assertTrue(unknown.stderr().contains("--no-such-option"), name + ": " + unknown);
    }
  }

  /** NAME -> main class of each program examples/run knows. */
  private static Map<String, String> launcherPrograms() throws IOException {
    Path launcher = Path.of("run");
    assertTrue(Files.isRegularFile(launcher), "run from the examples module: " + launcher
        .toAbsolutePath());
    Map<String, String> programs = new LinkedHashMap<>();
    String pending = null;
    for (String line : Files.readAllLines(launcher)) {
      Matcher c = CASE.matcher(line);
      if (c.find()) {
        pending = c.group(1);
      }
      Matcher m = MAIN.matcher(line);
      if (m.find() && pending != null) {
        programs.put(pending, m.group(1));
        pending = null;
      }
    }
    assertFalse(programs.isEmpty(), "no NAME) main=CLASS in " + launcher);
    return programs;
  }

  /** The --options a program's source spells out (its usage must name them all). */
  private static TreeSet<String> optionsInSource(String mainClass) throws IOException {
    Path source = Path.of("src/main/java", mainClass.replace('.', '/') + ".java");
    TreeSet<String> options = new TreeSet<>();
    Matcher m = OPTION.matcher(Files.readString(source));
    while (m.find()) {
      options.add(m.group(1));
    }
    options.remove("--help");
    assertFalse(options.isEmpty(), source + " reads no options?");
    return options;
  }

  private record Result(int status, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + status + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  private static Result launch(String mainClass, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("program-help", ".out");
    Path err = Files.createTempFile("program-help", ".err");
    try {
      Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
          .redirectError(err.toFile()).start();
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "still running: " + command);
      return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
