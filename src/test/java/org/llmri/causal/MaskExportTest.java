package org.llmri.causal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.llmri.model.LoadedModel;
import org.llmri.model.RandomPresets;
import org.llmri.model.Tap;
import org.llmri.model.bert.TinyBert;
import org.llmri.model.opt.OptConfig;
import org.llmri.model.opt.RandomModel;
import org.llmri.model.run.RandomWeights;
import org.llmri.model.weights.DType;
import org.llmri.model.weights.Tensor;

/** Network export's masks on the tiny model of each family: stored shapes, and a unit marks exactly its row or column. */
class MaskExportTest {
    @TempDir Path tmp;

    private LoadedModel open(String family) throws Exception {
        Path dir = tmp.resolve(family);
        switch (family) {
            case "opt" -> RandomModel.write(dir, OptConfig.preset("tiny"), 3, DType.F32, RandomModel.Format.SAFETENSORS);
            case "bert" -> TinyBert.writeWithTokenizer(dir, 3);
            default -> RandomPresets.write(dir, family, 3, DType.F32, RandomWeights.Format.SAFETENSORS, b -> {});
        }
        return LoadedModel.open(dir);
    }

    private static Tap tap(LoadedModel m, String name) {
        return m.model().taps().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no tap " + name));
    }

    /** The masks of one unit of one tap. */
    private static Map<String, boolean[]> one(LoadedModel m, Tap tap, int unit, Map<String, long[]> shapes) {
        return MaskExport.masks(new UnitSet(Map.of(tap, new int[] {unit})), m.model(), m.weights(), shapes);
    }

    /** Every tap of every family: each unit's masks have the stored shapes, and in each matrix it marks one whole row or column. */
    @ParameterizedTest
    @ValueSource(strings = {"opt", "bert", "gpt2-tiny", "neox-tiny", "llama-tiny"})
    void everyTapMarksWholeRowsOrColumnsOfStoredShapes(String family) throws Exception {
        try (LoadedModel m = open(family)) {
            for (Tap tap : m.model().taps()) {
                int unit = tap.width() / 2 + 1;
                Map<String, long[]> shapes = new LinkedHashMap<>();
                Map<String, boolean[]> masks = one(m, tap, unit, shapes);
                assertThat(masks).as(tap.name()).isNotEmpty();
                boolean writes = false;
                for (var e : masks.entrySet()) {
                    Tensor stored = MaskExport.stored(m.weights(), e.getKey());
                    assertThat(stored).as(e.getKey()).isNotNull();
                    assertThat(shapes.get(e.getKey())).as(e.getKey()).containsExactly(stored.shape());
                    long[] s = stored.shape();
                    int marked = count(e.getValue());
                    if (s.length == 1) {
                        assertThat(marked).as(tap.name() + " -> " + e.getKey()).isEqualTo(1);
                    } else {
                        assertThat(marked == s[0] || marked == s[1]).as(tap.name() + " -> " + e.getKey() + " marks " + marked).isTrue();
                        assertThat(line(e.getValue(), s)).as(tap.name() + " -> " + e.getKey()).isGreaterThanOrEqualTo(0);
                    }
                    writes |= m.model().wiring(tap).stream().anyMatch(w -> w.param().equals(e.getKey()) && w.role() == org.llmri.model.Wire.Role.WRITES);
                }
                assertThat(writes).as(tap.name() + " has a parameter that computes it").isTrue();
            }
        }
    }

