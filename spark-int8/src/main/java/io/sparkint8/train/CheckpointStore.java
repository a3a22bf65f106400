package io.sparkint8.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A directory of training checkpoints on any Hadoop FileSystem (local, HDFS, S3A, ...). One
 * checkpoint is a directory {@code epoch-NNNNNN} holding its data files and a {@code
 * manifest.json} that lists every file with its length and SHA-256, the checkpoint's identity
 * (what it was trained on: Params, data fingerprint) and a few facts (counters).
 *
 * <p>Never half-visible: the files are written into a directory with a temporary name ({@code
 * _tmp-epoch-NNNNNN-<uuid>}), which is renamed to its final name (atomic on local file systems and
 * HDFS), and the manifest is written last, itself under a temporary name renamed into place (on
 * object stores, where a rename is a copy, an object appears whole when its upload ends). A
 * directory without its manifest is ignored, so a writer killed at any point leaves the previous
 * checkpoint as the newest. After each write the two newest complete checkpoints are kept and
 * everything older, and every incomplete or temporary directory, is deleted. One writer per
 * directory at a time.
 *
 * <p>Reading verifies every file against the manifest before any byte is used: a missing,
 * truncated or corrupt file is an {@link IllegalArgumentException} naming the file, never a
 * partial resume. This store keeps its own FileSystem instance with Hadoop's client-side {@code
 * .crc} files off: the manifest's SHA-256 sums are the integrity check on every file system.
 */
public final class CheckpointStore implements Closeable {
  /** The file that completes a checkpoint. */
  public static final String MANIFEST = "manifest.json";
  /** The checkpoints kept after a write. */
  public static final int KEEP = 2;
  static final String FORMAT = "spark-int8 checkpoint";
  static final int FORMAT_VERSION = 1;
  private static final Pattern NAME = Pattern.compile("epoch-(\\d{6,})");
  private static final String TMP_PREFIX = "_tmp-";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final FileSystem fs;

  /** The store in {@code dir} (created on the first write). */
  public CheckpointStore(String dir, Configuration conf) {
    try {
      this.dir = new Path(dir);
      this.fs = FileSystem.newInstance(this.dir.toUri(), conf);
      fs.setWriteChecksum(false);
      fs.setVerifyChecksum(false);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("checkpointDir '" + dir + "' cannot be opened: " + e, e);
    }
  }

  /** The directory, as the FileSystem qualifies it. */
  public String location() {
    return fs.makeQualified(dir).toString();
  }

  /** The name of the checkpoint of epoch {@code epoch}. */
  static String dirName(int epoch) {
    return String.format("epoch-%06d", epoch);
  }

