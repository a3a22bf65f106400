package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.sparkint8.nn.StepResult;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a JVM keeps of a step for a saturation redo, and what it lets go. */
class KeptStepsTest {
  private static KeptSteps.Kept kept(int floats) {
    return new KeptSteps.Kept(new StepResult(4, 1.0, 2, 0.0, new float[][] {new float[floats]},
        List.of(), List.of()), null);
  }

  @AfterEach
  void forget() {
    KeptSteps.clear();
  }

  @Test
  void aRedoTakesItsPartitionsStepOnce() {
    KeptSteps.Key p0 = new KeptSteps.Key("fit", 7, 3, 0);
    KeptSteps.Key p1 = new KeptSteps.Key("fit", 7, 3, 1);
    KeptSteps.Kept k0 = kept(10);
    KeptSteps.keep(p0, k0);
    KeptSteps.keep(p1, kept(10));
    long before = KeptSteps.reused();
    assertSame(k0, KeptSteps.take(p0));
    assertNull(KeptSteps.take(p0), "taken out");
    assertNull(KeptSteps.take(new KeptSteps.Key("fit", 8, 3, 1)), "another broadcast");
    assertNotNull(KeptSteps.take(p1));
    assertEquals(2, KeptSteps.reused() - before);
  }

  @Test
  void aLaterStepOrAnotherFitEvictsWhatWasKept() {
    KeptSteps.keep(new KeptSteps.Key("fit", 7, 3, 0), kept(10));
    KeptSteps.keep(new KeptSteps.Key("fit", 7, 3, 1), kept(10));
    KeptSteps.keep(new KeptSteps.Key("fit", 9, 4, 0), kept(10));
    assertEquals(1, KeptSteps.size(), "step 3 evicted by step 4");
    assertNull(KeptSteps.take(new KeptSteps.Key("fit", 7, 3, 1)));
    KeptSteps.keep(new KeptSteps.Key("other fit", 1, 9, 0), kept(10));
    assertEquals(1, KeptSteps.size(), "another fit's step evicts this one's");
    assertNotNull(KeptSteps.take(new KeptSteps.Key("other fit", 1, 9, 0)));
  }

  @Test
  void beyondTheBudgetAStepIsNotKept() {
    int quarter = (int) (KeptSteps.BUDGET_BYTES / 4 / 4);
    for (int p = 0; p < 5; p++) {
      KeptSteps.keep(new KeptSteps.Key("fit", 7, 3, p), kept(quarter));
    }
    assertEquals(4, KeptSteps.size(), "four quarters of the budget fit, the fifth does not");
    assertNull(KeptSteps.take(new KeptSteps.Key("fit", 7, 3, 4)));
    assertNotNull(KeptSteps.take(new KeptSteps.Key("fit", 7, 3, 0)));
    KeptSteps.keep(new KeptSteps.Key("fit", 7, 3, 4), kept(quarter));
    assertEquals(4, KeptSteps.size(), "a take gives its bytes back");
  }
}
