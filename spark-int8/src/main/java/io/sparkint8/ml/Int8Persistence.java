package io.sparkint8.ml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkint8.nn.ModelState;
import io.sparkint8.train.EpochSummary;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;

/**
 * Saving and loading both stages. A stage directory holds:
 *
 * <ul>
 *   <li>{@code metadata.json}: class, uid, Spark version, {@code formatVersion}, timestamp, the
 *       explicitly set Params ({@code paramMap}) and the defaults ({@code defaultParamMap}), each
 *       value in its Param's own JSON encoding;
 *   <li>models only: {@code model.si8m}, the engine's model state (ModelState's versioned binary
 *       format: spec, weights, BN running statistics, clipping state), and {@code summary.json},
 *       the training summary;
 *   <li>{@code metadata/part-00000}: metadata.json again as one line, where Spark's
 *       DefaultParamsReader looks for it, so that a Pipeline or CrossValidatorModel holding the
 *       stage loads. Not read here; directories without it load.
 * </ul>
 *
 * Files are written through Hadoop's FileSystem, so any path Spark can write (local, HDFS, S3A,
 * DBFS) works. A directory with a newer {@code formatVersion} or a missing file is rejected with
 * an IllegalArgumentException that says which.
 */
final class Int8Persistence {
  /** The layout version written; readers accept this and older. */
  static final int FORMAT_VERSION = 1;
  static final String METADATA = "metadata.json";
  static final String MODEL = "model.si8m";
  static final String SUMMARY = "summary.json";
  /** Spark's DefaultParamsWriter layout of the metadata: a directory of JSON-line text files. */
  static final String SPARK_METADATA = "metadata";

  private static final ObjectMapper JSON = new ObjectMapper();

  private Int8Persistence() {}

  /** Writes metadata (and for a model its data) of either stage. */
  static final class StageWriter extends MLWriter {
    private final Params stage;
    private final Int8ClassificationModel model;

