package io.sparkint8.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system, recording every file it creates and every rename ("create NAME", "rename
 * FROM -> TO", paths relative to {@link #root}), so a test can check the order in which a
 * checkpoint becomes visible. Installed as {@code fs.file.impl} of a test's Configuration.
 */
public final class RecordingLocalFileSystem extends LocalFileSystem {
  static final List<String> EVENTS = Collections.synchronizedList(new ArrayList<>());
  static volatile String root = "/";

  static Configuration conf() {
    Configuration c = new Configuration(false);
    c.set("fs.file.impl", RecordingLocalFileSystem.class.getName());
    c.setBoolean("fs.file.impl.disable.cache", true);
    return c;
  }

  @Override
  public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite,
      int bufferSize, short replication, long blockSize, Progressable progress)
      throws IOException {
    EVENTS.add("create " + relative(f));
    return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    EVENTS.add("rename " + relative(src) + " -> " + relative(dst));
    return super.rename(src, dst);
  }

  private static String relative(Path p) {
    String s = p.toUri().getPath();
    return s.startsWith(root) ? s.substring(root.length()) : s;
  }
}