  /**
   * Writes the checkpoint of {@code epoch} (replacing an incomplete one of that epoch, which only a
   * killed writer leaves), then keeps the {@link #KEEP} newest.
   *
   * @param identity what the checkpoint is of, compared by {@link Checkpoint#requireIdentity}
   * @param facts values a reader needs besides the files (counters), in order
   * @param files file name to content
   */
  public void write(int epoch, Map<String, String> identity, Map<String, String> facts,
      Map<String, byte[]> files) {
    Path target = new Path(dir, dirName(epoch));
    Path tmp = new Path(dir, TMP_PREFIX + dirName(epoch) + "-" + UUID.randomUUID());
    try {
      fs.mkdirs(dir);
      if (fs.exists(new Path(target, MANIFEST))) {
        throw new IllegalStateException("checkpoint " + target + " exists already; a fit writes "
            + "each epoch once (is another fit using checkpointDir " + location() + "?)");
      }
      fs.mkdirs(tmp);
      ObjectNode listed = JSON.createObjectNode();
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        requirePlainName(f.getKey());
        writeFile(new Path(tmp, f.getKey()), f.getValue());
        ObjectNode entry = listed.putObject(f.getKey());
        entry.put("bytes", f.getValue().length);
        entry.put("sha256", sha256(f.getValue()));
      }
      if (fs.exists(target)) {
        fs.delete(target, true);
      }
      if (!fs.rename(tmp, target)) {
        throw new IOException("rename of " + tmp + " to " + target + " failed");
      }
      ObjectNode manifest = JSON.createObjectNode();
      manifest.put("format", FORMAT);
      manifest.put("formatVersion", FORMAT_VERSION);
      manifest.put("epoch", epoch);
      ObjectNode f = manifest.putObject("facts");
      facts.forEach(f::put);
      ObjectNode id = manifest.putObject("identity");
      identity.forEach(id::put);
      manifest.set("files", listed);
      Path tmpManifest = new Path(target, TMP_PREFIX + MANIFEST);
      writeFile(tmpManifest, manifest.toPrettyString().getBytes(StandardCharsets.UTF_8));
      if (!fs.rename(tmpManifest, new Path(target, MANIFEST))) {
        throw new IOException("rename of " + tmpManifest + " to " + MANIFEST + " failed");
      }
      prune();
    } catch (IOException e) {
      throw new UncheckedIOException("writing checkpoint " + target, e);
    }
  }

  /** The epochs of the complete checkpoints (those with a manifest), ascending. */
  public List<Integer> completeEpochs() {
    List<Integer> epochs = new ArrayList<>();
    for (Map.Entry<Integer, Path> e : checkpointDirs().entrySet()) {
      if (exists(new Path(e.getValue(), MANIFEST))) {
        epochs.add(e.getKey());
      }
    }
    return epochs;
  }

  /**
   * The newest complete checkpoint, its manifest read, its files not yet; empty when the
   * directory holds none (or does not exist).
   */
  public Optional<Checkpoint> latest() {
    List<Integer> epochs = completeEpochs();
    if (epochs.isEmpty()) {
      return Optional.empty();
    }
    int epoch = epochs.get(epochs.size() - 1);
    return Optional.of(readManifest(epoch, new Path(dir, dirName(epoch))));
  }

  private Checkpoint readManifest(int epoch, Path cp) {
    Path file = new Path(cp, MANIFEST);
    JsonNode m;
    try (InputStream in = fs.open(file)) {
      m = JSON.readTree(in.readAllBytes());
    } catch (IOException e) {
      throw new IllegalArgumentException("checkpoint manifest " + file + " is unreadable: "
          + e.getMessage(), e);
    }
    if (m == null || !FORMAT.equals(m.path("format").asText())
        || m.path("formatVersion").asInt(-1) != FORMAT_VERSION
        || m.path("epoch").asInt(-1) != epoch || !m.path("files").isObject()) {
      throw new IllegalArgumentException("checkpoint manifest " + file + " is not a " + FORMAT
          + " of format version " + FORMAT_VERSION + " for epoch " + epoch + ": "
          + (m == null ? "empty" : abbreviate(m.toString())));
    }
    Map<String, Long> sizes = new LinkedHashMap<>();
    Map<String, String> sums = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = m.path("files").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      sizes.put(e.getKey(), e.getValue().path("bytes").asLong(-1));
      sums.put(e.getKey(), e.getValue().path("sha256").asText());
    }
    return new Checkpoint(cp, epoch, strings(m.path("identity")), strings(m.path("facts")),
        sizes, sums);
  }

  /** One complete checkpoint: its manifest, and its files on demand. */
  public final class Checkpoint {
    private final Path path;
    private final int epoch;
    private final Map<String, String> identity;
    private final Map<String, String> facts;
    private final Map<String, Long> sizes;
    private final Map<String, String> sums;

    private Checkpoint(Path path, int epoch, Map<String, String> identity,
        Map<String, String> facts, Map<String, Long> sizes, Map<String, String> sums) {
      this.path = path;
      this.epoch = epoch;
      this.identity = identity;
      this.facts = facts;
      this.sizes = sizes;
      this.sums = sums;
    }

    public String path() {
      return path.toString();
    }

    public int epoch() {
      return epoch;
    }

    public Map<String, String> identity() {
      return identity;
    }

    /** A fact of the manifest; an IllegalArgumentException naming the manifest if absent. */
    public String fact(String name) {
      String v = facts.get(name);
      if (v == null) {
        throw new IllegalArgumentException("checkpoint manifest " + new Path(path, MANIFEST)
            + " has no '" + name + "'");
      }
      return v;
    }

    /**
     * Throws an IllegalArgumentException listing every entry of the checkpoint's identity that
     * differs from {@code now} (values of both, entries only one side has), or returns.
     */
    public void requireIdentity(Map<String, String> now) {
      List<String> diffs = new ArrayList<>();
      TreeMap<String, String> all = new TreeMap<>(identity);
      now.forEach(all::putIfAbsent);
      for (String key : all.keySet()) {
        String was = identity.get(key);
        String is = now.get(key);
        if (was == null || is == null || !was.equals(is)) {
          diffs.add(key + ": " + (was == null ? "absent" : abbreviate(was))
              + " in the checkpoint, " + (is == null ? "absent" : abbreviate(is)) + " now");
        }
      }
      if (!diffs.isEmpty()) {
        throw new IllegalArgumentException("checkpoint " + path + " is of other "
            + (diffs.stream().allMatch(d -> d.startsWith("data")) ? "data"
                : diffs.stream().noneMatch(d -> d.startsWith("data")) ? "params"
                : "params and data")
            + " than this fit: " + String.join("; ", diffs) + ". Use another checkpointDir, or "
            + "delete " + location() + " to start over.");
      }
    }

    /**
     * Every file of the manifest, read whole and checked against its length and SHA-256; an
     * IllegalArgumentException naming the first file that is missing, truncated or corrupt.
     */
    public Map<String, byte[]> readFiles() {
      Map<String, byte[]> files = new LinkedHashMap<>();
      for (Map.Entry<String, Long> e : sizes.entrySet()) {
        Path file = new Path(path, e.getKey());
        long expected = e.getValue();
        byte[] bytes;
        try (InputStream in = fs.open(file)) {
          bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, Math.max(0, expected) + 1));
        } catch (IOException ex) {
          throw new IllegalArgumentException("checkpoint file " + file + " is unreadable ("
              + ex + "); the checkpoint cannot be resumed", ex);
        }
        if (bytes.length != expected) {
          throw new IllegalArgumentException("checkpoint file " + file + " is "
              + (bytes.length < expected ? "truncated" : "longer than written") + ": "
              + (bytes.length > expected ? "more than " + expected : bytes.length)
              + " bytes, its manifest says " + expected
              + "; the checkpoint cannot be resumed");
        }
        String sum = sha256(bytes);
        if (!sum.equals(sums.get(e.getKey()))) {
          throw new IllegalArgumentException("checkpoint file " + file + " is corrupt: SHA-256 "
              + sum + ", its manifest says " + sums.get(e.getKey())
              + "; the checkpoint cannot be resumed");
        }
        files.put(e.getKey(), bytes);
      }
      return files;
    }
  }

  /** Keeps the KEEP newest complete checkpoints; deletes older ones and incomplete leftovers. */
  private void prune() throws IOException {
    List<Integer> complete = completeEpochs();
    int keepFrom = Math.max(0, complete.size() - KEEP);
    List<Integer> keep = complete.subList(keepFrom, complete.size());
    for (Map.Entry<Integer, Path> e : checkpointDirs().entrySet()) {
      if (!keep.contains(e.getKey())) {
        fs.delete(e.getValue(), true);
      }
    }
    for (FileStatus s : list()) {
      if (s.getPath().getName().startsWith(TMP_PREFIX)) {
        fs.delete(s.getPath(), true);
      }
    }
  }

  /** Checkpoint directories by epoch, complete or not. */
  private TreeMap<Integer, Path> checkpointDirs() {
    TreeMap<Integer, Path> dirs = new TreeMap<>();
    for (FileStatus s : list()) {
      Matcher m = NAME.matcher(s.getPath().getName());
      if (s.isDirectory() && m.matches()) {
        dirs.put(Integer.parseInt(m.group(1)), s.getPath());
      }
    }
    return dirs;
  }

  private FileStatus[] list() {
    try {
      return fs.exists(dir) ? fs.listStatus(dir) : new FileStatus[0];
    } catch (IOException e) {
      throw new UncheckedIOException("listing checkpointDir " + location(), e);
    }
  }

  private boolean exists(Path p) {
    try {
      return fs.exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writeFile(Path file, byte[] bytes) throws IOException {
    try (OutputStream out = fs.create(file, false)) {
      out.write(bytes);
    }
  }

  private static void requirePlainName(String name) {
    if (name.isEmpty() || name.contains("/") || name.startsWith(TMP_PREFIX)
        || name.equals(MANIFEST)) {
      throw new IllegalArgumentException("checkpoint file name '" + name + "': expected a plain "
          + "file name other than " + MANIFEST);
    }
  }

  private static Map<String, String> strings(JsonNode node) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      m.put(e.getKey(), e.getValue().asText());
    }
    return m;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "... (" + s.length() + " chars)";
  }

  @Override
  public void close() {
    try {
      fs.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
