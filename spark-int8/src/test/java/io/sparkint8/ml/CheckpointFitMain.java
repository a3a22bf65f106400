package io.sparkint8.ml;

import io.sparkint8.nn.ModelDigest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The program {@link CheckpointKillTest} runs in a JVM of its own, so that it can kill it: the
 * 3-epoch fit of {@link CheckpointResumeTest#classifier} on 512 Fashion-MNIST rows in local[2],
 * with a checkpointDir. It writes the fitted model's {@link ModelDigest} and the number of epochs
 * it took from a checkpoint to {@code <out>} ("digest resumedEpochs").
 *
 * <p>Arguments: checkpoint directory, out file, and the epoch after which it holds (sleeps until
 * killed; 0: never), which keeps it from finishing before the test kills it.
 */
public final class CheckpointFitMain {
  static final int EPOCHS = 3;

  private CheckpointFitMain() {}

  public static void main(String[] args) throws Exception {
    String dir = args[0];
    Path out = Path.of(args[1]);
    int holdAfter = Integer.parseInt(args[2]);
    int status = 0;
    try {
      AtomicInteger trained = new AtomicInteger();
      Int8Classifier c = CheckpointResumeTest.classifier(EPOCHS).setCheckpointDir(dir)
          .setEpochListener(e -> {
            trained.incrementAndGet();
            System.out.println("CheckpointFitMain: epoch " + e.epoch() + " done");
            if (e.epoch() == holdAfter) {
              System.out.println("CheckpointFitMain: holding after epoch " + e.epoch());
              while (true) {
                try {
                  Thread.sleep(1000);
                } catch (InterruptedException ie) {
                  Thread.currentThread().interrupt();
                  return;
                }
              }
            }
          });
      Int8ClassificationModel model = c.fit(SparkTestSession.fashion(512, false, 2));
      int resumed = model.summary().totalEpochs() - trained.get();
      String digest = ModelDigest.sha256(model.modelState());
      System.out.println("CheckpointFitMain: digest " + digest + ", " + resumed
          + " epochs from the checkpoint");
      Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
      Files.writeString(tmp, digest + " " + resumed);
      Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
    } catch (Throwable t) {
      t.printStackTrace();
      status = 1;
    }
    // Spark leaves non-daemon threads behind
    System.exit(status);
  }
}
