package org.llmri.network;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llmri.LlmriException;
import org.llmri.io.Tsv;

/**
 * What each unit (column of the activations) is: its tap, the tap's kind and layer, and its index
 * within the tap, as {@code units.tsv} lists them. Units are grouped three ways: by tap, by kind and by
 * <em>level</em>: a level is a layer, or for the taps outside the layers ({@code embed}, the model-level
 * {@code final_layer_norm}) the tap itself, so the two taps whose layer is {@code n/a} stay apart.
 */
public final class UnitTable {
    /** The layer of a unit outside the decoder layers ({@code n/a} in units.tsv). */
    public static final int NO_LAYER = -1;

    /** The tap kinds in the order a layer computes them; kinds not listed sort after, by first appearance. */
    public static final List<String> KIND_ORDER = List.of("embed", "self_attn_layer_norm", "q_proj", "k_proj", "v_proj",
            "context", "out_proj", "final_layer_norm", "fc1", "activation_fn", "fc2", "residual");

    /** One tap: a named module output; {@code units} are its unit columns, ordered by index within the tap. */
    public record Tap(String name, String kind, int layer, int[] units) {
        public Tap {
            units = units.clone();
        }

        @Override
        public int[] units() {
            return units.clone();
        }

        public int size() {
            return units.length;
        }

        int unit(int i) {
            return units[i];
        }
    }

    /** A depth in the model: a decoder layer, or a tap outside the layers. */
    public record Level(String label, int layer) {
        public boolean isLayer() {
            return layer != NO_LAYER;
        }
    }

    private final List<Tap> taps;
    private final int[] tapOf;
    private final int[] indexOf;
    private final List<String> kinds;
    private final List<Level> levels;
    private final int[] kindOfTap;
    private final int[] levelOfTap;

    private UnitTable(List<Tap> taps, int[] tapOf, int[] indexOf, List<String> kindOrder) {
        this.taps = List.copyOf(taps);
        this.tapOf = tapOf;
        this.indexOf = indexOf;
        List<String> kindList = new ArrayList<>();
        for (Tap t : taps) if (!kindList.contains(t.kind())) kindList.add(t.kind());
        kindList.sort(Comparator.comparingInt(k -> kindOrder.contains(k) ? kindOrder.indexOf(k) : kindOrder.size()));
        this.kinds = List.copyOf(kindList);
        this.levels = List.copyOf(orderLevels(taps));
        this.kindOfTap = new int[taps.size()];
        this.levelOfTap = new int[taps.size()];
        for (int t = 0; t < taps.size(); t++) {
            kindOfTap[t] = kinds.indexOf(taps.get(t).kind());
            levelOfTap[t] = levels.indexOf(levelOf(taps.get(t)));
        }
    }

    private static Level levelOf(Tap t) {
        return t.layer() == NO_LAYER ? new Level(t.name(), NO_LAYER) : new Level(Integer.toString(t.layer()), t.layer());
    }

    /**
     * Layers in numeric order; a tap outside the layers goes before them if its first unit comes before
     * every layered unit (the embedding), after them otherwise (the final layer norm).
     */
    private static List<Level> orderLevels(List<Tap> taps) {
        int firstLayered = Integer.MAX_VALUE;
        for (Tap t : taps) if (t.layer() != NO_LAYER) firstLayered = Math.min(firstLayered, Arrays.stream(t.units).min().orElse(Integer.MAX_VALUE));
        List<Level> before = new ArrayList<>(), after = new ArrayList<>();
        java.util.TreeSet<Integer> layers = new java.util.TreeSet<>();
        for (Tap t : taps) {
            if (t.layer() == NO_LAYER) {
                int first = Arrays.stream(t.units).min().orElse(Integer.MAX_VALUE);
                (first < firstLayered ? before : after).add(levelOf(t));
            } else {
                layers.add(t.layer());
            }
        }
        List<Level> out = new ArrayList<>(before);
        for (int l : layers) out.add(new Level(Integer.toString(l), l));
        out.addAll(after);
        return out;
    }

    /** One row of units.tsv, for building a table in code. */
    public record Row(String tap, String kind, int layer, int index) {}

    /** A table whose unit {@code i} is {@code rows.get(i)}, its kinds ordered as an OPT layer computes them ({@link #KIND_ORDER}). */
    public static UnitTable of(List<Row> rows) {
        return of(rows, KIND_ORDER);
    }

    /** A table whose unit {@code i} is {@code rows.get(i)}; kinds in {@code kindOrder}, those not in it after, by first appearance. */
    public static UnitTable of(List<Row> rows, List<String> kindOrder) {
        Map<String, List<int[]>> members = new LinkedHashMap<>();
        Map<String, Row> first = new LinkedHashMap<>();
        for (int u = 0; u < rows.size(); u++) {
            Row r = rows.get(u);
            Row f = first.putIfAbsent(r.tap(), r);
            if (f != null && (!f.kind().equals(r.kind()) || f.layer() != r.layer())) {
                throw new LlmriException("units: unit " + u + " of tap '" + r.tap() + "' has kind/layer " + r.kind() + "/"
                        + r.layer() + ", earlier units of that tap have " + f.kind() + "/" + f.layer());
            }
            members.computeIfAbsent(r.tap(), k -> new ArrayList<>()).add(new int[] {r.index(), u});
        }
        List<Tap> taps = new ArrayList<>();
        int[] tapOf = new int[rows.size()];
        int[] indexOf = new int[rows.size()];
        for (var e : members.entrySet()) {
            List<int[]> m = e.getValue();
            m.sort(Comparator.comparingInt((int[] a) -> a[0]).thenComparingInt(a -> a[1]));
            int[] units = new int[m.size()];
            for (int i = 0; i < m.size(); i++) {
                units[i] = m.get(i)[1];
                tapOf[units[i]] = taps.size();
                indexOf[units[i]] = m.get(i)[0];
            }
            Row r = first.get(e.getKey());
            taps.add(new Tap(e.getKey(), r.kind(), r.layer(), units));
        }
        return new UnitTable(taps, tapOf, indexOf, kindOrder);
    }

