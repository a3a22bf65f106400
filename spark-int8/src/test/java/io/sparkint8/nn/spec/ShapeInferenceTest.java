package io.sparkint8.nn.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Shapes and parameter counts against values worked out by hand (the arithmetic is in comments).
 */
class ShapeInferenceTest {

  @Test
  void cnnSmallOnFashionMnist() {
    NetworkShapes shapes = NetworkSpec.preset("cnn-small", 10).shapes(1, 28, 28);
    assertEquals(
        List.of(
            "32x28x28",
            "32x28x28",
            "32x28x28",
            "32x14x14",
            "64x14x14",
            "64x14x14",
            "64x14x14",
            "64x7x7",
            "3136",
            "128",
            "128",
            "10"),
        outputs(shapes.layers()));
    // conv 32*1*9+32, bn 2*32, conv 64*32*9+64, bn 2*64, fc 3136*128+128, fc 128*10+10.
    assertEquals(
        List.of(320L, 64L, 0L, 0L, 18496L, 128L, 0L, 0L, 0L, 401536L, 0L, 1290L),
        params(shapes.layers()));
    assertEquals(421834L, shapes.totalParams());
    assertEquals(Shape.chw(1, 28, 28), shapes.input());
  }

  @Test
  void cnnSmallOnCifar() {
    NetworkShapes shapes = NetworkSpec.preset("cnn-small", 10).shapes(3, 32, 32);
    assertEquals(
        List.of(
            "32x32x32",
            "32x32x32",
            "32x32x32",
            "32x16x16",
            "64x16x16",
            "64x16x16",
            "64x16x16",
            "64x8x8",
            "4096",
            "128",
            "128",
            "10"),
        outputs(shapes.layers()));
    // conv 32*3*9+32 = 896; fc 4096*128+128 = 524416.
    assertEquals(
        List.of(896L, 64L, 0L, 0L, 18496L, 128L, 0L, 0L, 0L, 524416L, 0L, 1290L),
        params(shapes.layers()));
    assertEquals(545290L, shapes.totalParams());
  }

  @Test
  void lenetOnMnistHasTheClassicParameterCount() {
    NetworkShapes shapes = NetworkSpec.preset("lenet", 10).shapes(1, 28, 28);
    // 28 + 2*2 - 5 + 1 = 28; pool 14; 14 - 5 + 1 = 10; pool 5; 16*5*5 = 400.
    assertEquals(
        List.of(
            "6x28x28",
            "6x28x28",
            "6x14x14",
            "16x10x10",
            "16x10x10",
            "16x5x5",
            "400",
            "120",
            "120",
            "84",
            "84",
            "10"),
        outputs(shapes.layers()));
    assertEquals(61706L, shapes.totalParams()); // LeNet-5's 61,706
  }

  @Test
  void lenetOnCifar() {
    NetworkShapes shapes = NetworkSpec.preset("lenet", 10).shapes(3, 32, 32);
    // 32 + 4 - 5 + 1 = 32; pool 16; 16 - 5 + 1 = 12; pool 6; 16*6*6 = 576.
    assertEquals(
        List.of(
            "6x32x32",
            "6x32x32",
            "6x16x16",
            "16x12x12",
            "16x12x12",
            "16x6x6",
            "576",
            "120",
            "120",
            "84",
            "84",
            "10"),
        outputs(shapes.layers()));
    // conv 6*75+6, conv 16*6*25+16, fc 576*120+120, fc 120*84+84, fc 84*10+10.
    assertEquals(456L + 2416L + 69240L + 10164L + 850L, shapes.totalParams());
  }

  @Test
  void resnet8OnCifarProjectsOnlyWhereTheShapeChanges() {
    NetworkShapes shapes = NetworkSpec.preset("resnet8", 10).shapes(3, 32, 32);
    // stem, bn, relu, res, relu, res, relu, res, relu, gap, fc; (32 + 2 - 3) / 2 + 1 = 16.
    assertEquals(
        List.of(
            "16x32x32",
            "16x32x32",
            "16x32x32",
            "16x32x32",
            "16x32x32",
            "32x16x16",
            "32x16x16",
            "64x8x8",
            "64x8x8",
            "64",
            "10"),
        outputs(shapes.layers()));
    assertEquals(List.of(), shapes.layers().get(3).projection());
    assertEquals(
        List.of(new LayerSpec.Conv(32, 1, 2, 0, false), new LayerSpec.Bn()),
        specs(shapes.layers().get(5).projection()));
    assertEquals(
        List.of(new LayerSpec.Conv(64, 1, 2, 0, false), new LayerSpec.Bn()),
        specs(shapes.layers().get(7).projection()));
    LayerShape stage2 = shapes.layers().get(5);
    assertEquals(
        List.of("6.proj.1 conv(32,1,s=2,bias=false): 16x32x32 -> 32x16x16, 512 params",
            "6.proj.2 bn: 32x16x16 -> 32x16x16, 64 params"),
        stage2.projection().stream().map(LayerShape::toString).toList());
    assertEquals("6.1", stage2.body().get(0).position());
    assertEquals(
        List.of("32x16x16", "32x16x16", "32x16x16", "32x16x16", "32x16x16"),
        outputs(stage2.body()));
    // Block 1: 2 * (16*16*9) + 2 * 32 = 4672. Block 2: 32*16*9 + 32*32*9 + 2*64 + projection
    // 32*16 + 64 = 14528. Block 3: 64*32*9 + 64*64*9 + 2*128 + 64*32 + 128 = 57728.
    assertEquals(4672L, shapes.layers().get(3).params());
    assertEquals(14528L, stage2.params());
    assertEquals(57728L, shapes.layers().get(7).params());
    // stem 16*3*9 + bn 32, fc 64*10+10.
    assertEquals(432L + 32L + 4672L + 14528L + 57728L + 650L, shapes.totalParams());
  }