    /**
     * Against the forward pass: raising exactly the weights a unit's mask marks as computing it (every 2-D WRITES
     * wire) changes that unit and no other unit of its tap, except those the same weights compute (a Llama KV head's
     * value row feeds every query head of its group). Taps whose units all mix after the marked weights (layer
     * outputs, post-LN embeddings, norms) are left out: there every unit moves.
     */
    @ParameterizedTest
    @ValueSource(strings = {"opt", "bert", "gpt2-tiny", "neox-tiny", "llama-tiny"})
    void raisingTheMarkedWeightsMovesExactlyThatUnit(String family) throws Exception {
        int[] ids = {3, 7, 11, 5, 9, 4};
        try (LoadedModel m = open(family)) {
            Map<String, float[]> base = record(m, ids);
            int checked = 0;
            for (Tap tap : m.model().taps()) {
                if (tap.layer() != 1 || tap.kind().equals("residual")) continue;
                List<org.llmri.model.Wire> writes = m.model().wiring(tap).stream()
                        .filter(w -> w.role() == org.llmri.model.Wire.Role.WRITES && MaskExport.stored(m.weights(), w.param()) != null
                                && MaskExport.stored(m.weights(), w.param()).rank() == 2).toList();
                if (writes.isEmpty()) continue;
                int unit = tap.width() / 2 + 3;
                Map<String, long[]> shapes = new TreeMap<>();
                Map<String, boolean[]> masks = one(m, tap, unit, shapes);
                Path dir = tmp.resolve(family + "-" + tap.name());
                java.nio.file.Files.createDirectories(dir);
                java.nio.file.Files.copy(m.dir().resolve("config.json"), dir.resolve("config.json"));
                List<Tensor> tensors = new java.util.ArrayList<>();
                for (String name : m.weights().names()) {
                    Tensor t = m.weights().get(name);
                    float[] v = t.toFloatArray();
                    for (var w : writes) {
                        if (MaskExport.stored(m.weights(), w.param()) != t) continue;
                        boolean[] mask = masks.get(w.param());
                        for (int i = 0; i < v.length; i++) if (mask[i]) v[i] += 0.5f;
                    }
                    tensors.add(Tensor.ofFloats(name, t.shape(), v));
                }
                org.llmri.model.weights.Safetensors.write(dir.resolve("model.safetensors"), tensors);
                float[] before = base.get(tap.name()), after;
                try (LoadedModel p = LoadedModel.open(dir)) {
                    after = record(p, ids).get(tap.name());
                }
                for (int u = 0; u < tap.width(); u++) {
                    int uu = u;
                    boolean sameWeights = writes.stream().allMatch(w -> w.index().applyAsInt(uu) == w.index().applyAsInt(unit));
                    double diff = 0;
                    for (int r = 0; r < ids.length; r++) diff = Math.max(diff, Math.abs(after[r * tap.width() + u] - before[r * tap.width() + u]));
                    if (sameWeights) assertThat(diff).as(family + " " + tap.name() + " unit " + u + " (marked)").isGreaterThan(1e-3);
                    else assertThat(diff).as(family + " " + tap.name() + " unit " + u + " (not marked)").isLessThan(1e-5);
                }
                checked++;
            }
            assertThat(checked).isGreaterThanOrEqualTo(4);
        }
    }

    /** Every tap's values ([row][unit]) for one sequence. */
    private static Map<String, float[]> record(LoadedModel m, int[] ids) {
        int n = ids.length;
        int[] slots = new int[n], positions = new int[n];
        for (int i = 0; i < n; i++) positions[i] = i;
        Map<String, float[]> out = new LinkedHashMap<>();
        m.model().forward(new org.llmri.model.Step(slots, ids.clone(), positions, new int[] {n - 1}, new int[1], new int[1]), m.model().newCache(1),
                (tap, values, width, step) -> out.put(tap.name(), java.util.Arrays.copyOf(values, step.rows() * width)), false);
        return out;
    }

