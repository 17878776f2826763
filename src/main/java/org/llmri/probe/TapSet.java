package org.llmri.probe;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.llmri.LlmriException;
import org.llmri.model.Tap;
import org.llmri.model.TapPoint;

/**
 * A chosen set of taps, in the model's forward order, laid end to end as one unit vector: unit
 * {@code offset(i) + j} is unit j of the i-th chosen tap. This order is the column order of a scan's
 * activations and of units.tsv.
 */
public final class TapSet {
    /** The presets a study can name instead of listing taps. */
    public static final List<String> PRESETS = List.of("all", "residual", "attention", "mlp");

    private final List<Tap> taps;
    private final int[] offsets;
    private final int units;
    private final int layers;

    private TapSet(List<Tap> taps, int layers) {
        this.taps = List.copyOf(taps);
        this.layers = layers;
        this.offsets = new int[taps.size()];
        int u = 0;
        for (int i = 0; i < taps.size(); i++) {
            offsets[i] = u;
            u = Math.addExact(u, taps.get(i).width());
        }
        this.units = u;
    }

    /**
     * Selects taps from a model's list by a preset ({@code all}, {@code residual}, {@code attention},
     * {@code mlp}) or comma-separated names and globs ({@code layers.*.fc1}, {@code embed}, {@code layers.3}).
     */
    public static TapSet select(List<Tap> all, String spec) {
        int layers = 0;
        for (Tap t : all) layers = Math.max(layers, t.layer() + 1);
        String s = spec == null ? "all" : spec.strip();
        return new TapSet(byNames(all, s.isEmpty() ? "all" : s), layers);
    }

    /** A preset's taps, or null when the name is no preset. */
    private static List<Tap> preset(List<Tap> all, String name) {
        return switch (name) {
            case "all" -> all;
            case "residual" -> filter(all, p -> p == TapPoint.EMBED || p == TapPoint.RESIDUAL || p == TapPoint.DECODER_FINAL_LAYER_NORM);
            case "attention" -> filter(all, p -> p == TapPoint.SELF_ATTN_LAYER_NORM || p == TapPoint.Q_PROJ || p == TapPoint.K_PROJ
                    || p == TapPoint.V_PROJ || p == TapPoint.CONTEXT || p == TapPoint.OUT_PROJ);
            case "mlp" -> filter(all, p -> p == TapPoint.FINAL_LAYER_NORM || p == TapPoint.FC1 || p == TapPoint.ACTIVATION_FN
                    || p == TapPoint.FC2);
            default -> null;
        };
    }

    /** Selects by a list of presets, names and globs. */
    public static TapSet select(List<Tap> all, List<String> specs) {
        return select(all, String.join(",", specs));
    }

    private static List<Tap> filter(List<Tap> all, java.util.function.Predicate<TapPoint> keep) {
        List<Tap> out = new ArrayList<>();
        for (Tap t : all) if (keep.test(t.point())) out.add(t);
        return out;
    }

    private static List<Tap> byNames(List<Tap> all, String spec) {
        Set<Tap> chosen = new LinkedHashSet<>();
        for (String part : spec.split(",")) {
            String name = part.strip();
            if (name.isEmpty()) continue;
            List<Tap> fromPreset = preset(all, name);
            if (fromPreset != null) {
                chosen.addAll(fromPreset);
                continue;
            }
            Pattern glob = Pattern.compile(Pattern.quote(name).replace("*", "\\E[^.]*\\Q"));
            boolean any = false;
            for (Tap t : all) {
                if (glob.matcher(t.name()).matches()) {
                    chosen.add(t);
                    any = true;
                }
            }
            if (!any) {
                throw new LlmriException("tap '" + name + "' matches no module (taps are presets " + PRESETS
                        + " or names like embed, layers.0.fc1, layers.*.self_attn.q_proj, layers.3, final_layer_norm)");
            }
        }
        // keep the model's forward order whatever order the names came in
        List<Tap> ordered = new ArrayList<>();
        for (Tap t : all) if (chosen.contains(t)) ordered.add(t);
        return ordered;
    }

    public List<Tap> taps() {
        return taps;
    }

    public int offset(int i) {
        return offsets[i];
    }

    public int units() {
        return units;
    }

    public int layers() {
        return layers;
    }

    /** Index of a tap in this set, or -1. */
    public int indexOf(TapPoint point, int layer) {
        for (int i = 0; i < taps.size(); i++) {
            Tap t = taps.get(i);
            if (t.point() == point && t.layer() == layer) return i;
        }
        return -1;
    }

    public int indexOf(String name) {
        for (int i = 0; i < taps.size(); i++) if (taps.get(i).name().equals(name)) return i;
        return -1;
    }

    /** The tap kinds in the y order of the NIfTI layout (DESIGN.md): unit index x, kind y, layer slot z. */
    public static final List<String> KIND_ORDER = List.of("embed", "self_attn_layer_norm", "q_proj", "k_proj", "v_proj",
            "context", "out_proj", "final_layer_norm", "fc1", "activation_fn", "fc2", "residual");

    /** Rows of units.tsv: unit, tap, kind, layer (n/a at model level), index, x, y, z. */
    public List<List<Object>> unitRows() {
        List<List<Object>> rows = new ArrayList<>(units);
        for (int i = 0; i < taps.size(); i++) {
            Tap t = taps.get(i);
            int y = KIND_ORDER.indexOf(t.kind());
            // z: 0 = embed, 1..L = layers, L + 1 = the decoder's final LayerNorm
            int z = t.point() == TapPoint.EMBED ? 0 : t.layer() >= 0 ? t.layer() + 1 : layers + 1;
            Object layer = t.layer() >= 0 ? (Object) t.layer() : "n/a";
            for (int j = 0; j < t.width(); j++) {
                rows.add(List.of(offsets[i] + j, t.name(), t.kind(), layer, j, j, y, z));
            }
        }
        return rows;
    }

    public static final List<String> UNIT_COLUMNS = List.of("unit", "tap", "kind", "layer", "index", "x", "y", "z");
}
