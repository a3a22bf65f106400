package io.sparkint8.examples;

import io.sparkint8.train.EpochSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Writes the training curves (loss; train and test accuracy per epoch) as one PNG. */
final class TrainingPlot {
  private TrainingPlot() {}

  static void write(List<EpochSummary> epochs, String title, Path png) throws IOException {
    if (epochs.isEmpty()) {
      return;
    }
    double[] x = epochs.stream().mapToDouble(EpochSummary::epoch).toArray();
    XYChart loss = new XYChartBuilder().width(640).height(420).title("training loss — " + title)
        .xAxisTitle("epoch").yAxisTitle("loss").build();
    loss.addSeries("train loss", x, epochs.stream().mapToDouble(EpochSummary::loss).toArray())
        .setMarker(SeriesMarkers.CIRCLE);
    XYChart acc = new XYChartBuilder().width(640).height(420).title("accuracy — " + title)
        .xAxisTitle("epoch").yAxisTitle("accuracy").build();
    acc.addSeries("train", x, epochs.stream().mapToDouble(EpochSummary::trainAccuracy).toArray())
        .setMarker(SeriesMarkers.CIRCLE);
    double[] test = epochs.stream().mapToDouble(EpochSummary::validationAccuracy).toArray();
    if (!Double.isNaN(test[0])) {
      acc.addSeries("test", x, test).setMarker(SeriesMarkers.DIAMOND);
    }
    BitmapEncoder.saveBitmap(List.of(loss, acc), 1, 2, png.toString(),
        BitmapEncoder.BitmapFormat.PNG);
  }
}
