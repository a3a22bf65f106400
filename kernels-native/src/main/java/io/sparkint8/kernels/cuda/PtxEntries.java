package io.sparkint8.kernels.cuda;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel entries of a PTX module and their parameter types, read from the text: {@code .visible
 * .entry name( .param .u64 name_param_0, ... )}. Used to check the kernel table and every launch's
 * argument list against what nvcc actually emitted, without a GPU.
 */
public final class PtxEntries {
  private static final Pattern ENTRY =
      Pattern.compile("\\.entry\\s+([A-Za-z_][A-Za-z0-9_$]*)\\s*\\(([^)]*)\\)");
  private static final Pattern PARAM =
      Pattern.compile("\\.param\\s+(?:\\.align\\s+\\d+\\s+)?\\.(\\w+)\\s+[A-Za-z_][A-Za-z0-9_$]*");

  private final Map<String, List<String>> entries;
  private final String toolkit;

  private PtxEntries(Map<String, List<String>> entries, String toolkit) {
    this.entries = entries;
    this.toolkit = toolkit;
  }

  public static PtxEntries parse(String ptx) {
    Map<String, List<String>> map = new LinkedHashMap<>();
    Matcher m = ENTRY.matcher(ptx);
    while (m.find()) {
      List<String> types = new ArrayList<>();
      Matcher p = PARAM.matcher(m.group(2));
      while (p.find()) {
        types.add(p.group(1));
      }
      map.put(m.group(1), Collections.unmodifiableList(types));
    }
    String toolkit = "unknown nvcc";
    Matcher t = Pattern.compile("//\\s*(Cuda compilation tools[^\\n]*)").matcher(ptx);
    if (t.find()) {
      toolkit = t.group(1).trim();
    }
    return new PtxEntries(Collections.unmodifiableMap(map), toolkit);
  }

  /** Entry name to its PTX parameter types ("u64", "u32", "f32", ...), in file order. */
  public Map<String, List<String>> entries() {
    return entries;
  }

  /** The nvcc that wrote the PTX, from its header comment (e.g. "Cuda compilation tools, release 13.0"). */
  public String toolkit() {
    return toolkit;
  }

  /**
   * Null when the PTX parameter types of {@code entry} accept the KernelArgs type codes {@code
   * signature}, else what differs. p and l are 64-bit integers, i a 32-bit integer, f f32, d f64.
   */
  public String mismatch(String entry, String signature) {
    List<String> types = entries.get(entry);
    if (types == null) {
      return "no .entry " + entry + " in the PTX";
    }
    if (types.size() != signature.length()) {
      return entry + " takes " + types.size() + " parameters " + types + ", the call passes "
          + signature.length() + " (" + signature + ")";
    }
    for (int i = 0; i < types.size(); i++) {
      if (!accepts(types.get(i), signature.charAt(i))) {
        return entry + " parameter " + i + " is ." + types.get(i) + ", the call passes '"
            + signature.charAt(i) + "' (" + signature + ")";
      }
    }
    return null;
  }

  private static boolean accepts(String ptxType, char code) {
    switch (code) {
      case 'p':
      case 'l':
        return ptxType.equals("u64") || ptxType.equals("s64") || ptxType.equals("b64");
      case 'i':
        return ptxType.equals("u32") || ptxType.equals("s32") || ptxType.equals("b32");
      case 'f':
        return ptxType.equals("f32");
      case 'd':
        return ptxType.equals("f64");
      default:
        return false;
    }
  }
}
