package io.sparkint8.nn.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparkint8.nn.spec.LayerSpec.AvgPool;
import io.sparkint8.nn.spec.LayerSpec.Bn;
import io.sparkint8.nn.spec.LayerSpec.Conv;
import io.sparkint8.nn.spec.LayerSpec.Dropout;
import io.sparkint8.nn.spec.LayerSpec.Fc;
import io.sparkint8.nn.spec.LayerSpec.Flatten;
import io.sparkint8.nn.spec.LayerSpec.GlobalAvgPool;
import io.sparkint8.nn.spec.LayerSpec.MaxPool;
import io.sparkint8.nn.spec.LayerSpec.Relu;
import io.sparkint8.nn.spec.LayerSpec.Residual;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NetworkSpecParseTest {

  @Test
  void parsesTheIssueExampleIntoRecordsWithFlattenInserted() {
    NetworkSpec spec =
        NetworkSpec.parse(
            "conv(32,3,s=1,p=1)-bn-relu-maxpool(2)-conv(64,3)-bn-relu-maxpool(2)"
                + "-fc(128)-relu-fc(10)",
            10);
    List<LayerSpec> expected =
        List.of(
            new Conv(32, 3, 1, 1, true),
            new Bn(),
            new Relu(),
            new MaxPool(2, 2, 0),
            new Conv(64, 3, 1, 1, true),
            new Bn(),
            new Relu(),
            new MaxPool(2, 2, 0),
            new Flatten(),
            new Fc(128),
            new Relu(),
            new Fc(10));
    assertEquals(expected, spec.layers());
    assertEquals(10, spec.numClasses());
  }

  @Test
  void namedArgumentsOverrideDefaults() {
    NetworkSpec spec =
        NetworkSpec.parse(
            "conv(64,3,s=2,p=1,bias=false)-maxpool(3,s=2,p=1)-avgpool(2)-conv(8,5)-gap"
                + "-dropout(0.5)-fc",
            4);
    assertEquals(
        List.of(
            new Conv(64, 3, 2, 1, false),
            new MaxPool(3, 2, 1),
            new AvgPool(2, 2, 0),
            new Conv(8, 5, 1, 2, true),
            new GlobalAvgPool(),
            new Dropout(0.5),
            new Fc(4)),
        spec.layers());
  }

  @Test
  void whitespaceAndCaseDoNotMatter() {
    NetworkSpec loose =
        NetworkSpec.parse(
            "  CONV( 32 , 3 , S = 2 , Bias = FALSE ) - BN-L1 -ReLU- Res( Conv(32,3) - bn ) - FC  ",
            3);
    NetworkSpec tight =
        NetworkSpec.parse("conv(32,3,s=2,bias=false)-bn-l1-relu-res(conv(32,3)-bn)-fc", 3);
    assertEquals(tight, loose);
    assertEquals(new Bn(Bn.Variant.L1), loose.layers().get(1));
  }

  @Test
  void bnL1IsOneLayerButBnFollowedByOtherLayersIsNot() {
    assertEquals(
        List.of(new Bn(Bn.Variant.L1), new Flatten(), new Fc(2)),
        NetworkSpec.parse("bn-l1-fc", 2).layers());
    assertEquals(
        List.of(new Bn(), new Flatten(), new Fc(2)), NetworkSpec.parse("bn-fc", 2).layers());
  }

  @Test
  void lastLayerWidthComesFromNumClasses() {
    assertEquals(new Fc(10), last(NetworkSpec.parse("flatten-fc(64)-relu-fc", 10)));
    assertEquals(new Fc(7), last(NetworkSpec.parse("flatten-fc(64)-relu-fc", 7)));
    assertEquals(new Fc(7), last(NetworkSpec.parse("flatten-fc(64)-relu-fc(-1)", 7)));
    assertEquals(new Fc(7), last(NetworkSpec.parse("flatten-fc(64)-relu-fc()", 7)));
    assertEquals(
        "flatten-fc(64)-relu-fc(7)", NetworkSpec.parse("flatten-fc(64)-relu-fc", 7).toString());
  }

  @Test
  void flattenIsInsertedOnlyWhereAnFcMeetsSpatialData() {
    assertEquals("flatten-fc(5)", NetworkSpec.parse("fc", 5).toString());
    assertEquals("gap-fc(5)", NetworkSpec.parse("gap-fc", 5).toString());
    assertEquals("flatten-fc(9)-relu-fc(5)", NetworkSpec.parse("fc(9)-relu-fc", 5).toString());
    assertEquals(
        "conv(4,3)-res(conv(4,3))-flatten-fc(5)",
        NetworkSpec.parse("conv(4,3)-res(conv(4,3))-fc", 5).toString());
    assertEquals("gap-res(fc(4))-fc(5)", NetworkSpec.parse("gap-res(fc(4))-fc", 5).toString());
  }

  @Test
  void decimalsWithExponentsParse() {
    assertEquals(new Dropout(1e-3), NetworkSpec.parse("dropout(1e-3)-fc", 2).layers().get(0));
    assertEquals(new Dropout(0.0), NetworkSpec.parse("dropout(0)-fc", 2).layers().get(0));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "mlp",
        "lenet",
        "cnn-small",
        "resnet8",
        "resnet20",
        "conv(64,3,s=2,p=0,bias=false)-bn-l1-relu-maxpool(3,s=2,p=1)-avgpool(2,s=1)-gap-fc",
        "flatten-dropout(0.25)-fc(100)-bn-relu-dropout(1.0E-4)-fc",
        "conv(8,5,p=1)-res(conv(8,3)-res(conv(8,1)-relu)-bn)-flatten-fc(3)",
        "res(conv(16,3,s=2)-bn-relu-conv(16,3)-bn)-relu-gap-fc"
      })
  void toStringParsesBackToAnEqualSpec(String text) {
    NetworkSpec spec = NetworkSpec.parse(text, 3);
    NetworkSpec again = NetworkSpec.parse(spec.toString(), 3);
    assertEquals(spec, again);
    assertEquals(spec.toString(), again.toString());
  }

  @Test
  void canonicalTextOmitsDefaults() {
    assertEquals(
        "conv(32,3)-maxpool(2)-flatten-fc(10)",
        NetworkSpec.parse("conv(32,3,s=1,p=1,bias=true)-maxpool(2,s=2,p=0)-fc", 10).toString());
  }

  @Test
  void specIsImmutable() {
    NetworkSpec spec = NetworkSpec.parse("res(conv(4,3))-gap-fc", 2);
    assertThrows(UnsupportedOperationException.class, () -> spec.layers().add(new Relu()));
    Residual res = (Residual) spec.layers().get(0);
    assertThrows(UnsupportedOperationException.class, () -> res.body().clear());
  }

  @Test
  void constructingFromRecordsNormalizesLikeParsing() {
    NetworkSpec built = new NetworkSpec(List.of(new Conv(4, 3), new Relu(), new Fc(Fc.CLASSES)), 6);
    assertEquals(NetworkSpec.parse("conv(4,3)-relu-fc", 6), built);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new NetworkSpec(List.of(new Fc(Fc.CLASSES), new Relu()), 6));
    assertEquals(
        "layer 1 'fc': fc without a width takes numClasses and is only allowed as the"
            + " last layer",
        e.getMessage());
  }

  private static LayerSpec last(NetworkSpec spec) {
    return spec.layers().get(spec.layers().size() - 1);
  }
}
