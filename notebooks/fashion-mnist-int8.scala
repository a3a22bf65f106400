// Databricks notebook source
// MAGIC %md
// MAGIC # Fashion-MNIST: int8 vs fp32 training with spark-int8
// MAGIC
// MAGIC This notebook trains the `cnn-small` network
// MAGIC (`conv(32,3)-bn-relu-maxpool(2)-conv(64,3)-bn-relu-maxpool(2)-fc(128)-relu-fc`) on Fashion-MNIST twice with
// MAGIC spark-int8's `Int8Classifier`, a Spark ML estimator:
// MAGIC
// MAGIC * **int8**: int8 forward and backward passes, and gradients aggregated across the partitions as int8 codes
// MAGIC   with shared scales;
// MAGIC * **fp32**: the same network, optimizer and batches in fp32 (fp32 gradients aggregated).
// MAGIC
// MAGIC It compares test accuracy and speed, shows the per-epoch curves of both, then saves the int8 model and
// MAGIC reloads it with `Int8ClassificationModel.load` and exports it to ONNX.

// COMMAND ----------

// MAGIC %md
// MAGIC ## Setup: what the cluster needs
// MAGIC
// MAGIC A cluster on a Databricks Runtime with **Spark 4.x / Scala 2.13**. The notebook uses the cluster's `spark`
// MAGIC session and `display` for tables and charts.
// MAGIC
// MAGIC * **Libraries**: install the three spark-int8 jars on the cluster: kernels-native-0.1.0-SNAPSHOT.jar, arrow-io-0.1.0-SNAPSHOT.jar, spark-int8-0.1.0-SNAPSHOT.jar
// MAGIC * **Spark config** (cluster, Advanced options; these cannot be changed in a running session):
// MAGIC   * `spark.serializer` = `org.apache.spark.serializer.KryoSerializer`
// MAGIC   * `spark.kryo.registrator` = `io.sparkint8.ml.Int8KryoRegistrator` (registers the classes that travel
// MAGIC     in every training step: model state, int8 gradient codes and scales)
// MAGIC
// MAGIC The jars come from `mvn -B -DskipTests package` in the spark-int8 checkout: `kernels-native/target/`, `arrow-io/target/` and `spark-int8/target/` (kernels-native carries the native int8 kernels for linux-x86_64; without them the pure-Java backend runs).
// MAGIC
// MAGIC `IdxReader` reads the IDX files on the driver as plain files: put them where the driver sees them, e.g. a
// MAGIC Unity Catalog volume (`/Volumes/<catalog>/<schema>/<volume>/fashion-mnist`) or `/dbfs/...`, and set
// MAGIC `dataDir` below.

// COMMAND ----------

// MAGIC %md
// MAGIC ## Parameters
// MAGIC
// MAGIC `dataDir` is the folder holding `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`
// MAGIC and `t10k-labels-idx1-ubyte`, raw or `.gz` (Debian package `dataset-fashion-mnist` installs them in
// MAGIC `/usr/share/datasets/fashion-mnist`).
// MAGIC
// MAGIC The run size comes from JVM system properties of the driver, so that a test can run the notebook on a subset;
// MAGIC by default it trains on everything:
// MAGIC
// MAGIC | property | default | meaning |
// MAGIC |---|---|---|
// MAGIC | `spark_int8.notebook.rows` | 60000 | training images (the first N) |
// MAGIC | `spark_int8.notebook.testRows` | 10000 | test images (the first N) |
// MAGIC | `spark_int8.notebook.epochs` | 10 | passes over the training images |
// MAGIC | `spark_int8.notebook.batchSize` | 1024 | global batch, split over the partitions |
// MAGIC | `spark_int8.notebook.modelDir` | see below | where the int8 model is saved |
// MAGIC | `spark_int8.notebook.dataDir` | see below | the folder of the IDX files (`dataDir`) |
// MAGIC
// MAGIC Set them with e.g. `spark.driver.extraJavaOptions=-Dspark_int8.notebook.rows=6000`, or edit the cell.
// MAGIC `NotebookExecutionTest` (module `notebooks`) sets 1000 training and 500 test images, 2 epochs and a batch of
// MAGIC 64, and runs every code cell of this notebook in order.

// COMMAND ----------

import java.nio.file.{Files, Path, Paths}
import scala.jdk.CollectionConverters._
import io.sparkint8.arrow.IdxReader
import io.sparkint8.ml.{Int8ClassificationModel, Int8Classifier}
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator
import org.apache.spark.sql.functions.{col, lit, sum, when}

