package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The warning fit logs (through log4j2, Spark 4's logging) when a session lacks Kryo or our
 * registrator, and its absence when both are set.
 */
class KryoSettingsCheckTest {
  static final String LOGGER = KryoSettingsCheck.class.getName();
  static final String KRYO = "org.apache.spark.serializer.KryoSerializer";
  static final String OURS = Int8KryoRegistrator.class.getName();

  final List<LogEvent> events = new CopyOnWriteArrayList<>();
  AbstractAppender appender;

  @BeforeAll
  static void initializeLogging() {
    // Spark installs its default log4j2 configuration when its logging first starts, which would
    // drop a logger added before; start it (and the checker's class) ahead of the capture
    KryoSettingsCheck.warning(new SparkConf(false));
  }

  @BeforeEach
  void capture() {
    appender = new AbstractAppender("kryo-check-capture", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        events.add(event.toImmutable());
      }
    };
    appender.start();
    LoggerContext ctx = LoggerContext.getContext(false);
    Configuration config = ctx.getConfiguration();
    LoggerConfig logger = new LoggerConfig(LOGGER, Level.INFO, false);
    logger.addAppender(appender, null, null);
    config.addLogger(LOGGER, logger);
    ctx.updateLoggers();
  }

  @AfterEach
  void release() {
    LoggerContext ctx = LoggerContext.getContext(false);
    ctx.getConfiguration().removeLogger(LOGGER);
    ctx.updateLoggers();
    appender.stop();
  }

  private List<String> warnings() {
    return events.stream().filter(e -> e.getLevel() == Level.WARN)
        .map(e -> e.getMessage().getFormattedMessage()).toList();
  }

  @Test
  void warnsWithoutKryoNamingBothSettings() {
    assertTrue(KryoSettingsCheck.warnIfMissing(new SparkConf(false)));
    List<String> w = warnings();
    assertEquals(1, w.size(), "one warning: " + w);
    assertTrue(w.get(0).contains("--conf spark.serializer=" + KRYO), w.get(0));
    assertTrue(w.get(0).contains("--conf spark.kryo.registrator=" + OURS), w.get(0));
    assertTrue(w.get(0).contains("JavaSerializer"), "says what is set now: " + w.get(0));
  }

  @Test
  void warnsWithKryoButWithoutTheRegistratorKeepingTheUsersOwn() {
    SparkConf conf = new SparkConf(false).set("spark.serializer", KRYO)
        .set("spark.kryo.registrator", "com.example.TheirRegistrator");
    assertTrue(KryoSettingsCheck.warnIfMissing(conf));
    List<String> w = warnings();
    assertEquals(1, w.size(), "one warning: " + w);
    assertTrue(w.get(0).contains("spark.kryo.registrator=" + OURS + ",com.example.TheirRegistrator"),
        w.get(0));
  }

  @Test
  void warnsWithTheRegistratorButJavaSerialization() {
    SparkConf conf = new SparkConf(false).set("spark.kryo.registrator", OURS);
    assertTrue(KryoSettingsCheck.warnIfMissing(conf));
    assertEquals(1, warnings().size(), "one warning: " + warnings());
  }

  @Test
  void staysQuietWithKryoAndTheRegistrator() {
    SparkConf conf = new SparkConf(false).set("spark.serializer", KRYO)
        .set("spark.kryo.registrator", "com.example.TheirRegistrator, " + OURS);
    assertFalse(KryoSettingsCheck.warnIfMissing(conf));
    assertEquals(List.of(), warnings());
    assertTrue(KryoSettingsCheck.warning(conf).isEmpty());
  }

  @Test
  void theAppenderSeesWarningsAtAll() {
    // guards the quiet case above: a capture that saw nothing would pass it trivially
    org.slf4j.LoggerFactory.getLogger(KryoSettingsCheck.class).warn("probe");
    assertEquals(List.of("probe"), warnings());
  }
}
