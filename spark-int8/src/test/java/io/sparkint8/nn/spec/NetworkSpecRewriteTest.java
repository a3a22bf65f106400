package io.sparkint8.nn.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.nn.spec.LayerSpec.Bn;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The spec methods the Spark stages use instead of editing the network text. */
class NetworkSpecRewriteTest {

  @Test
  void withBnVariantSwitchesEveryBnIncludingResidualBodies() {
    NetworkSpec resnet = NetworkSpec.preset("resnet8", 10);
    NetworkSpec l1 = resnet.withBnVariant(Bn.Variant.L1);
    assertFalse(l1.toString().matches(".*\\bbn\\b(?!-l1).*"), l1.toString());
    assertEquals(resnet.toString().replace("bn", "bn-l1"), l1.toString());
    assertEquals(l1, NetworkSpec.parse(l1.toString(), 10), "the rewritten spec parses back");
    assertEquals(resnet, l1.withBnVariant(Bn.Variant.STANDARD));
    NetworkSpec cnn = NetworkSpec.preset("cnn-small", 10);
    assertEquals("conv(32,3)-bn-l1-relu-maxpool(2)-conv(64,3)-bn-l1-relu-maxpool(2)-flatten"
        + "-fc(128)-relu-fc(10)", cnn.withBnVariant(Bn.Variant.L1).toString());
    assertEquals(cnn, cnn.withBnVariant(Bn.Variant.STANDARD));
  }

  @Test
  void statedClassesIsTheWidthOfAnExplicitLastFc() {
    assertEquals(OptionalInt.of(7), NetworkSpec.statedClasses("conv(8,3)-relu-fc(32)-fc( 7 )"));
    assertEquals(OptionalInt.of(3), NetworkSpec.statedClasses("FC(3)"));
    assertEquals(OptionalInt.empty(), NetworkSpec.statedClasses("fc(32)-relu-fc"));
    assertEquals(OptionalInt.empty(), NetworkSpec.statedClasses("cnn-small"));
    assertEquals(OptionalInt.empty(), NetworkSpec.statedClasses("fc(4)-relu"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NetworkSpec.statedClasses("fc-relu-fc(3)"));
    assertTrue(e.getMessage().contains("must be the last layer"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> NetworkSpec.statedClasses("fc(3"));
    assertTrue(e.getMessage().contains("position"), e.getMessage());
  }

  @Test
  void spatialLayersAreConvAndPoolingAnywhere() {
    assertFalse(NetworkSpec.preset("mlp", 10).hasSpatialLayers());
    assertFalse(NetworkSpec.parse("fc(16)-bn-relu-dropout(0.1)-res(fc(16)-relu)-fc", 2)
        .hasSpatialLayers());
    assertTrue(NetworkSpec.preset("cnn-small", 10).hasSpatialLayers());
    assertTrue(NetworkSpec.parse("maxpool(2)-fc", 2).hasSpatialLayers());
    assertTrue(NetworkSpec.parse("avgpool(2)-fc", 2).hasSpatialLayers());
    assertTrue(NetworkSpec.parse("gap-fc", 2).hasSpatialLayers());
    assertTrue(NetworkSpec.parse("res(conv(4,1))-fc", 2).hasSpatialLayers());
  }
}
