package io.sparkint8.examples;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Where a distributed training step's wall time goes, from Spark's own events: for every job whose
 * description marks it a training step ("epoch e/E, step s/S"), its wall time from submission to
 * end and the time of its slowest task (deserialization plus run time, the critical path of a
 * one-stage step). Their difference is the step's overhead outside our kernels: scheduling, the
 * broadcast and task fetch, serializing and merging the aggregation. The driver's own time between
 * steps (the optimizer, building the next broadcast) is the rest of the epoch's wall time. Per task
 * it also sums the wall time, the CPU time and the GC time Spark measured: a task's wall time above
 * its CPU time is time it waited for a core (other threads of the JVM, other processes), and the
 * slowest task above the mean one is the imbalance the step waits for. Times are the events' own
 * timestamps (milliseconds) and Spark's task metrics, not when the listener bus delivers them;
 * the figures are kept per epoch, so that the warm epochs can be read apart from the first.
 */
final class StepOverhead extends SparkListener {
  private static final Pattern STEP_JOB = Pattern.compile("epoch (\\d+)/\\d+, step ");

  /** What the step jobs of one epoch took. */
  private static final class Totals {
    long jobs;
    long jobMillis;
    long slowestTaskMillis;
    long tasks;
    long taskMillis;
    long taskCpuNanos;
    long taskGcMillis;
    long taskDeserializeMillis;

    void add(Totals o) {
      jobs += o.jobs;
      jobMillis += o.jobMillis;
      slowestTaskMillis += o.slowestTaskMillis;
      tasks += o.tasks;
      taskMillis += o.taskMillis;
      taskCpuNanos += o.taskCpuNanos;
      taskGcMillis += o.taskGcMillis;
      taskDeserializeMillis += o.taskDeserializeMillis;
    }
  }

  /** A running step job: its epoch, whether it redoes a saturated step, start, tasks so far. */
  private static final class Running {
    final int epoch;
    final boolean redo;
    final long start;
    final Totals totals = new Totals();

    Running(int epoch, boolean redo, long start) {
      this.epoch = epoch;
      this.redo = redo;
      this.start = start;
    }
  }

  private final Map<Integer, Running> running = new HashMap<>();
  private final Map<Integer, Integer> jobOfStage = new HashMap<>();
  private final TreeMap<Integer, Totals> epochs = new TreeMap<>();
  /** The redo jobs of saturated steps, kept apart: they quantize kept results again. */
  private final TreeMap<Integer, Totals> redos = new TreeMap<>();

  @Override
  public synchronized void onJobStart(SparkListenerJobStart start) {
    String description = start.properties() == null ? null
        : start.properties().getProperty("spark.job.description");
    Matcher m = description == null ? null : STEP_JOB.matcher(description);
    if (m == null || !m.find()) {
      return;
    }
    running.put(start.jobId(), new Running(Integer.parseInt(m.group(1)),
        description.contains(", redo"), start.time()));
    scala.collection.Iterator<Object> ids = start.stageIds().iterator();
    while (ids.hasNext()) {
      jobOfStage.put((Integer) ids.next(), start.jobId());
    }
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
    Integer job = jobOfStage.get(end.stageId());
    Running r = job == null ? null : running.get(job);
    TaskMetrics m = end.taskMetrics();
    if (r == null || m == null) {
      return;
    }
    long ms = m.executorDeserializeTime() + m.executorRunTime();
    Totals t = r.totals;
    t.slowestTaskMillis = Math.max(t.slowestTaskMillis, ms);
    t.tasks++;
    t.taskMillis += ms;
    t.taskCpuNanos += m.executorDeserializeCpuTime() + m.executorCpuTime();
    t.taskGcMillis += m.jvmGCTime();
    t.taskDeserializeMillis += m.executorDeserializeTime();
  }

  @Override
  public synchronized void onJobEnd(SparkListenerJobEnd end) {
    Running r = running.remove(end.jobId());
    if (r == null) {
      return;
    }
    r.totals.jobs = 1;
    // the events' own times (ms): the listener bus delivers them later than they happen
    r.totals.jobMillis = end.time() - r.start;
    (r.redo ? redos : epochs).computeIfAbsent(r.epoch, e -> new Totals()).add(r.totals);
    jobOfStage.values().removeIf(j -> j == end.jobId());
  }

  /** Clears the counts (before a new trainer). */
  synchronized void reset() {
    running.clear();
    jobOfStage.clear();
    epochs.clear();
    redos.clear();
  }

  /**
   * Adds the means per step job of all epochs to {@code line}, as {@link #addEpochTo} does for
   * one; {@code trainingSeconds} is the training wall time of all epochs.
   */
  synchronized JsonLine addTo(JsonLine line, double trainingSeconds) {
    Totals all = new Totals();
    epochs.values().forEach(all::add);
    Totals redo = new Totals();
    redos.values().forEach(redo::add);
    return addTo(line, all, redo, trainingSeconds);
  }

  /**
   * Adds the means per step job of {@code epoch} (1-based) to {@code line}: step_jobs, the
   * redo_jobs of saturated steps and their mean wall redo_job_ms (kept apart: a redo quantizes
   * the step's kept results again, so it would pull every mean below down), step_job_ms (wall),
   * step_task_ms (the slowest task), step_overhead_ms (their difference), driver_ms_per_step (the
   * epoch's training seconds outside the step and redo jobs, per step job), and per task task_ms
   * (deserialization + run, wall), task_cpu_ms, task_gc_ms and task_deserialize_ms.
   */
  synchronized JsonLine addEpochTo(JsonLine line, int epoch, double epochSeconds) {
    Totals t = epochs.get(epoch);
    Totals redo = redos.get(epoch);
    return addTo(line, t == null ? new Totals() : t, redo == null ? new Totals() : redo,
        epochSeconds);
  }

  private static JsonLine addTo(JsonLine line, Totals t, Totals redo, double seconds) {
    double n = Math.max(1, t.jobs);
    double tasks = Math.max(1, t.tasks);
    double jobMs = t.jobMillis / n;
    double slowestMs = t.slowestTaskMillis / n;
    return line.put("step_jobs", t.jobs)
        .put("redo_jobs", redo.jobs)
        .put("redo_job_ms", redo.jobMillis / Math.max(1, redo.jobs))
        .put("step_job_ms", jobMs)
        .put("step_task_ms", slowestMs)
        .put("step_overhead_ms", jobMs - slowestMs)
        .put("driver_ms_per_step", (seconds * 1e3 - t.jobMillis - redo.jobMillis) / n)
        .put("task_ms", t.taskMillis / tasks)
        .put("task_cpu_ms", t.taskCpuNanos / 1e6 / tasks)
        .put("task_gc_ms", t.taskGcMillis / tasks)
        .put("task_deserialize_ms", t.taskDeserializeMillis / tasks);
  }
}
