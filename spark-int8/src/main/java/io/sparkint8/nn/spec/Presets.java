package io.sparkint8.nn.spec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The named networks, kept as spec text so they go through the same parser as user specs. */
final class Presets {

  private static final Map<String, String> TEXT = build();

  private Presets() {}

  static boolean contains(String name) {
    return TEXT.containsKey(key(name));
  }

  static String text(String name) {
    String text = name == null ? null : TEXT.get(key(name));
    if (text == null) {
      throw new IllegalArgumentException(
          "unknown preset '" + name + "'; known presets: " + String.join(", ", TEXT.keySet()));
    }
    return text;
  }

  static Set<String> names() {
    return TEXT.keySet();
  }

  private static String key(String name) {
    return name.strip().toLowerCase(Locale.ROOT);
  }

  private static Map<String, String> build() {
    Map<String, String> text = new LinkedHashMap<>();
    text.put("mlp", "flatten-fc(256)-relu-fc(128)-relu-fc");
    text.put(
        "lenet",
        "conv(6,5,p=2)-relu-maxpool(2)-conv(16,5,p=0)-relu-maxpool(2)"
            + "-fc(120)-relu-fc(84)-relu-fc");
    // The Fashion-MNIST reference model of the accuracy benchmark.
    text.put(
        "cnn-small",
        "conv(32,3)-bn-relu-maxpool(2)-conv(64,3)-bn-relu-maxpool(2)" + "-fc(128)-relu-fc");
    text.put("resnet8", resnet(1));
    text.put("resnet20", resnet(3));
    // Unmodifiable but ordered, so error messages and presetNames() list them as written here.
    return Collections.unmodifiableMap(text);
  }

  /**
   * CIFAR ResNet (He et al. 2016, §4.2) with 6n + 2 weight layers: a 16-channel stem, three stages
   * of n basic blocks at 16, 32 and 64 channels, the first block of stages 2 and 3 at stride 2 (its
   * shortcut gets the 1x1 projection), global average pooling and fc. Convs feeding a bn carry no
   * bias, which the bn's beta would make redundant.
   */
  private static String resnet(int n) {
    StringBuilder text = new StringBuilder("conv(16,3,bias=false)-bn-relu");
    int[] widths = {16, 32, 64};
    for (int stage = 0; stage < widths.length; stage++) {
      for (int block = 0; block < n; block++) {
        int width = widths[stage];
        String stride = stage > 0 && block == 0 ? ",s=2" : "";
        text.append("-res(conv(")
            .append(width)
            .append(",3")
            .append(stride)
            .append(",bias=false)")
            .append("-bn-relu-conv(")
            .append(width)
            .append(",3,bias=false)-bn)-relu");
      }
    }
    return text.append("-gap-fc").toString();
  }
}
