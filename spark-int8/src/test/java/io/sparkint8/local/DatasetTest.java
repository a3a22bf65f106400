package io.sparkint8.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.arrow.IdxReader;
import io.sparkint8.nn.spec.Shape;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** IDX images and labels become normalised samples of 1 x rows x cols. */
class DatasetTest {
  static final Path FILE = Path.of("images.idx");

  /** Two 2x3 images, pixels 0, 51, ..., 255 and 255 - those, labelled 4 and 0. */
  static IdxReader.Labeled twoImages() {
    byte[] pixels = new byte[12];
    for (int i = 0; i < 6; i++) {
      pixels[i] = (byte) (51 * i);
      pixels[6 + i] = (byte) (255 - 51 * i);
    }
    return new IdxReader.Labeled(
        new IdxReader.Images(FILE, 2, 2, 3, pixels), new byte[] {(byte) 4, (byte) 0});
  }

  @Test
  void pixelsAreScaledToTheUnitIntervalThenNormalised() {
    Dataset d = Dataset.fromIdx(twoImages(), 5, 0.5f, 0.25f);
    assertEquals(Shape.chw(1, 2, 3), d.shape());
    assertArrayEquals(new int[] {4, 0}, d.labels());
    assertEquals(5, d.numClasses());
    float[] expected = new float[12];
    for (int i = 0; i < 6; i++) {
      expected[i] = ((51 * i) / 255f - 0.5f) / 0.25f;
      expected[6 + i] = ((255 - 51 * i) / 255f - 0.5f) / 0.25f;
    }
    assertArrayEquals(expected, d.images());
    assertEquals(-2f, d.images()[0]);
    assertEquals(2f, d.images()[6]);
  }

  @Test
  void badNormalisationAndLabelsOutsideTheClassesAreRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Dataset.fromIdx(twoImages(), 5, 0, 0));
    assertTrue(e.getMessage().contains("std=0.0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Dataset.fromIdx(twoImages(), 4, 0, 1));
    assertTrue(e.getMessage().contains("label 4 at row 0, expected 0..3"), e.getMessage());
  }
}
