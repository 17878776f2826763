package org.llmri.probe;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.llmri.LlmriException;
import org.llmri.model.LanguageModel;
import org.llmri.model.Tap;

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
    private final List<String> kindOrder;
    private final int[] slices;

    private TapSet(List<Tap> taps, int layers, List<String> kindOrder, int[] slices) {
        this.taps = List.copyOf(taps);
        this.layers = layers;
        this.kindOrder = List.copyOf(kindOrder);
        this.slices = slices;
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
        List<String> kinds = new ArrayList<>();
        for (Tap t : all) if (!kinds.contains(t.kind())) kinds.add(t.kind());
        return select(all, kinds, spec);
    }

    /** Selects from a model's taps, with its kind order for units.tsv's y. */
    public static TapSet select(LanguageModel model, String spec) {
        return select(model.taps(), model.kindOrder(), spec, model.tapAliases());
    }

    /** Selects from a model's taps by a list of presets, names and globs. */
    public static TapSet select(LanguageModel model, List<String> specs) {
        return select(model, String.join(",", specs));
    }

    /** Selects by a list of presets, names and globs. */
    public static TapSet select(List<Tap> all, List<String> specs) {
        return select(all, String.join(",", specs));
    }

    /**
     * Selects from taps in forward order, placing their kinds on the NIfTI y axis in {@code kindOrder}.
     * The z slice is 0 for model-level taps before the first layer (the embeddings), layer + 1 for a
     * layer's taps and L + 1 for model-level taps after the layers (final norms).
     */
    public static TapSet select(List<Tap> all, List<String> kindOrder, String spec) {
        return select(all, kindOrder, spec, java.util.Map.of());
    }

    /**
     * Selects as above, also accepting other names for taps ({@code aliases}: alias to tap name, e.g.
     * TransformerLens's {@code blocks.3.hook_resid_post}); globs match aliases too.
     */
    public static TapSet select(List<Tap> all, List<String> kindOrder, String spec, java.util.Map<String, String> aliases) {
        int layers = 0;
        for (Tap t : all) layers = Math.max(layers, t.layer() + 1);
        for (Tap t : all) {
            if (!kindOrder.contains(t.kind())) throw new IllegalArgumentException("tap kind " + t.kind() + " is missing from the kind order");
        }
        String s = spec == null ? "all" : spec.strip();
        List<Tap> chosen = byNames(all, s.isEmpty() ? "all" : s, aliases);
        java.util.Map<Tap, Integer> slice = new java.util.HashMap<>();
        boolean seenLayer = false;
        for (Tap t : all) {
            seenLayer |= t.layer() >= 0;
            slice.put(t, t.layer() >= 0 ? t.layer() + 1 : seenLayer ? layers + 1 : 0);
        }
        int[] slices = new int[chosen.size()];
        for (int i = 0; i < slices.length; i++) slices[i] = slice.get(chosen.get(i));
        return new TapSet(chosen, layers, kindOrder, slices);
    }

    /** A preset's taps, or null when the name is no preset: {@code all}, or a group's taps. */
    private static List<Tap> preset(List<Tap> all, String name) {
        if (name.equals("all")) return all;
        for (Tap.Group g : Tap.Group.values()) {
            if (g.preset().equals(name)) {
                List<Tap> out = new ArrayList<>();
                for (Tap t : all) if (t.group() == g) out.add(t);
                return out;
            }
        }
        return null;
    }

    private static List<Tap> byNames(List<Tap> all, String spec, java.util.Map<String, String> aliases) {
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
            for (var alias : aliases.entrySet()) {
                if (!glob.matcher(alias.getKey()).matches()) continue;
                for (Tap t : all) {
                    if (t.name().equals(alias.getValue())) {
                        chosen.add(t);
                        any = true;
                    }
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

    /** The tap kinds in the y order of the NIfTI layout. */
    public List<String> kindOrder() {
        return kindOrder;
    }

    public int indexOf(String name) {
        for (int i = 0; i < taps.size(); i++) if (taps.get(i).name().equals(name)) return i;
        return -1;
    }

    /** Rows of units.tsv: unit, tap, kind, layer (n/a at model level), index, x, y, z. */
    public List<List<Object>> unitRows() {
        List<List<Object>> rows = new ArrayList<>(units);
        for (int i = 0; i < taps.size(); i++) {
            Tap t = taps.get(i);
            // the NIfTI voxel (DESIGN.md): unit index x, kind y, layer slot z
            int y = kindOrder.indexOf(t.kind());
            int z = slices[i];
            Object layer = t.layer() >= 0 ? (Object) t.layer() : "n/a";
            for (int j = 0; j < t.width(); j++) {
                rows.add(List.of(offsets[i] + j, t.name(), t.kind(), layer, j, j, y, z));
            }
        }
        return rows;
    }

    public static final List<String> UNIT_COLUMNS = List.of("unit", "tap", "kind", "layer", "index", "x", "y", "z");
}