// The four Fashion-MNIST IDX files, raw or .gz.
val dataDir = sys.props.getOrElse("spark_int8.notebook.dataDir", "/usr/share/datasets/fashion-mnist")
// Run size (system properties, see above): the whole data set by default.
val rows = sys.props.getOrElse("spark_int8.notebook.rows", "60000").toInt
val testRows = sys.props.getOrElse("spark_int8.notebook.testRows", "10000").toInt
val epochs = sys.props.getOrElse("spark_int8.notebook.epochs", "10").toInt
val batchSize = sys.props.getOrElse("spark_int8.notebook.batchSize", "1024").toInt
val modelDir = sys.props.getOrElse("spark_int8.notebook.modelDir",
  "dbfs:/tmp/spark-int8-notebook/fashion-mnist-int8")

// COMMAND ----------

// MAGIC %md
// MAGIC ## Data
// MAGIC
// MAGIC `IdxReader.toDataFrame` reads the IDX files on the driver (checking them against their headers), broadcasts
// MAGIC them and returns a DataFrame of `label` (double, the class 0-9) and `features` (binary: the 28x28 uint8
// MAGIC pixels, which the classifier scales by 1/255).
// MAGIC
// MAGIC The test images ride along in the same DataFrame, flagged `is_test`: with `validationIndicatorCol` the
// MAGIC classifier keeps them out of training and reports their accuracy after every epoch.

// COMMAND ----------

def idx(name: String): Path = {
  val raw = Paths.get(dataDir, name)
  if (Files.exists(raw)) raw else Paths.get(dataDir, name + ".gz")
}

val train = IdxReader.toDataFrame(spark, idx("train-images-idx3-ubyte"),
  idx("train-labels-idx1-ubyte"), false).limit(rows)
val test = IdxReader.toDataFrame(spark, idx("t10k-images-idx3-ubyte"),
  idx("t10k-labels-idx1-ubyte"), false).limit(testRows)
val partitions = spark.sparkContext.defaultParallelism
val data = train.withColumn("is_test", lit(false))
  .union(test.withColumn("is_test", lit(true)))
  .repartition(partitions)
  .cache()
val testData = data.filter(col("is_test"))

// images per class in the training and test parts
display(data.groupBy("label")
  .agg(sum(when(!col("is_test"), 1).otherwise(0)).as("train"),
    sum(when(col("is_test"), 1).otherwise(0)).as("test"))
  .orderBy("label"))

// COMMAND ----------

// MAGIC %md
// MAGIC ## Training
// MAGIC
// MAGIC Both runs use the same network, optimizer (the classifier's defaults: SGD with Nesterov momentum, one warmup
// MAGIC epoch, cosine schedule), global batch, seed and partitions; only `precision` and `aggregationPrecision` differ. A progress line is printed after every
// MAGIC epoch: loss, train accuracy, accuracy on the `is_test` images, images/s and the gradient bytes the
// MAGIC partitions sent per step.

// COMMAND ----------

def trainModel(precision: String): (Int8ClassificationModel, Double) = {
  val classifier = new Int8Classifier()
    .setInputShape(Array(1, 28, 28))
    .setNetwork("cnn-small")
    .setPrecision(precision)
    .setAggregationPrecision(if (precision == "fp32") "fp32" else "int8")
    .setBatchSize(batchSize)
    .setMaxEpochs(epochs)
    .setValidationIndicatorCol("is_test")
    .setSeed(42L)
    .setEpochListener(e => println(s"$precision  ${e.progressLine(epochs)}"))
  val start = System.nanoTime()
  val model = classifier.fit(data)
  (model, (System.nanoTime() - start) / 1e9)
}

// COMMAND ----------

val (int8Model, int8Seconds) = trainModel("int8")

// COMMAND ----------

val (fp32Model, fp32Seconds) = trainModel("fp32")

// COMMAND ----------

// MAGIC %md
// MAGIC ## Accuracy and speed
// MAGIC
// MAGIC * **test accuracy**: of the trained model on the `is_test` images (`MulticlassClassificationEvaluator`);
// MAGIC * **seconds**: wall time of `fit`, packing the partitions and the per-epoch test evaluation included;
// MAGIC * **images/s**: training images per second of training steps;
// MAGIC * **bytes aggregated per step**: gradient bytes the partitions sent per step in the last epoch (int8 codes
// MAGIC   and their scales vs fp32 gradients; the int8 run's first step is fp32, to calibrate the scales).

