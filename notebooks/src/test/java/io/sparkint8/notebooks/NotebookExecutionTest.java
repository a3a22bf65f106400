package io.sparkint8.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkint8.arrow.FashionMnistFiles;
import io.sparkint8.ml.Int8KryoRegistrator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Console$;
import scala.Function0;
import scala.Option;
import scala.collection.immutable.List$;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;
import scala.tools.nsc.interpreter.shell.ReplReporterImpl;

/**
 * Executes every code cell of the three notebooks in {@code notebooks/}, in order, in an embedded
 * Scala 2.13 interpreter ({@link IMain}) against this JVM's one local[2] SparkSession, on a subset
 * of Fashion-MNIST (the notebooks read the run size and the data folder, the one {@link
 * FashionMnistFiles} provisions, from {@code spark_int8.notebook.*} system properties). A cell
 * that does not compile, is incomplete or throws fails its notebook's test with the cell's index,
 * its text and what the interpreter printed. After the last cell the test checks what the notebook
 * computed: the accuracies of both models, the predictions of the reloaded model and the size of
 * its ONNX export.
 *
 * <p>Markdown cells are skipped; so is the Jupyter notebook's cell tagged {@code almond-setup}
 * (it puts Spark and the project's jars on an almond kernel's classpath, which this JVM has).
 */
class NotebookExecutionTest {
  private static final String PROPERTY_PREFIX = "spark_int8.notebook.";
  /**
   * The run size the notebooks read: ~30 s per notebook on 2 cores once the JVM is warm (the
   * first pays ~1 min more for the compiler and Spark), 16 steps per epoch so both models learn.
   */
  private static final Map<String, String> SUBSET = Map.of(
      "rows", "1000",
      "testRows", "500",
      "epochs", "2",
      "batchSize", "64");
  private static final String DATABRICKS_HEADER = "// Databricks notebook source";
  private static final String DATABRICKS_SEPARATOR = "// COMMAND ----------";
  private static final int OUTPUT_IN_MESSAGE = 8000;

  private static SparkSession spark;
  private static final Map<String, String> savedProperties = new HashMap<>();

  /** One code cell: where it is in its notebook and its Scala text. */
  record Cell(int index, String code) {}

  @BeforeAll
  static void sessionAndSubset() {
    spark = SparkSession.builder()
        .master("local[2]")
        .appName("spark-int8-notebook-tests")
        .config("spark.ui.enabled", "false")
        // a task that leaves a cached block locked fails instead of logging it; adaptive execution
        // is off because its materialization of a cached DataFrame (Spark 4.1) leaves such a lock
        // itself, which would hide ours
        .config("spark.storage.exceptionOnPinLeak", "true")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", Int8KryoRegistrator.class.getName())
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    for (Map.Entry<String, String> e : SUBSET.entrySet()) {
      setProperty(PROPERTY_PREFIX + e.getKey(), e.getValue());
    }
    // the notebooks read the folder the build provisions (fetched there when missing)
    setProperty(PROPERTY_PREFIX + "dataDir", FashionMnistFiles.provision().dir().toString());
  }

  @AfterAll
  static void restoreProperties() {
    // the session stays up until the JVM exits: one session per test JVM
    for (Map.Entry<String, String> e : savedProperties.entrySet()) {
      if (e.getValue() == null) {
        System.clearProperty(e.getKey());
      } else {
        System.setProperty(e.getKey(), e.getValue());
      }
    }
  }

  private static void setProperty(String key, String value) {
    if (!savedProperties.containsKey(key)) {
      savedProperties.put(key, System.getProperty(key));
    }
    System.setProperty(key, value);
  }

  @Test
  void zeppelinNote(@TempDir Path tmp) throws IOException {
    Path file = notebook("fashion-mnist-int8.zpln");
    JsonNode note = new ObjectMapper().readTree(file.toFile());
    JsonNode paragraphs = note.path("paragraphs");
    assertTrue(paragraphs.isArray() && paragraphs.size() > 0, file + ": no paragraphs");
    List<Cell> cells = new ArrayList<>();
    List<String> markdown = new ArrayList<>();
    for (int i = 0; i < paragraphs.size(); i++) {
      JsonNode p = paragraphs.get(i);
      assertTrue(p.path("config").isObject(), file + ": paragraph " + i + " has no config");
      String text = p.path("text").asText("");
      String directive = text.strip().split("\\s", 2)[0];
      String body = text.strip().substring(directive.length()).strip();
      switch (directive) {
        case "%spark" -> cells.add(new Cell(i, body));
        case "%md" -> markdown.add(body);
        default -> fail(file + ": paragraph " + i + " starts with '" + directive
            + "', expected %spark (Scala) or %md");
      }
    }
    checkMarkdown(file, markdown);
    // Zeppelin's built-ins: the interpreter's `spark` and the ZeppelinContext `z`
    run(file, cells, true, """
        // Stands in for Zeppelin's ZeppelinContext `z`, a built-in of the %spark interpreter
        // (z.show renders a table with charts there); here it prints the rows.
        object z {
          def show(df: org.apache.spark.sql.Dataset[_]): Unit = df.show(100, false)
        }
        """, tmp);
  }