    /**
     * Reads units.tsv (columns {@code unit tap kind layer index}, others ignored); row i must be unit i. The kinds
     * take the order of the scan's {@code y} column (the model's own order of a layer's taps) when every kind has one
     * y, else {@link #KIND_ORDER}.
     */
    public static UnitTable load(Path unitsTsv) {
        Tsv.Table t = Tsv.read(unitsTsv);
        int cUnit = t.columnIndex("unit"), cTap = t.columnIndex("tap"), cKind = t.columnIndex("kind");
        int cLayer = t.columnIndex("layer"), cIndex = t.columnIndex("index");
        int cY = t.hasColumn("y") ? t.columnIndex("y") : -1;
        Map<String, String> yOfKind = new LinkedHashMap<>();
        boolean oneYPerKind = cY >= 0;
        List<Row> rows = new ArrayList<>(t.rows().size());
        for (int i = 0; i < t.rows().size(); i++) {
            List<String> r = t.rows().get(i);
            String where = unitsTsv + ":" + (i + 2) + ": ";
            int unit = parseInt(where, "unit", r.get(cUnit));
            if (unit != i) throw new LlmriException(where + "unit is " + unit + ", expected " + i + " (rows must list units 0, 1, 2, ... in order)");
            String layerText = r.get(cLayer).strip();
            int layer = layerText.equalsIgnoreCase("n/a") ? NO_LAYER : parseInt(where, "layer", layerText);
            if (layer < 0 && layer != NO_LAYER) throw new LlmriException(where + "layer must be >= 0 or n/a, not " + layer);
            String tap = r.get(cTap).strip(), kind = r.get(cKind).strip();
            if (tap.isEmpty() || kind.isEmpty()) throw new LlmriException(where + "empty tap or kind");
            rows.add(new Row(tap, kind, layer, parseInt(where, "index", r.get(cIndex))));
            if (oneYPerKind) oneYPerKind = r.get(cY).strip().equals(yOfKind.computeIfAbsent(kind, k -> r.get(cY).strip()));
        }
        if (rows.isEmpty()) throw new LlmriException(unitsTsv + ": no units");
        List<String> kindOrder = KIND_ORDER;
        if (oneYPerKind) {
            try {
                Map<String, Integer> y = new LinkedHashMap<>();
                for (var e : yOfKind.entrySet()) y.put(e.getKey(), Integer.parseInt(e.getValue()));
                kindOrder = y.keySet().stream().sorted(Comparator.comparingInt(y::get)).toList();
            } catch (NumberFormatException e) {
                // not the scan's layout: keep the OPT order
            }
        }
        try {
            return of(rows, kindOrder);
        } catch (LlmriException e) {
            throw new LlmriException(unitsTsv + ": " + e.getMessage().replaceFirst("^units: ", ""));
        }
    }

    private static int parseInt(String where, String column, String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new LlmriException(where + "column '" + column + "' is not an integer: '" + text + "'");
        }
    }

    public int size() {
        return tapOf.length;
    }

    public List<Tap> taps() {
        return taps;
    }

    /** Kinds present, in {@link #KIND_ORDER}. */
    public List<String> kinds() {
        return kinds;
    }

    /** Levels present, from the input side (embedding) to the output side (final layer norm). */
    public List<Level> levels() {
        return levels;
    }

    public int tapIndexOf(int unit) {
        return tapOf[unit];
    }

    public Tap tapOf(int unit) {
        return taps.get(tapOf[unit]);
    }

    public int indexOf(int unit) {
        return indexOf[unit];
    }

    public int kindIndexOfTap(int tap) {
        return kindOfTap[tap];
    }

    public int levelIndexOfTap(int tap) {
        return levelOfTap[tap];
    }

    public int kindIndexOf(int unit) {
        return kindOfTap[tapOf[unit]];
    }

    public int levelIndexOf(int unit) {
        return levelOfTap[tapOf[unit]];
    }

    /** The taps of one kind at one level, in table order (usually one, none where the level lacks the kind). */
    public List<Tap> tapsAt(int levelIndex, int kindIndex) {
        List<Tap> out = new ArrayList<>();
        for (int t = 0; t < taps.size(); t++) if (levelOfTap[t] == levelIndex && kindOfTap[t] == kindIndex) out.add(taps.get(t));
        return out;
    }

    /** A readable name for a unit, such as {@code layers.3.fc1[17]}. */
    public String describe(int unit) {
        return tapOf(unit).name() + "[" + indexOf[unit] + "]";
    }

    /** Checks that a per-unit array matches this table; {@code what} names it in the message. */
    public void checkLength(String what, int length) {
        if (length != size()) throw new LlmriException(what + " has " + length + " units, units.tsv lists " + size());
    }
}