    StageWriter(Params stage, Int8ClassificationModel model) {
      this.stage = stage;
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      try {
        Configuration conf = sc().hadoopConfiguration();
        Path dir = new Path(path);
        FileSystem fs = dir.getFileSystem(conf);
        fs.mkdirs(dir);
        ObjectNode meta = metadata(stage, sc());
        writeText(fs, new Path(dir, METADATA), meta.toPrettyString());
        // the same as one line in Spark's own layout, which Pipeline, CrossValidator and
        // DefaultParamsReader read to find a stage's class; this reader never needs it
        writeText(fs, new Path(new Path(dir, SPARK_METADATA), "part-00000"), meta + "\n");
        if (model != null) {
          try (OutputStream out = fs.create(new Path(dir, MODEL), true)) {
            model.modelState().write(out);
          }
          if (model.summaryOrNull() != null) {
            writeText(fs, new Path(dir, SUMMARY), summaryJson(model.summaryOrNull()));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("saving " + stage.uid() + " to " + path, e);
      }
    }
  }

  /** Loads an {@link Int8Classifier}. */
  static final class ClassifierReader extends MLReader<Int8Classifier> {
    @Override
    public Int8Classifier load(String path) {
      JsonNode meta = readMetadata(sc(), path, Int8Classifier.class, false);
      Int8Classifier c = new Int8Classifier(meta.get("uid").asText());
      return c.copy(paramMap(c, meta, path));
    }
  }

  /** Loads an {@link Int8ClassificationModel}. */
  static final class ModelReader extends MLReader<Int8ClassificationModel> {
    @Override
    public Int8ClassificationModel load(String path) {
      JsonNode meta = readMetadata(sc(), path, Int8ClassificationModel.class, true);
      try {
        Path dir = new Path(path);
        FileSystem fs = dir.getFileSystem(sc().hadoopConfiguration());
        ModelState state;
        try (InputStream in = fs.open(new Path(dir, MODEL))) {
          state = ModelState.read(in);
        } catch (IOException e) {
          throw new IllegalArgumentException("model directory " + path + ": " + MODEL
              + " is unreadable: " + e.getMessage(), e);
        }
        Int8TrainingSummary summary = null;
        Path summaryPath = new Path(dir, SUMMARY);
        if (fs.exists(summaryPath)) {
          summary = parseSummary(JSON.readTree(readText(fs, summaryPath)));
        }
        Int8ClassificationModel m =
            new Int8ClassificationModel(meta.get("uid").asText(), state, summary);
        return m.copy(paramMap(m, meta, path));
      } catch (IOException e) {
        throw new UncheckedIOException("loading a model from " + path, e);
      }
    }
  }

  static ObjectNode metadata(Params stage, SparkContext sc) {
    ObjectNode root = JSON.createObjectNode();
    root.put("class", stage.getClass().getName());
    root.put("uid", stage.uid());
    root.put("formatVersion", FORMAT_VERSION);
    root.put("sparkVersion", sc.version());
    root.put("timestamp", System.currentTimeMillis());
    root.set("paramMap", params(stage.extractParamMap(), stage, true));
    root.set("defaultParamMap", params(stage.extractParamMap(), stage, false));
    return root;
  }

  private static ObjectNode params(ParamMap all, Params stage, boolean explicit) {
    ObjectNode node = JSON.createObjectNode();
    for (Param<?> p : stage.params()) {
      boolean set = stage.isSet(p);
      boolean has = explicit ? set : stage.hasDefault(p);
      if (!has) {
        continue;
      }
      @SuppressWarnings("unchecked")
      Param<Object> po = (Param<Object>) p;
      Object value = explicit ? stage.get(po).get() : stage.getDefault(po).get();
      try {
        node.set(p.name(), JSON.readTree(po.jsonEncode(value)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return node;
  }

  /** The explicitly set Params of a metadata file, as a ParamMap for {@code stage}. */
  private static ParamMap paramMap(Params stage, JsonNode meta, String path) {
    ParamMap map = new ParamMap();
    JsonNode params = meta.get("paramMap");
    if (params == null) {
      return map;
    }
    Iterator<Map.Entry<String, JsonNode>> it = params.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!stage.hasParam(e.getKey())) {
        throw new IllegalArgumentException("stage directory " + path + ": unknown Param '"
            + e.getKey() + "' in " + METADATA + " (saved by a newer version?)");
      }
      @SuppressWarnings("unchecked")
      Param<Object> p = (Param<Object>) stage.getParam(e.getKey());
      map.put(new ParamPair<>(p, p.jsonDecode(e.getValue().toString())));
    }
    return map;
  }

  private static JsonNode readMetadata(SparkContext sc, String path, Class<?> expected,
      boolean model) {
    try {
      Path dir = new Path(path);
      FileSystem fs = dir.getFileSystem(sc.hadoopConfiguration());
      List<String> required = model ? List.of(METADATA, MODEL) : List.of(METADATA);
      for (String f : required) {
        if (!fs.exists(new Path(dir, f))) {
          throw new IllegalArgumentException("stage directory " + path + " is missing " + f
              + "; expected " + String.join(" and ", required) + " (was it saved by "
              + expected.getSimpleName() + ".write().save?)");
        }
      }
      JsonNode meta = JSON.readTree(readText(fs, new Path(dir, METADATA)));
      String cls = meta.path("class").asText();
      if (!cls.equals(expected.getName())) {
        throw new IllegalArgumentException("stage directory " + path + " holds " + cls
            + ", expected " + expected.getName());
      }
      int version = meta.path("formatVersion").asInt(-1);
      if (version < 1 || version > FORMAT_VERSION) {
        throw new IllegalArgumentException("stage directory " + path + " has formatVersion "
            + version + "; this build of spark-int8 reads formatVersion 1.." + FORMAT_VERSION
            + " (upgrade spark-int8 to load it)");
      }
      if (!meta.hasNonNull("uid")) {
        throw new IllegalArgumentException("stage directory " + path + ": " + METADATA
            + " has no uid");
      }
      return meta;
    } catch (IOException e) {
      throw new IllegalArgumentException("stage directory " + path + ": " + METADATA
          + " is unreadable: " + e.getMessage(), e);
    }
  }

  static String summaryJson(Int8TrainingSummary s) {
    ObjectNode root = JSON.createObjectNode();
    root.put("trainingRows", s.trainingRows());
    ArrayNode epochs = root.putArray("epochs");
    for (EpochSummary e : s.epochs()) {
      ObjectNode n = epochs.addObject();
      n.put("epoch", e.epoch());
      n.put("steps", e.steps());
      putNumber(n, "loss", e.loss());
      putNumber(n, "trainAccuracy", e.trainAccuracy());
      putNumber(n, "validationAccuracy", e.validationAccuracy());
      putNumber(n, "seconds", e.seconds());
      putNumber(n, "cumulativeSeconds", e.cumulativeSeconds());
      putNumber(n, "samplesPerSecond", e.samplesPerSecond());
      putNumber(n, "bytesAggregatedPerStep", e.bytesAggregatedPerStep());
      n.put("saturatedCodes", e.saturatedCodes());
      n.put("redoSteps", e.redoSteps());
      ArrayNode layers = n.putArray("layers");
      for (int i = 0; i < e.layers().size(); i++) {
        ObjectNode l = layers.addObject();
        l.put("layer", e.layers().get(i));
        putNumber(l, "deviation", e.deviation()[i]);
        putNumber(l, "lrFactor", e.lrFactor()[i]);
      }
    }
    return root.toPrettyString();
  }

  static Int8TrainingSummary parseSummary(JsonNode root) {
    List<EpochSummary> epochs = new ArrayList<>();
    for (JsonNode n : root.path("epochs")) {
      List<String> names = new ArrayList<>();
      JsonNode layers = n.path("layers");
      double[] dev = new double[layers.size()];
      double[] factor = new double[layers.size()];
      for (int i = 0; i < layers.size(); i++) {
        names.add(layers.get(i).path("layer").asText());
        dev[i] = number(layers.get(i), "deviation");
        factor[i] = number(layers.get(i), "lrFactor");
      }
      epochs.add(new EpochSummary(n.path("epoch").asInt(), n.path("steps").asInt(),
          number(n, "loss"), number(n, "trainAccuracy"), number(n, "validationAccuracy"),
          number(n, "seconds"), number(n, "cumulativeSeconds"), number(n, "samplesPerSecond"),
          number(n, "bytesAggregatedPerStep"), names, dev, factor,
          // absent from models saved before the saturation check: 0
          n.path("saturatedCodes").asLong(0), n.path("redoSteps").asInt(0)));
    }
    return new Int8TrainingSummary(epochs, root.path("trainingRows").asLong());
  }

  // JSON has no NaN: an unmeasured value is written as null
  private static void putNumber(ObjectNode n, String key, double v) {
    if (Double.isFinite(v)) {
      n.put(key, v);
    } else {
      n.putNull(key);
    }
  }

  private static double number(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? Double.NaN : v.asDouble();
  }

  private static void writeText(FileSystem fs, Path file, String text) throws IOException {
    try (OutputStream out = fs.create(file, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static String readText(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
