package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class FitSmokeTest {
  @Test
  void trainsAndPredictsFashionSubset() {
    Dataset<Row> train = SparkTestSession.fashion(4000, false, 2);
    Dataset<Row> test = SparkTestSession.fashion(1000, true, 2);
    Int8Classifier clf = new Int8Classifier().setInputShape(new int[] {1, 28, 28})
        .setBatchSize(256).setMaxEpochs(2)
        .setEpochListener(e -> System.out.println(e.progressLine(2)));
    Int8ClassificationModel model = clf.fit(train);
    Dataset<Row> out = model.transform(test);
    double acc = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(out);
    System.out.println("accuracy " + acc);
    assertEquals(2, model.summary().totalEpochs());
    // the local trainer reaches ~0.75 with these settings; chance is 0.1
    assertTrue(acc > 0.6, "accuracy " + acc);
    assertTrue(model.summary().bytesAggregatedPerStep()[1] > 0);
  }
}