  @Test
  void jupyterNotebook(@TempDir Path tmp) throws IOException {
    Path file = notebook("fashion-mnist-int8.ipynb");
    JsonNode nb = new ObjectMapper().readTree(file.toFile());
    assertEquals(4, nb.path("nbformat").asInt(), file + ": nbformat");
    assertEquals("scala", nb.path("metadata").path("kernelspec").path("name").asText(),
        file + ": kernelspec name");
    assertEquals("scala", nb.path("metadata").path("language_info").path("name").asText(),
        file + ": language_info name");
    JsonNode jcells = nb.path("cells");
    assertTrue(jcells.isArray() && jcells.size() > 0, file + ": no cells");
    List<Cell> cells = new ArrayList<>();
    List<String> markdown = new ArrayList<>();
    int setupCells = 0;
    for (int i = 0; i < jcells.size(); i++) {
      JsonNode c = jcells.get(i);
      String source = source(c.path("source"));
      switch (c.path("cell_type").asText()) {
        case "code" -> {
          boolean almondSetup = false;
          for (JsonNode tag : c.path("metadata").path("tags")) {
            almondSetup |= tag.asText().equals("almond-setup");
          }
          if (almondSetup) {
            setupCells++; // almond's classpath magic ($ivy, interp.load): this JVM has the jars
          } else {
            cells.add(new Cell(i, source));
          }
        }
        case "markdown" -> markdown.add(source);
        case "raw" -> { }
        default -> fail(file + ": cell " + i + " has cell_type " + c.path("cell_type"));
      }
    }
    assertEquals(1, setupCells, file + ": cells tagged almond-setup");
    checkMarkdown(file, markdown);
    // no built-ins: the notebook builds its SparkSession (getOrCreate finds this JVM's) and
    // prints tables with df.show()
    run(file, cells, false, "", tmp);
  }

