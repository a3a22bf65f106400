package io.sparkint8.nn.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PresetsTest {

  @Test
  void presetNamesAreTheFiveOfTheIssue() {
    assertEquals(
        List.of("mlp", "lenet", "cnn-small", "resnet8", "resnet20"),
        List.copyOf(NetworkSpec.presetNames()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp", "lenet", "cnn-small", "resnet8", "resnet20"})
  void everyPresetParsesAndEndsWithNumClasses(String name) {
    for (int classes : new int[] {10, 3}) {
      NetworkSpec spec = NetworkSpec.preset(name, classes);
      assertEquals(spec, NetworkSpec.parse(name, classes));
      assertEquals(spec, NetworkSpec.parse(" " + name.toUpperCase() + " ", classes));
      assertEquals(new LayerSpec.Fc(classes), spec.layers().get(spec.layers().size() - 1));
      int channels = name.startsWith("resnet") ? 3 : 1;
      int size = name.startsWith("resnet") ? 32 : 28;
      assertEquals(Shape.features(classes), spec.shapes(channels, size, size).output());
    }
  }

  @Test
  void presetTextsAreTheDocumentedOnes() {
    assertEquals(
        "flatten-fc(256)-relu-fc(128)-relu-fc(10)", NetworkSpec.preset("mlp", 10).toString());
    assertEquals(
        "conv(6,5)-relu-maxpool(2)-conv(16,5,p=0)-relu-maxpool(2)-flatten-fc(120)-relu"
            + "-fc(84)-relu-fc(10)",
        NetworkSpec.preset("lenet", 10).toString());
    assertEquals(
        "conv(32,3)-bn-relu-maxpool(2)-conv(64,3)-bn-relu-maxpool(2)-flatten-fc(128)"
            + "-relu-fc(10)",
        NetworkSpec.preset("cnn-small", 10).toString());
    assertEquals(
        "conv(16,3,bias=false)-bn-relu"
            + "-res(conv(16,3,bias=false)-bn-relu-conv(16,3,bias=false)-bn)-relu"
            + "-res(conv(32,3,s=2,bias=false)-bn-relu-conv(32,3,bias=false)-bn)-relu"
            + "-res(conv(64,3,s=2,bias=false)-bn-relu-conv(64,3,bias=false)-bn)-relu-gap-fc(10)",
        NetworkSpec.preset("resnet8", 10).toString());
  }

  @Test
  void resnetsHave6nPlus2WeightLayers() {
    assertEquals(8, weightLayers(NetworkSpec.preset("resnet8", 10).layers()));
    assertEquals(20, weightLayers(NetworkSpec.preset("resnet20", 10).layers()));
  }

  @Test
  void unknownPresetListsTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NetworkSpec.preset("resnet18", 10));
    assertEquals(
        "unknown preset 'resnet18'; known presets: mlp, lenet, cnn-small, resnet8," + " resnet20",
        e.getMessage());
  }

  private static int weightLayers(List<LayerSpec> layers) {
    int count = 0;
    for (LayerSpec layer : layers) {
      if (layer instanceof LayerSpec.Conv || layer instanceof LayerSpec.Fc) {
        count++;
      } else if (layer instanceof LayerSpec.Residual res) {
        count += weightLayers(res.body());
      }
    }
    return count;
  }
}
