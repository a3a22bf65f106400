package io.sparkint8.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** bench-spark end to end on a tiny subset: every line is JSON with the documented fields. */
class BenchSparkSmokeTest {
  @Test
  void printsParsableLinesForEveryTrainer() throws Exception {
    List<String> lines = new ArrayList<>();
    BenchSpark.Options o = BenchSpark.Options.parse(new String[] {"--rows", "1500",
        "--test-rows", "500", "--epochs", "1", "--runs", "int8,mllib-mlp", "--batch", "128",
        "--step-size", "0.1", "--mlp-iter", "10", "--model", "conv(8,3)-bn-relu-maxpool(2)-fc(32)-relu-fc"});
    Map<String, BenchSpark.Result> results = BenchSpark.run(o, l -> {
      System.out.println(l);
      lines.add(l.toString());
    });
    assertEquals(List.of("mllib-mlp", "int8"), List.copyOf(results.keySet()),
        "the MLP trains first, whatever the order of --runs");

    ObjectMapper json = new ObjectMapper();
    List<JsonNode> nodes = new ArrayList<>();
    for (String l : lines) {
      JsonNode n = json.readTree(l);
      assertEquals("spark", n.path("bench").asText(), l);
      nodes.add(n);
    }
    assertTrue(nodes.get(0).path("config").asBoolean(), "first line is the config");
    assertTrue(nodes.get(nodes.size() - 1).path("summary").asBoolean(), "last line: summary");

    JsonNode epoch = nodes.stream().filter(n -> n.path("trainer").asText().equals("int8")
        && n.has("epoch")).findFirst().orElseThrow();
    assertEquals(1, epoch.path("epoch").asInt());
    assertTrue(epoch.path("seconds").asDouble() > 0, epoch.toString());

    for (String trainer : List.of("mllib-mlp", "int8")) {
      JsonNode f = nodes.stream().filter(n -> n.path("final").asBoolean()
          && n.path("trainer").asText().equals(trainer)).findFirst().orElseThrow();
      double acc = f.path("test_accuracy").asDouble();
      // chance is 0.1; on this subset the MLP reaches about 0.66, int8 (12 steps) about 0.73
      assertTrue(acc > 0.25 && acc <= 1, trainer + ": " + f);
      assertTrue(f.path("seconds").asDouble() > 0, f.toString());
      assertTrue(f.path("images_per_s").asDouble() > 0, f.toString());
      assertTrue(f.path("bytes_aggregated_per_step").asDouble() > 0, f.toString());
      assertTrue(f.has("seconds_to_mlp_accuracy"), f.toString());
    }
    JsonNode mlp = nodes.stream().filter(n -> n.path("final").asBoolean()
        && n.path("trainer").asText().equals("mllib-mlp")).findFirst().orElseThrow();
    // 235146 weights (784-256-128-10 with biases), fp64, 2 partitions
    assertEquals(8.0 * 235146 * 2, mlp.path("bytes_aggregated_per_step").asDouble(), 1.0);

    // the step-overhead line of int8: every step job seen, its wall time at least its slowest task's
    JsonNode overhead = nodes.stream().filter(n -> n.path("step_overhead").asBoolean()
        && n.path("trainer").asText().equals("int8")).findFirst().orElseThrow();
    assertTrue(overhead.path("step_jobs").asLong() >= 12, overhead.toString());
    assertTrue(overhead.path("step_task_ms").asDouble() > 0, overhead.toString());
    assertTrue(overhead.path("step_job_ms").asDouble() >= overhead.path("step_task_ms").asDouble(),
        overhead.toString());
    assertTrue(overhead.path("driver_ms_per_step").isNumber(), overhead.toString());
    assertTrue(overhead.path("task_cpu_ms").asDouble() > 0, overhead.toString());
    // saturation redos are counted apart from the steps
    assertTrue(overhead.path("redo_jobs").asLong() >= 0 && overhead.path("redo_job_ms").isNumber(),
        overhead.toString());
    // one epoch: its line holds the step jobs of the run
    JsonNode epochOverhead = nodes.stream().filter(n -> n.path("step_overhead_epoch").asInt() == 1
        && n.path("trainer").asText().equals("int8")).findFirst().orElseThrow();
    assertTrue(epochOverhead.path("step_jobs").asLong() >= 12, epochOverhead.toString());
    assertTrue(epochOverhead.path("task_ms").asDouble() > 0, epochOverhead.toString());

    JsonNode summary = nodes.get(nodes.size() - 1);
    assertTrue(summary.path("int8_minus_mlp_accuracy").isNumber(), summary.toString());
    assertTrue(summary.path("int8_over_fp32_bytes_per_step").isNull(), "no fp32 run");
  }

  @Test
  void rejectsUnknownRunsAndArguments() {
    assertThrows(IllegalArgumentException.class,
        () -> BenchSpark.Options.parse(new String[] {"--runs", "int8,int4"}));
    assertThrows(IllegalArgumentException.class,
        () -> BenchSpark.Options.parse(new String[] {"--rowz", "10"}));
    assertThrows(IllegalArgumentException.class,
        () -> BenchSpark.Options.parse(new String[] {"--epochs", "0"}));
    assertFalse(BenchSpark.Options.parse(new String[] {}).help);
    assertTrue(BenchSpark.Options.parse(new String[] {"--help"}).help);
  }
}