// COMMAND ----------

import spark.implicits._

val evaluator = new MulticlassClassificationEvaluator().setMetricName("accuracy")
val int8Accuracy = evaluator.evaluate(int8Model.transform(testData))
val fp32Accuracy = evaluator.evaluate(fp32Model.transform(testData))

def speed(precision: String, model: Int8ClassificationModel, accuracy: Double, seconds: Double) = {
  val s = model.summary
  val trainingSeconds = s.epochs.asScala.map(_.seconds).sum
  (precision, accuracy, seconds, s.trainingRows * s.totalEpochs / trainingSeconds,
    math.round(s.bytesAggregatedPerStep.last))
}

val comparison = Seq(
  speed("int8", int8Model, int8Accuracy, int8Seconds),
  speed("fp32", fp32Model, fp32Accuracy, fp32Seconds)
).toDF("precision", "test accuracy", "seconds", "images/s", "bytes aggregated per step")
display(comparison)

// COMMAND ----------

// MAGIC %md
// MAGIC ## Training curves
// MAGIC
// MAGIC Per-epoch training loss, train accuracy and test accuracy of both runs, from the models' training summaries
// MAGIC (`model.summary`, saved with the model). Add a visualization to the table: a line chart with X `epoch`, Y `test accuracy` (or `loss`), grouped by `precision`.

// COMMAND ----------

def curve(precision: String, model: Int8ClassificationModel) =
  model.summary.epochs.asScala.toSeq.map(e =>
    (precision, e.epoch, e.loss, e.trainAccuracy, e.validationAccuracy))

val curves = (curve("int8", int8Model) ++ curve("fp32", fp32Model))
  .toDF("precision", "epoch", "loss", "train accuracy", "test accuracy")
display(curves)

// COMMAND ----------

// MAGIC %md
// MAGIC ## Save and reload
// MAGIC
// MAGIC The model directory holds Spark-style metadata (`metadata/part-00000`), the network and its weights
// MAGIC (`model.si8m`) and the training summary. Any path Spark can write works (the model is written through Hadoop's FileSystem): `dbfs:/...`, a volume, cloud storage. The reloaded model must predict exactly what the trained one
// MAGIC does.

// COMMAND ----------

int8Model.write.overwrite().save(modelDir)
val reloaded = Int8ClassificationModel.load(modelDir)

val compared = reloaded.transform(
  int8Model.transform(testData).select(col("label"), col("features"),
    col("prediction").as("prediction_before_save")))
val predictionsDiffering = compared.filter(col("prediction") =!= col("prediction_before_save")).count()
println(s"reloaded $modelDir: ${compared.count()} test images, $predictionsDiffering predictions differ")
require(predictionsDiffering == 0, s"$predictionsDiffering predictions changed after save and load")
require(reloaded.summary.totalEpochs == epochs, "the training summary did not come back")

// COMMAND ----------

// MAGIC %md
// MAGIC ## Export to ONNX
// MAGIC
// MAGIC `write.format("onnx")` writes the same model as one ONNX file (`model.onnx`, opset 17) for ONNX Runtime or
// MAGIC any other ONNX consumer, the way Spark's `LinearRegressionModel` offers PMML. Its input `features` is float32
// MAGIC `[N, 784]` in the features column's order (height x width x channels); its outputs `rawPrediction` and
// MAGIC `probability` are float32 `[N, 10]`. The int8 weights stay int8 codes, so the file is about a quarter of the
// MAGIC fp32 parameter bytes, and every conv and fc quantizes its input per image at run time as `transform` does.

// COMMAND ----------

val onnxDir = modelDir + "-onnx"
int8Model.write.format("onnx").overwrite().save(onnxDir)
val onnxFile = new org.apache.hadoop.fs.Path(onnxDir, "model.onnx")
val onnxBytes = onnxFile.getFileSystem(spark.sparkContext.hadoopConfiguration).getFileStatus(onnxFile).getLen
val fp32Bytes = 4L * int8Model.modelState.parameterNames.asScala.map(p => int8Model.modelState.parameter(p).length).sum
println(f"$onnxFile: $onnxBytes%,d bytes, ${onnxBytes.toDouble / fp32Bytes}%.2f x the $fp32Bytes%,d bytes of the fp32 parameters")
