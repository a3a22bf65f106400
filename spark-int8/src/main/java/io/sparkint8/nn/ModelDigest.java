package io.sparkint8.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A SHA-256 over the numbers of a {@link ModelState} that training produces: every parameter's
 * values (in parameter order, little-endian float bits), every BatchNorm's running mean and
 * running scale (double bits) and every conv/fc layer's clipping state (strategy name, step count
 * as a double, values). Two models with equal digests compute the same predictions and continue
 * training the same way; it is how tests and programs compare trained models bit for bit.
 */
public final class ModelDigest {
  private ModelDigest() {}

  /** The lower-case hex SHA-256 of {@code s}'s trained numbers. */
  public static String sha256(ModelState s) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
    for (String name : s.parameterNames()) {
      float[] w = s.parameter(name);
      ByteBuffer b = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(w);
      md.update(b);
    }
    for (String bn : s.batchNormNames()) {
      update(md, s.runningMean(bn));
      update(md, s.runningScale(bn));
    }
    for (String layer : s.clippingLayers()) {
      md.update(s.clippingState(layer).strategy().getBytes(StandardCharsets.UTF_8));
      update(md, new double[] {s.clippingState(layer).steps()});
      update(md, s.clippingState(layer).values());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void update(MessageDigest md, double[] v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(v);
    md.update(b);
  }
}
