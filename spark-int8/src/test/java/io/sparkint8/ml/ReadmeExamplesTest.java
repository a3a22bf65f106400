package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.apache.spark.ml.param.Param;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Option;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;
import scala.tools.nsc.interpreter.shell.ReplReporterImpl;

/**
 * Keeps README.md honest: its Java usage example is compiled and run, its Scala examples (the
 * Fashion-MNIST one and the MLP on plain numbers) are interpreted against the shared session, and its Params table must equal the one generated from
 * {@code new Int8Classifier().params()}. Regenerate the table with
 * {@code mvn -pl spark-int8 -am test -Dtest=ReadmeExamplesTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dreadme.update=true}.
 */
class ReadmeExamplesTest {
  /** Chance is 0.1; the examples' tiny network reaches about 0.7 on these subsets. */
  private static final double MIN_ACCURACY = 0.4;
  private static final String START_PARAMS = "<!-- params:start -->";

  @Test
  void javaExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
    String source = codeBlock(section("usage-java"), "java");
    Matcher name = Pattern.compile("public\\s+class\\s+(\\w+)").matcher(source);
    assertTrue(name.find(), "README's Java example declares no public class:\n" + source);
    Path src = dir.resolve("src");
    Path classes = dir.resolve("classes");
    Files.createDirectories(src);
    Files.createDirectories(classes);
    Path file = src.resolve(name.group(1) + ".java");
    Files.writeString(file, source);

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertNotNull(javac, "no system Java compiler (running on a JRE?)");
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT,
        StandardCharsets.UTF_8)) {
      List<String> options = List.of("-classpath", testClasspath(), "-d", classes.toString(),
          "--release", "17", "-Xlint:none");
      boolean ok = javac.getTask(null, files, diagnostics, options, null,
          files.getJavaFileObjects(file.toFile())).call();
      assertTrue(ok, "README's Java example does not compile:\n" + diagnostics.getDiagnostics());
    }

    Dataset<Row> train = SparkTestSession.fashion(1500, false, 2);
    Dataset<Row> test = SparkTestSession.fashion(500, true, 2);
    String modelPath = dir.resolve("model").toString();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
        getClass().getClassLoader())) {
      Method run = loader.loadClass(name.group(1)).getMethod("run", org.apache.spark.sql.Dataset.class,
          org.apache.spark.sql.Dataset.class, String.class);
      double accuracy = (Double) run.invoke(null, train, test, modelPath);
      assertTrue(accuracy > MIN_ACCURACY, "reloaded model's accuracy " + accuracy);
    }
    assertTrue(Files.isRegularFile(Path.of(modelPath, "metadata.json")));
    assertEquals(2, Int8ClassificationModel.load(modelPath).summary().totalEpochs());
  }

  @Test
  void scalaExampleInterpretsAgainstTheSession() throws Exception {
    String code = codeBlock(section("usage-scala"), "scala");
    SparkSession spark = SparkTestSession.get();
    Settings settings = new Settings();
    settings.processArgumentString("-classpath " + testClasspath());
    StringWriter output = new StringWriter();
    IMain intp = new IMain(settings, new ReplReporterImpl(settings, new PrintWriter(output, true)));
    try {
      Results.Result bound = intp.bind("spark", SparkSession.class.getName(), spark,
          scala.collection.immutable.List$.MODULE$.empty());
      assertEquals(Results.Success$.MODULE$, bound, "binding spark failed:\n" + output);
      // one statement or definition at a time, so a failure names its statement
      for (String statement : statements(code)) {
        Results.Result r = intp.interpret(statement);
        if (r != Results.Success$.MODULE$) {
          fail("README's Scala example: " + r + " in\n" + statement + "\ninterpreter output:\n"
              + output);
        }
      }
      // the MLP on plain numbers, in the same session (it defines its own names)
      for (String statement : statements(codeBlock(section("usage-mlp"), "scala"))) {
        Results.Result r = intp.interpret(statement);
        if (r != Results.Success$.MODULE$) {
          fail("README's MLP example: " + r + " in\n" + statement + "\ninterpreter output:\n"
              + output);
        }
      }
      Option<Object> mlpAccuracy = intp.valueOfTerm("mlpAccuracy");
      assertTrue(mlpAccuracy.isDefined(), "no mlpAccuracy:\n" + output);
      // two well separated circles; chance is 0.5
      assertTrue((Double) mlpAccuracy.get() > 0.9, "MLP accuracy " + mlpAccuracy.get());
      System.out.println(output);
      Option<Object> accuracy = intp.valueOfTerm("accuracy");
      Option<Object> reloaded = intp.valueOfTerm("reloaded");
      assertTrue(accuracy.isDefined() && reloaded.isDefined(), "no accuracy/reloaded:\n" + output);
      assertTrue((Double) accuracy.get() > MIN_ACCURACY, "accuracy " + accuracy.get());
      assertEquals((Double) accuracy.get(), (Double) reloaded.get(), 1e-12,
          "the reloaded model predicts differently");
    } finally {
      Option<Object> path = intp.valueOfTerm("path");
      intp.close();
      if (path.isDefined()) {
        deleteRecursively(Path.of((String) path.get()));
      }
    }
  }

  @Test
  void paramsTableListsEveryParamWithItsDefault() throws IOException {
    String expected = paramsTable(new Int8Classifier());
    String actual = section("params");
    if (!actual.equals(expected) && Boolean.getBoolean("readme.update")) {
      Path readme = readme();
      String text = Files.readString(readme);
      int s = text.indexOf(START_PARAMS) + START_PARAMS.length();
      int e = text.indexOf("<!-- params:end -->", s);
      Files.writeString(readme, text.substring(0, s) + expected + text.substring(e));
      actual = section("params");
    }
    assertEquals(expected, actual, "README's Params table is stale; regenerate it with "
        + "-Dreadme.update=true (see this test's javadoc)");
  }

  @Test
  void paramsTableGeneratorCoversEveryParam() {
    Int8Classifier clf = new Int8Classifier();
    String table = paramsTable(clf);
    List<String> names = Arrays.stream(clf.params()).map(Param::name).toList();
    // the int8 Params plus Spark's column and threshold Params
    assertTrue(names.containsAll(List.of("inputShape", "precision", "batchSize", "optimizer",
        "aggregationPrecision", "validationIndicatorCol", "labelCol", "featuresCol",
        "probabilityCol", "thresholds")), names.toString());
    for (String n : names) {
      assertTrue(table.contains("\n| `" + n + "` |"), "no row for " + n);
    }
    assertEquals(names.size(), table.lines().filter(l -> l.startsWith("| `")).count());
    assertTrue(table.contains("| `batchSize` | 1024 |"), table);
    assertTrue(table.contains("| `bnRectification` | 0.0001 |"), table);
    assertTrue(table.contains("| `inputShape` | (inferred) |"), table);
  }

  /** The Params table: one row per Param in {@code params()} order, name, default and doc. */
  static String paramsTable(Int8Classifier clf) {
    StringBuilder b = new StringBuilder("\n| Param | default | meaning |\n|---|---|---|\n");
    for (Param<?> p : clf.params()) {
      String def;
      if (clf.hasDefault(p)) {
        def = format(clf.getDefault(p).get());
      } else {
        def = p.name().equals("inputShape") ? "(inferred)" : "(none)";
      }
      b.append("| `").append(p.name()).append("` | ").append(def).append(" | ")
          .append(p.doc().replace("|", "\\|").replace("\n", " ")).append(" |\n");
    }
    return b.toString();
  }

  private static String format(Object v) {
    if (v instanceof Double d) {
      return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
    if (v instanceof String s) {
      return s.isEmpty() ? "\"\"" : "`" + s + "`";
    }
    if (v instanceof int[] a) {
      return Arrays.toString(a);
    }
    if (v instanceof double[] a) {
      return Arrays.toString(a);
    }
    return String.valueOf(v);
  }

  // ---- README access ----

  /** The text between {@code <!-- name:start -->} and {@code <!-- name:end -->}. */
  static String section(String name) throws IOException {
    String text = Files.readString(readme());
    String start = "<!-- " + name + ":start -->";
    String end = "<!-- " + name + ":end -->";
    int s = text.indexOf(start);
    int e = text.indexOf(end);
    assertTrue(s >= 0 && e > s, "README.md has no " + start + " ... " + end + " section");
    return text.substring(s + start.length(), e);
  }

  /** The body of the one fenced block of {@code lang} in {@code section}. */
  static String codeBlock(String section, String lang) {
    Matcher m = Pattern.compile("```" + lang + "\\n(.*?)\\n```", Pattern.DOTALL).matcher(section);
    assertTrue(m.find(), "no ```" + lang + " block in:\n" + section);
    return m.group(1) + "\n";
  }

  /**
   * Splits Scala source into top-level statements: a new statement starts at a line with no
   * indentation that does not continue the previous one (a leading '.' or closing bracket);
   * comment lines go with the statement after them.
   */
  static List<String> statements(String code) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String line : code.split("\n", -1)) {
      boolean topLevel = !line.isEmpty() && !Character.isWhitespace(line.charAt(0))
          && !line.startsWith(".") && !line.startsWith("}") && !line.startsWith(")");
      if (topLevel && hasCode(cur)) {
        out.add(cur.toString());
        cur.setLength(0);
      }
      cur.append(line).append('\n');
    }
    if (hasCode(cur)) {
      out.add(cur.toString());
    }
    return out;
  }

  /** Whether {@code text} holds more than blank lines and line comments. */
  private static boolean hasCode(CharSequence text) {
    return text.toString().lines().map(String::strip)
        .anyMatch(l -> !l.isEmpty() && !l.startsWith("//"));
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  static Path readme() {
    String root = System.getProperty("maven.multiModuleProjectDirectory");
    if (root != null && Files.isRegularFile(Path.of(root, "README.md"))) {
      return Path.of(root, "README.md");
    }
    for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null;
        d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("README.md")) && Files.isDirectory(d.resolve("spark-int8"))) {
        return d.resolve("README.md");
      }
    }
    throw new IllegalStateException("README.md not found above " + System.getProperty("user.dir"));
  }

  /**
   * The test JVM's class path as a path string. Surefire starts the JVM with a manifest-only jar
   * whose Class-Path attribute lists the real entries; neither javac nor scalac follows it.
   */
  static String testClasspath() throws IOException {
    Set<String> entries = new LinkedHashSet<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (e.isEmpty()) {
        continue;
      }
      entries.add(e);
      if (e.endsWith(".jar") && Files.isRegularFile(Path.of(e))) {
        try (JarFile jar = new JarFile(e)) {
          Manifest m = jar.getManifest();
          String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
          if (cp != null) {
            URI base = Path.of(e).toAbsolutePath().toUri();
            for (String u : cp.trim().split("\\s+")) {
              entries.add(Path.of(base.resolve(u)).toString());
            }
          }
        }
      }
    }
    return String.join(File.pathSeparator, entries);
  }
}