    @Test
    void gpt2Conv1dMasksAreStoredInOut() throws Exception {
        try (LoadedModel m = open("gpt2-tiny")) {
            int h = 64, u = 5;
            Map<String, long[]> shapes = new TreeMap<>();
            var masks = one(m, tap(m, "h.1.attn.context"), u, shapes);
            assertThat(shapes.get("transformer.h.1.attn.c_attn.weight")).containsExactly(h, 3 * h);
            assertColumn(masks.get("transformer.h.1.attn.c_attn.weight"), shapes.get("transformer.h.1.attn.c_attn.weight"), 2 * h + u);
            assertThat(onlyEntry(masks.get("transformer.h.1.attn.c_attn.bias"))).isEqualTo(2 * h + u);
            assertRow(masks.get("transformer.h.1.attn.c_proj.weight"), shapes.get("transformer.h.1.attn.c_proj.weight"), u);

            shapes.clear();
            masks = one(m, tap(m, "h.0.mlp.act"), 200, shapes);
            assertThat(shapes.get("transformer.h.0.mlp.c_fc.weight")).containsExactly(h, 256);
            assertColumn(masks.get("transformer.h.0.mlp.c_fc.weight"), shapes.get("transformer.h.0.mlp.c_fc.weight"), 200);
            assertRow(masks.get("transformer.h.0.mlp.c_proj.weight"), shapes.get("transformer.h.0.mlp.c_proj.weight"), 200);

            shapes.clear();
            masks = one(m, tap(m, "h.2"), 7, shapes); // the last layer's output is read by ln_f
            assertThat(masks).containsKeys("transformer.h.2.attn.c_proj.weight", "transformer.h.2.mlp.c_proj.weight", "transformer.ln_f.weight");
            assertColumn(masks.get("transformer.h.2.mlp.c_proj.weight"), shapes.get("transformer.h.2.mlp.c_proj.weight"), 7);
        }
    }

    @Test
    void neoxContextMarksTheValueRowOfItsHeadInTheFusedProjection() throws Exception {
        try (LoadedModel m = open("neox-tiny")) {
            int h = m.model().hiddenSize(), hd = h / 4, head = 2, d = 3, u = head * hd + d;
            Map<String, long[]> shapes = new TreeMap<>();
            var masks = one(m, tap(m, "layers.0.attention.context"), u, shapes);
            String qkv = "gpt_neox.layers.0.attention.query_key_value.weight";
            assertThat(shapes.get(qkv)).containsExactly(3L * h, h);
            assertRow(masks.get(qkv), shapes.get(qkv), head * 3 * hd + 2 * hd + d);
            assertColumn(masks.get("gpt_neox.layers.0.attention.dense.weight"), shapes.get("gpt_neox.layers.0.attention.dense.weight"), u);

            shapes.clear();
            masks = one(m, tap(m, "layers.0.attention.query_key_value"), 17, shapes); // the tap is laid out as the rows are
            assertRow(masks.get(qkv), shapes.get(qkv), 17);
        }
    }

    @Test
    void llamaContextMarksItsKvHeadsValueRowAndSwigluMarksGateUpAndDown() throws Exception {
        try (LoadedModel m = open("llama-tiny")) { // 64 wide, 4 query heads, 2 KV heads of 16
            int hd = 16, u = 3 * hd + 5; // query head 3 reads KV head 1
            Map<String, long[]> shapes = new TreeMap<>();
            var masks = one(m, tap(m, "layers.1.self_attn.context"), u, shapes);
            String v = "model.layers.1.self_attn.v_proj.weight", o = "model.layers.1.self_attn.o_proj.weight";
            assertThat(shapes.get(v)).containsExactly(32, 64);
            assertRow(masks.get(v), shapes.get(v), hd + 5);
            assertColumn(masks.get(o), shapes.get(o), u);

            shapes.clear();
            masks = one(m, tap(m, "layers.0.mlp.act_fn"), 100, shapes);
            for (String p : List.of("gate_proj", "up_proj")) {
                String n = "model.layers.0.mlp." + p + ".weight";
                assertRow(masks.get(n), shapes.get(n), 100);
            }
            assertColumn(masks.get("model.layers.0.mlp.down_proj.weight"), shapes.get("model.layers.0.mlp.down_proj.weight"), 100);
            assertThat(masks.keySet()).noneMatch(k -> k.endsWith(".bias")); // llama-tiny has none: absent parameters are skipped
        }
    }