  @Test
  void databricksNotebook(@TempDir Path tmp) throws IOException {
    Path file = notebook("fashion-mnist-int8.scala");
    String text = Files.readString(file, StandardCharsets.UTF_8);
    assertTrue(text.startsWith(DATABRICKS_HEADER + "\n"),
        file + ": first line must be '" + DATABRICKS_HEADER + "'");
    String[] parts = text.substring(DATABRICKS_HEADER.length() + 1)
        .split("(?m)^" + DATABRICKS_SEPARATOR + "[ \\t]*$");
    List<Cell> cells = new ArrayList<>();
    List<String> markdown = new ArrayList<>();
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i].strip();
      if (part.isEmpty()) {
        continue;
      }
      List<String> lines = part.lines().toList();
      long magic = lines.stream().filter(l -> l.startsWith("// MAGIC")).count();
      if (magic == 0) {
        cells.add(new Cell(i, part));
        continue;
      }
      assertEquals(lines.size(), magic, file + ": cell " + i + " mixes // MAGIC and code lines");
      assertEquals("// MAGIC %md", lines.get(0).strip(),
          file + ": cell " + i + " is a magic cell other than %md");
      StringBuilder md = new StringBuilder();
      for (String l : lines.subList(1, lines.size())) {
        md.append(l.substring("// MAGIC".length()).replaceFirst("^ ", "")).append('\n');
      }
      markdown.add(md.toString());
    }
    checkMarkdown(file, markdown);
    run(file, cells, true, """
        // Stands in for Databricks' `display`, a built-in of its notebooks (it renders a table
        // with charts there); here it prints the rows.
        def display(df: org.apache.spark.sql.Dataset[_]): Unit = df.show(100, false)
        """, tmp);
  }

  /** The notebooks document the subset knob and the cluster's Kryo registrator. */
  private static void checkMarkdown(Path file, List<String> markdown) {
    String all = String.join("\n", markdown);
    assertTrue(all.contains("spark_int8.notebook.rows"),
        file + ": no markdown cell documents spark_int8.notebook.rows");
    assertTrue(all.contains(Int8KryoRegistrator.class.getName()),
        file + ": no markdown cell names the Kryo registrator");
  }

  /**
   * Runs {@code cells} in order in a fresh interpreter: first binds {@code spark} when the
   * platform provides it, then the {@code shim} of the platform's other built-ins, then the
   * cells. Fails at the first cell that does not succeed. Checks the results the notebooks name.
   */
  private static void run(Path file, List<Cell> cells, boolean platformSpark, String shim,
      Path tmp) throws IOException {
    assertFalse(cells.isEmpty(), file + ": no code cells");
    setProperty(PROPERTY_PREFIX + "modelDir", tmp.resolve("model").toString());
    Settings settings = new Settings();
    settings.usejavacp().value_$eq(true);
    StringWriter interpreterOut = new StringWriter();
    PrintWriter writer = new PrintWriter(interpreterOut, true);
    IMain repl = new IMain(settings, new ReplReporterImpl(settings, writer));
    try {
      if (platformSpark) {
        // the platform's SparkSession, like Zeppelin's and Databricks' `spark`
        Results.Result bound = repl.bind("spark", SparkSession.class.getName(), spark,
            List$.MODULE$.<String>empty());
        assertSame(Results.Success$.MODULE$, bound, () -> "binding spark: " + interpreterOut);
      }
      if (!shim.isBlank()) {
        execute(repl, interpreterOut, file, new Cell(-1, shim.strip()));
      }
      long start = System.nanoTime();
      for (Cell cell : cells) {
        execute(repl, interpreterOut, file, cell);
      }
      System.out.printf(Locale.ROOT, "%s: %d code cells in %.1f s%n", file.getFileName(),
          cells.size(), (System.nanoTime() - start) / 1e9);
      // the notebook ran on this JVM's session and computed what it shows
      assertSame(spark, value(repl, file, "spark"), file + ": the notebook's spark session");
      for (String name : new String[] {"int8Accuracy", "fp32Accuracy"}) {
        double acc = ((Number) value(repl, file, name)).doubleValue();
        // chance is 0.1; cnn-small reaches ~0.79 on this subset after 2 epochs
        assertTrue(acc > 0.5 && acc <= 1.0, file + ": " + name + " = " + acc);
      }
      assertEquals(0L, ((Number) value(repl, file, "predictionsDiffering")).longValue(),
          file + ": predictions of the reloaded model that differ");
      assertTrue(Files.isRegularFile(tmp.resolve("model").resolve("model.si8m")),
          file + ": no saved model in " + tmp.resolve("model"));
      Path onnx = tmp.resolve("model-onnx").resolve("model.onnx");
      assertTrue(Files.isRegularFile(onnx), file + ": no ONNX export " + onnx);
      long onnxBytes = ((Number) value(repl, file, "onnxBytes")).longValue();
      long fp32Bytes = ((Number) value(repl, file, "fp32Bytes")).longValue();
      assertEquals(Files.size(onnx), onnxBytes, file + ": onnxBytes");
      // int8 weights: about a quarter of the fp32 parameter bytes
      assertTrue(onnxBytes < 0.3 * fp32Bytes, file + ": " + onnxBytes + " bytes of ONNX for "
          + fp32Bytes + " fp32 parameter bytes");
    } finally {
      repl.close();
    }
  }

  /** Interprets one cell; a compile error, an incomplete cell or an exception fails the test. */
  private static void execute(IMain repl, StringWriter interpreterOut, Path file, Cell cell) {
    String label = cell.index() < 0 ? "the platform shim"
        : "cell " + cell.index() + " (0-based, markdown cells counted)";
    System.out.println("---- " + file.getFileName() + ": " + label);
    ByteArrayOutputStream consoleOut = new ByteArrayOutputStream();
    int reporterStart = interpreterOut.getBuffer().length();
    // println and df.show in the cell write to scala.Console.out: keep a copy for the message
    PrintStream tee = new PrintStream(new TeeStream(System.out, consoleOut), true,
        StandardCharsets.UTF_8);
    Function0<Results.Result> interpret = () -> repl.interpret(cell.code());
    long start = System.nanoTime();
    Results.Result result = Console$.MODULE$.withOut(tee, interpret);
    String reported = interpreterOut.getBuffer().substring(reporterStart);
    System.out.print(reported);
    System.out.printf(Locale.ROOT, "---- %s: %s: %s in %.1f s%n", file.getFileName(), label,
        result, (System.nanoTime() - start) / 1e9);
    if (result != Results.Success$.MODULE$) {
      String output = consoleOut.toString(StandardCharsets.UTF_8) + reported;
      if (output.length() > OUTPUT_IN_MESSAGE) {
        output = "..." + output.substring(output.length() - OUTPUT_IN_MESSAGE);
      }
      String why = result == Results.Incomplete$.MODULE$
          ? "Incomplete: the cell ends inside an expression or definition" : result.toString();
      fail(file.getFileName() + ": " + label + " failed (" + why + ")\n---- cell " + cell.index()
          + " ----\n" + cell.code() + "\n---- interpreter output ----\n" + output);
    }
  }

  private static Object value(IMain repl, Path file, String name) {
    Option<Object> v = repl.valueOfTerm(name);
    assertTrue(v.isDefined(), file + ": the notebook defines no value " + name);
    return v.get();
  }

  /** A Jupyter cell's source: a string or a list of lines. */
  private static String source(JsonNode source) {
    if (source.isArray()) {
      StringBuilder s = new StringBuilder();
      source.forEach(line -> s.append(line.asText()));
      return s.toString();
    }
    return source.asText("");
  }

  private static Path notebook(String name) {
    Path file = Path.of(System.getProperty("basedir", ".")).resolve(name);
    assertTrue(Files.isRegularFile(file), "no notebook " + file.toAbsolutePath());
    return file;
  }

  /** Writes to two streams. */
  private static final class TeeStream extends OutputStream {
    private final PrintStream first;
    private final OutputStream second;

    TeeStream(PrintStream first, OutputStream second) {
      this.first = first;
      this.second = second;
    }

    @Override
    public void write(int b) throws IOException {
      first.write(b);
      second.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      first.write(b, off, len);
      second.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      first.flush();
      second.flush();
    }
  }
}
