package io.sparkint8.examples;

import java.util.HashMap;
import java.util.Map;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Where a distributed training step's wall time goes, from Spark's own events: for every job whose
 * description marks it a training step ("..., step s/S"), its wall time from submission to end and
 * the time of its slowest task (deserialization plus run time, the critical path of a one-stage
 * step). Their difference is the step's overhead outside our kernels: scheduling, the broadcast and
 * task fetch, serializing and merging the aggregation. The driver's own time between steps (the
 * optimizer, building the next broadcast) is the rest of the epoch's wall time. Times are the
 * events' own timestamps (milliseconds), not when the listener bus delivers them.
 */
final class StepOverhead extends SparkListener {
  private final Map<Integer, Long> started = new HashMap<>();
  private final Map<Integer, Integer> jobOfStage = new HashMap<>();
  private final Map<Integer, Long> slowestTask = new HashMap<>();
  private long jobs;
  private long jobNanos;
  private long taskMillis;

  @Override
  public synchronized void onJobStart(SparkListenerJobStart start) {
    String description = start.properties() == null ? null
        : start.properties().getProperty("spark.job.description");
    if (description == null || !description.contains(", step ")) {
      return;
    }
    started.put(start.jobId(), start.time());
    scala.collection.Iterator<Object> ids = start.stageIds().iterator();
    while (ids.hasNext()) {
      jobOfStage.put((Integer) ids.next(), start.jobId());
    }
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
    Integer job = jobOfStage.get(end.stageId());
    TaskMetrics m = end.taskMetrics();
    if (job == null || m == null) {
      return;
    }
    long ms = m.executorDeserializeTime() + m.executorRunTime();
    slowestTask.merge(job, ms, Math::max);
  }

  @Override
  public synchronized void onJobEnd(SparkListenerJobEnd end) {
    Long t0 = started.remove(end.jobId());
    if (t0 == null) {
      return;
    }
    jobs++;
    // the events' own times (ms): the listener bus delivers them later than they happen
    jobNanos += (end.time() - t0) * 1_000_000L;
    Long slowest = slowestTask.remove(end.jobId());
    taskMillis += slowest == null ? 0 : slowest;
    jobOfStage.values().removeIf(j -> j == end.jobId());
  }

  /** Clears the counts (before a new trainer). */
  synchronized void reset() {
    started.clear();
    jobOfStage.clear();
    slowestTask.clear();
    jobs = 0;
    jobNanos = 0;
    taskMillis = 0;
  }

  /**
   * Adds the means per step job to {@code line}: step_jobs, step_job_ms (wall), step_task_ms (the
   * slowest task), step_overhead_ms (their difference) and driver_ms_per_step (training seconds
   * outside the step jobs, per job).
   */
  synchronized JsonLine addTo(JsonLine line, double trainingSeconds) {
    double n = Math.max(1, jobs);
    double jobMs = jobNanos / 1e6 / n;
    double taskMs = taskMillis / n;
    return line.put("step_jobs", jobs)
        .put("step_job_ms", jobMs)
        .put("step_task_ms", taskMs)
        .put("step_overhead_ms", jobMs - taskMs)
        .put("driver_ms_per_step", (trainingSeconds * 1e3 - jobNanos / 1e6) / n);
  }
}