    @Test
    void bertUsesBertModelNamesAndOutInWeights() throws Exception {
        try (LoadedModel m = open("bert")) { // hidden 16, FFN 32, 2 layers
            Map<String, long[]> shapes = new TreeMap<>();
            var masks = one(m, tap(m, "encoder.layer.0.intermediate.intermediate_act_fn"), 20, shapes);
            assertThat(shapes.get("encoder.layer.0.intermediate.dense.weight")).containsExactly(32, 16);
            assertRow(masks.get("encoder.layer.0.intermediate.dense.weight"), shapes.get("encoder.layer.0.intermediate.dense.weight"), 20);
            assertThat(onlyEntry(masks.get("encoder.layer.0.intermediate.dense.bias"))).isEqualTo(20);
            assertColumn(masks.get("encoder.layer.0.output.dense.weight"), shapes.get("encoder.layer.0.output.dense.weight"), 20);

            shapes.clear();
            masks = one(m, tap(m, "encoder.layer.0"), 4, shapes); // the layer's output: its LayerNorm, read by the next layer's q/k/v
            assertThat(onlyEntry(masks.get("encoder.layer.0.output.LayerNorm.weight"))).isEqualTo(4);
            for (String p : List.of("query", "key", "value")) {
                String n = "encoder.layer.1.attention.self." + p + ".weight";
                assertColumn(masks.get(n), shapes.get(n), 4);
            }
        }
    }

    @Test
    void optActivationMarksFc1RowAndFc2Column() throws Exception {
        try (LoadedModel m = open("opt")) {
            Map<String, long[]> shapes = new TreeMap<>();
            var masks = one(m, tap(m, "layers.2.activation_fn"), 33, shapes);
            assertThat(masks.keySet()).containsExactly("model.decoder.layers.2.fc1.bias", "model.decoder.layers.2.fc1.weight", "model.decoder.layers.2.fc2.weight");
            assertRow(masks.get("model.decoder.layers.2.fc1.weight"), shapes.get("model.decoder.layers.2.fc1.weight"), 33);
            assertColumn(masks.get("model.decoder.layers.2.fc2.weight"), shapes.get("model.decoder.layers.2.fc2.weight"), 33);
        }
    }

    private static int count(boolean[] m) {
        int n = 0;
        for (boolean b : m) if (b) n++;
        return n;
    }

    private static int onlyEntry(boolean[] m) {
        assertThat(count(m)).isEqualTo(1);
        for (int i = 0; i < m.length; i++) if (m[i]) return i;
        return -1;
    }

    /** The index of the one full row or column marked, or -1. */
    private static int line(boolean[] m, long[] s) {
        for (int r = 0; r < s[0]; r++) if (isRow(m, s, r)) return r;
        for (int c = 0; c < s[1]; c++) if (isColumn(m, s, c)) return c;
        return -1;
    }

    private static boolean isRow(boolean[] m, long[] s, int r) {
        if (count(m) != s[1]) return false;
        for (int c = 0; c < s[1]; c++) if (!m[(int) (r * s[1] + c)]) return false;
        return true;
    }

    private static boolean isColumn(boolean[] m, long[] s, int c) {
        if (count(m) != s[0]) return false;
        for (int r = 0; r < s[0]; r++) if (!m[(int) (r * s[1] + c)]) return false;
        return true;
    }

    private static void assertRow(boolean[] m, long[] s, int r) {
        assertThat(m).isNotNull();
        assertThat(isRow(m, s, r)).as("exactly row " + r + " of " + java.util.Arrays.toString(s)).isTrue();
    }

    private static void assertColumn(boolean[] m, long[] s, int c) {
        assertThat(m).isNotNull();
        assertThat(isColumn(m, s, c)).as("exactly column " + c + " of " + java.util.Arrays.toString(s)).isTrue();
    }
}
