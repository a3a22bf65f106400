package io.sparkint8.nn.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every malformed spec is rejected with the 1-based position and the token it stopped at. Columns:
 * spec, expected "at position N, 'token'" head, a fragment of the explanation. '|' separates
 * columns because specs contain commas.
 */
class NetworkSpecErrorTest {

  @Test
  void unknownLayerListsEveryKnownNameAndThePresets() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NetworkSpec.parse("relu-Conv2d", 10));
    assertEquals(
        "at position 6, 'Conv2d': unknown layer 'Conv2d'; known layers: conv, fc, bn, bn-l1, relu,"
            + " maxpool, avgpool, gap, flatten, dropout, res; presets (as the whole spec): mlp,"
            + " lenet, cnn-small, resnet8, resnet20",
        e.getMessage().lines().findFirst().orElseThrow());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(ints = {0, -3})
  void numClassesMustBePositive(int numClasses) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NetworkSpec.parse("mlp", numClasses));
    assertEquals("numClasses must be >= 1, got " + numClasses, e.getMessage());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          # unknown layer names, with the list of known ones
          conv(32,3)-conv2 | at position 12, 'conv2' | unknown layer 'conv2'; known layers: conv, fc
          cnn-small-fc | at position 1, 'cnn' | unknown layer 'cnn'
          # missing ')'
          conv(32,3-relu | at position 10, '-' | missing ')' to close '(' at position 5, found '-'
          maxpool(2 | at position 10, <end> | missing ')' to close '(' at position 8, found the end
          res(relu-relu | at position 14, <end> | missing ')' to close '(' at position 4
          "conv(32,3 relu" | at position 11, 'r' | missing ')' to close '(' at position 5, found 'r'
          # bad numbers
          conv(3x,3) | at position 6, '3x' | bad number for conv outChannels (expected an integer)
          conv(32,3.0) | at position 9, '3.0' | bad number for conv kernel (expected an integer)
          dropout(0.5.1)-fc | at position 9, '0.5.1' | bad number for dropout p
          conv(32,) | at position 9, ')' | expected a value for conv kernel, found ')'
          conv(99999999999,3) | at position 6, '99999999999' | bad number for conv outChannels
          # zero and negative sizes
          conv(0,3) | at position 6, '0' | conv outChannels must be >= 1, got 0
          conv(8,0) | at position 8, '0' | conv kernel must be >= 1, got 0
          maxpool(2,s=-1) | at position 13, '-1' | maxpool s must be >= 1, got -1
          conv(8,3,p=-1) | at position 12, '-1' | conv p must be >= 0, got -1
          fc(-2) | at position 4, '-2' | must be >= 1 (or -1 for the number of classes), got -2
          fc(0) | at position 4, '0' | fc outFeatures must be >= 1
          # unknown and duplicate named arguments
          conv(32,3,q=1) | at position 11, 'q' | unknown argument 'q' of conv; known: s, p, bias
          dropout(0.5,s=1)-fc | at position 13, 's' | unknown argument 's' of dropout; known: none
          conv(32,3,s=1,S=2) | at position 15, 'S' | duplicate argument 's' of conv (first at
          # width-less fc anywhere but last, or a last fc that disagrees with numClasses
          fc-relu-fc | at position 1, 'fc' | fc without a width takes numClasses, so it must be the
          flatten-fc(-1)-relu-fc | at position 9, 'fc(-1)' | fc without a width takes numClasses
          gap-res(fc)-fc | at position 9, 'fc' | fc without a width takes numClasses
          flatten-fc(12) | at position 9, 'fc(12)' | the last layer has 12 outputs but numClasses is
          # dropout probability
          dropout(1.0)-fc | at position 9, '1.0' | dropout p must be in [0, 1), got 1.0
          dropout(-0.1)-fc | at position 9, '-0.1' | dropout p must be in [0, 1), got -0.1
          # empty specs, trailing '-', empty res()
          "" | at position 1, <end> | empty network spec
          "   " | at position 1, <end> | empty network spec
          conv(8,3)-relu- | at position 15, '-' | trailing '-': expected a layer after it, found the
          res(relu-)-fc | at position 9, '-' | trailing '-': expected a layer after it, found ')'
          res()-fc | at position 1, 'res()' | empty res(): a residual block needs at least one layer
          "res( )-fc" | at position 1, 'res( )' | empty res()
          res-fc | at position 1, 'res' | res needs a body in parentheses
          # other shapes of mistakes
          -relu | at position 1, '-' | expected a layer name, found '-'
          relu--fc | at position 6, '-' | expected a layer name, found '-'
          "relu relu" | at position 6, 'r' | expected '-' or the end of the spec
          relu) | at position 5, ')' | unmatched ')'
          conv(32) | at position 1, 'conv(32)' | conv needs 2 positional argument(s) (outChannels,
          conv | at position 1, 'conv' | conv needs 2 positional argument(s)
          dropout-fc | at position 1, 'dropout' | dropout needs 1 positional argument(s) (p), got 0
          relu(1) | at position 6, '1' | relu takes 0 positional argument(s)
          conv(8,3,1) | at position 10, '1' | conv takes 2 positional argument(s) (outChannels,
          conv(s=1,8,3) | at position 10, '8' | positional argument after a named one
          conv(8,3,bias=yes) | at position 15, 'yes' | bad boolean for conv bias (expected true or
          maxpool(3,p=2) | at position 1, 'maxpool(3,p=2)' | maxpool pad must be <= kernel / 2 = 1,
          """)
  void rejectsWithPositionAndToken(String spec, String head, String explanation) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NetworkSpec.parse(spec, 10));
    String message = e.getMessage();
    String firstLine = message.lines().findFirst().orElseThrow();
    assertTrue(firstLine.startsWith(head + ": "), () -> "message was: " + message);
    assertTrue(firstLine.contains(explanation), () -> "message was: " + message);
    // The spec and a caret under the position follow, for terminals.
    String[] lines = message.split("\n");
    assertEquals(3, lines.length, message);
    assertEquals("  " + spec, lines[1]);
    int position = Integer.parseInt(head.replaceAll("at position (\\d+),.*", "$1"));
    assertEquals(2 + Math.min(position - 1, spec.length()), lines[2].indexOf('^'), message);
  }
}
