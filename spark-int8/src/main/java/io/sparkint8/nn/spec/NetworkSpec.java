package io.sparkint8.nn.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * An immutable network description: the layers, top to bottom, and the number of classes.
 *
 * <p>Grammar (names and argument names case-insensitive, whitespace allowed between tokens):
 *
 * <pre>
 * network  := layer ('-' layer)*            | a preset name (whole spec only)
 * layer    := name ['(' [args] ')']         | 'res' '(' network ')'
 * args     := positional (',' positional)* (',' named)*  | named (',' named)*
 * named    := name '=' value
 * </pre>
 *
 * <p>Layers: {@code conv(out,k[,s=1][,p=k/2][,bias=true])}, {@code fc(n)} or bare {@code fc} (n =
 * numClasses, last layer only), {@code bn}, {@code bn-l1}, {@code relu}, {@code
 * maxpool(k[,s=k][,p=0])}, {@code avgpool(k[,s=k][,p=0])}, {@code gap}, {@code flatten}, {@code
 * dropout(p)}, {@code res(...)}. Error messages give 1-based character positions and the offending
 * token.
 *
 * <p>Construction normalizes the layers: a bare {@code fc} (or {@code fc(-1)}) at the end becomes
 * {@code fc(numClasses)}, and a {@code flatten} is inserted before any fc that follows a spatial
 * layer (the input counts as spatial), so the layer list maps one to one onto built layers. {@link
 * #toString()} prints that normalized form, which parses back to an equal spec.
 */
public record NetworkSpec(List<LayerSpec> layers, int numClasses) {

  public NetworkSpec {
    if (numClasses < 1) {
      throw new IllegalArgumentException("numClasses must be >= 1, got " + numClasses);
    }
    if (layers == null || layers.isEmpty()) {
      throw new IllegalArgumentException("a network spec needs at least one layer");
    }
    layers = List.copyOf(normalize(resolveClasses(layers, numClasses), false));
  }

  /** Parses a spec or a preset name; see the class comment for the grammar. */
  public static NetworkSpec parse(String spec, int numClasses) {
    if (spec != null && Presets.contains(spec)) {
      return preset(spec, numClasses);
    }
    return SpecParser.parse(spec, numClasses);
  }

  /** One of {@link #presetNames()}, case-insensitive. */
  public static NetworkSpec preset(String name, int numClasses) {
    return SpecParser.parse(Presets.text(name), numClasses);
  }

  /** {@code mlp}, {@code lenet}, {@code cnn-small}, {@code resnet8}, {@code resnet20}. */
  public static Set<String> presetNames() {
    return Presets.names();
  }

  /**
   * Per-layer shapes and parameter counts for one sample of {@code channels x height x width}.
   *
   * @throws IllegalArgumentException naming the layer position, its text and the shape, when a
   *     layer cannot apply to its input or the output is not {@code numClasses} features
   */
  public NetworkShapes shapes(int channels, int height, int width) {
    return shapes(Shape.chw(channels, height, width));
  }

  /** {@link #shapes(int, int, int)} for an input shape already built. */
  public NetworkShapes shapes(Shape input) {
    return ShapeInference.infer(this, input);
  }

  @Override
  public String toString() {
    return layers.stream().map(LayerSpec::toString).collect(Collectors.joining("-"));
  }

  /**
   * The number of classes {@code spec} (a spec or a preset name) states by ending in an fc of
   * explicit width; empty when it ends otherwise, e.g. in a bare fc, which takes the data's count.
   * For checking a spec before the data is seen: {@code parse(spec, statedClasses(spec).orElse(2))}
   * then fails on the grammar only.
   *
   * @throws IllegalArgumentException as {@link #parse} does for a grammar error
   */
  public static OptionalInt statedClasses(String spec) {
    return SpecParser.statedClasses(
        spec != null && Presets.contains(spec) ? Presets.text(spec) : spec);
  }

  /**
   * This spec with every bn (inside residual bodies too) of the other variant replaced by a bn of
   * {@code variant}. The projection shortcut that shape inference gives a residual block is not a
   * layer of the spec and keeps its standard bn.
   */
  public NetworkSpec withBnVariant(LayerSpec.Bn.Variant variant) {
    return new NetworkSpec(withBnVariant(layers, variant), numClasses);
  }

  private static List<LayerSpec> withBnVariant(List<LayerSpec> layers,
      LayerSpec.Bn.Variant variant) {
    List<LayerSpec> result = new ArrayList<>(layers.size());
    for (LayerSpec layer : layers) {
      if (layer instanceof LayerSpec.Bn) {
        result.add(new LayerSpec.Bn(variant));
      } else if (layer instanceof LayerSpec.Residual res) {
        result.add(new LayerSpec.Residual(withBnVariant(res.body(), variant)));
      } else {
        result.add(layer);
      }
    }
    return result;
  }

  /**
   * Whether a layer (inside residual bodies too) is a conv or a pooling layer: those read the
   * input as channels x height x width, so the network needs the true image shape.
   */
  public boolean hasSpatialLayers() {
    return hasSpatialLayers(layers);
  }

  private static boolean hasSpatialLayers(List<LayerSpec> layers) {
    for (LayerSpec layer : layers) {
      if (layer instanceof LayerSpec.Conv
          || layer instanceof LayerSpec.MaxPool
          || layer instanceof LayerSpec.AvgPool
          || layer instanceof LayerSpec.GlobalAvgPool
          || layer instanceof LayerSpec.Residual res && hasSpatialLayers(res.body())) {
        return true;
      }
    }
    return false;
  }

  /** Replaces a final width-less fc by fc(numClasses); rejects one anywhere else. */
  private static List<LayerSpec> resolveClasses(List<LayerSpec> layers, int numClasses) {
    List<LayerSpec> result = new ArrayList<>(layers);
    for (int i = 0; i < result.size(); i++) {
      LayerSpec layer = result.get(i);
      boolean last = i == result.size() - 1;
      if (layer instanceof LayerSpec.Fc fc && fc.outFeatures() == LayerSpec.Fc.CLASSES && last) {
        result.set(i, new LayerSpec.Fc(numClasses));
      } else if (containsClassesFc(layer)) {
        throw new IllegalArgumentException(
            "layer "
                + (i + 1)
                + " '"
                + layer
                + "': fc without a width takes numClasses and is"
                + " only allowed as the last layer");
      }
    }
    return result;
  }

  private static boolean containsClassesFc(LayerSpec layer) {
    if (layer instanceof LayerSpec.Fc fc) {
      return fc.outFeatures() == LayerSpec.Fc.CLASSES;
    }
    if (layer instanceof LayerSpec.Residual res) {
      return res.body().stream().anyMatch(NetworkSpec::containsClassesFc);
    }
    return false;
  }

  /**
   * Inserts flatten before an fc on spatial data. Tracks only "flat or not", which the layer kinds
   * decide without knowing sizes; mistakes such as a conv after an fc are left to shape inference.
   */
  private static List<LayerSpec> normalize(List<LayerSpec> layers, boolean flatIn) {
    List<LayerSpec> result = new ArrayList<>(layers.size() + 1);
    boolean flat = flatIn;
    for (LayerSpec layer : layers) {
      if (layer instanceof LayerSpec.Residual res) {
        List<LayerSpec> body = normalize(res.body(), flat);
        result.add(new LayerSpec.Residual(body));
        flat = isFlatAfter(body, flat);
        continue;
      }
      if (layer instanceof LayerSpec.Fc && !flat) {
        result.add(new LayerSpec.Flatten());
      }
      result.add(layer);
      flat = isFlatAfter(List.of(layer), flat);
    }
    return result;
  }

  private static boolean isFlatAfter(List<LayerSpec> layers, boolean flatIn) {
    boolean flat = flatIn;
    for (LayerSpec layer : layers) {
      if (layer instanceof LayerSpec.Fc
          || layer instanceof LayerSpec.Flatten
          || layer instanceof LayerSpec.GlobalAvgPool) {
        flat = true;
      } else if (layer instanceof LayerSpec.Conv
          || layer instanceof LayerSpec.MaxPool
          || layer instanceof LayerSpec.AvgPool) {
        flat = false;
      } else if (layer instanceof LayerSpec.Residual res) {
        flat = isFlatAfter(res.body(), flat);
      }
    }
    return flat;
  }
}