  @Test
  void resnet8OnFashionMnist() {
    NetworkShapes shapes = NetworkSpec.preset("resnet8", 10).shapes(1, 28, 28);
    // (28 + 2 - 3) / 2 + 1 = 14; (14 + 2 - 3) / 2 + 1 = 7; the 1x1 projections agree.
    assertEquals(
        List.of(
            "16x28x28",
            "16x28x28",
            "16x28x28",
            "16x28x28",
            "16x28x28",
            "32x14x14",
            "32x14x14",
            "64x7x7",
            "64x7x7",
            "64",
            "10"),
        outputs(shapes.layers()));
    assertEquals(78042L - 2 * 16 * 9, shapes.totalParams()); // the stem sees 1 channel, not 3
  }

  @Test
  void resnet20MatchesTheKnownOptionBCount() {
    // 0.27M as in He et al.; 272,474 with 1x1 projection shortcuts.
    assertEquals(272474L, NetworkSpec.preset("resnet20", 10).shapes(3, 32, 32).totalParams());
  }

  @Test
  void mlpFlattensTheImage() {
    NetworkShapes shapes = NetworkSpec.preset("mlp", 10).shapes(1, 28, 28);
    assertEquals(List.of("784", "256", "256", "128", "128", "10"), outputs(shapes.layers()));
    assertEquals(784L * 256 + 256 + 256L * 128 + 128 + 128L * 10 + 10, shapes.totalParams());
  }

  @Test
  void kernelLargerThanThePaddedInputIsRejected() {
    assertShapeError(
        "conv(8,5,p=0)-gap-fc",
        1,
        3,
        3,
        "layer 1 'conv(8,5,p=0)' (shape 1x3x3): kernel 5 is larger than the padded input 3x3");
  }

  @Test
  void poolTooLargeIsRejected() {
    // 3x3 input: pool -> 32x1x1, conv keeps 1x1, the second pool has nothing to pool.
    assertShapeError(
        "cnn-small",
        1,
        3,
        3,
        "layer 8 'maxpool(2)' (shape 64x1x1): kernel 2 is larger than the padded input 1x1");
  }

  @Test
  void residualBodyThatNoProjectionMatchesIsRejected() {
    assertShapeError(
        "res(conv(8,3,p=0))-gap-fc",
        1,
        8,
        8,
        "layer 1 'res(conv(8,3,p=0))'"
            + " (shape 1x8x8): the body maps 1x8x8 to 8x6x6, which no 1x1 strided projection");
    assertShapeError(
        "flatten-fc(32)-res(fc(16))-fc",
        1,
        4,
        4,
        "layer 3 'res(fc(16))'" + " (shape 32): the body maps 32 to 16");
  }

  @Test
  void nestedLayerErrorsNameTheirPath() {
    assertShapeError(
        "conv(4,3)-res(conv(4,3)-maxpool(4))-gap-fc",
        1,
        2,
        2,
        "layer 2.2 'maxpool(4)' (shape 4x2x2): kernel 4 is larger than the padded input 2x2");
  }

  @Test
  void spatialLayerAfterFlatFeaturesIsRejected() {
    assertShapeError(
        "flatten-conv(8,3)-gap-fc",
        1,
        4,
        4,
        "layer 2 'conv(8,3)' (shape 16): needs a C x H x W input, got flat features");
  }

  @Test
  void outputMustBeNumClassesFeatures() {
    assertShapeError(
        "conv(8,3)-gap",
        1,
        4,
        4,
        "layer 2 'gap' (shape 8): the network output is 8" + " but numClasses is 10");
    assertShapeError("conv(8,3)", 1, 4, 4, "the network output is 8x4x4 but numClasses is 10");
    assertEquals(
        Shape.features(10), NetworkSpec.parse("conv(10,1)-gap", 10).shapes(1, 4, 4).output());
  }

  private static void assertShapeError(String spec, int c, int h, int w, String expected) {
    NetworkSpec parsed = NetworkSpec.parse(spec, 10);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> parsed.shapes(c, h, w));
    assertEquals(true, e.getMessage().contains(expected), e.getMessage());
  }

  private static List<String> outputs(List<LayerShape> layers) {
    return layers.stream().map(layer -> layer.output().toString()).toList();
  }

  private static List<LayerSpec> specs(List<LayerShape> layers) {
    return layers.stream().map(LayerShape::layer).toList();
  }

  private static List<Long> params(List<LayerShape> layers) {
    return layers.stream().map(LayerShape::params).toList();
  }
}
