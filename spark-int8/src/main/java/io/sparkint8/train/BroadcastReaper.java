package io.sparkint8.train;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Destroys a fit's spent broadcasts on a thread of its own. The driver destroys each step's state
 * once the step is aggregated; destroying costs about a millisecond of the driver's thread (Spark
 * records where it was called from and removes the blocks), which the next step would otherwise
 * wait for while both cores idle. Here it runs beside the next step's launch, as Spark's own
 * ContextCleaner runs its removals. {@link #close} waits until every broadcast handed over is
 * destroyed, so a fit leaves none behind.
 */
final class BroadcastReaper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BroadcastReaper.class);
  private static final long CLOSE_WAIT_SECONDS = 60;

  private final ExecutorService thread;

  BroadcastReaper(String runId) {
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "spark-int8 broadcast reaper " + runId);
      t.setDaemon(true);
      return t;
    });
  }

  /** Destroys {@code bc} soon; the caller must not use it again. */
  void destroyLater(Broadcast<?> bc) {
    thread.execute(() -> {
      try {
        bc.destroy();
      } catch (RuntimeException e) {
        // a broadcast left behind costs memory until the ContextCleaner finds it, not results
        LOG.warn("spark-int8: could not destroy broadcast {}: {}", bc.id(), e.toString());
      }
    });
  }

  /** Waits for the broadcasts handed over to be destroyed (at most a minute). */
  @Override
  public void close() {
    thread.shutdown();
    try {
      if (!thread.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
        LOG.warn("spark-int8: broadcasts still being destroyed after {} s; leaving them to Spark",
            CLOSE_WAIT_SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
