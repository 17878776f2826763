package org.llmri.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

class NetworkTest {
    @TempDir Path dir;

    /** embed (4), two layers of q_proj (3) + final_layer_norm (2) + fc1 (5), model-level final_layer_norm (2): 26 units. */
    static UnitTable smallTable() {
        List<UnitTable.Row> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) rows.add(new UnitTable.Row("embed", "embed", UnitTable.NO_LAYER, i));
        for (int l = 0; l < 2; l++) {
            // fc1 listed before q_proj on purpose: kinds must still come out in computation order
            for (int i = 0; i < 5; i++) rows.add(new UnitTable.Row("layers." + l + ".fc1", "fc1", l, i));
            for (int i = 0; i < 3; i++) rows.add(new UnitTable.Row("layers." + l + ".self_attn.q_proj", "q_proj", l, i));
            for (int i = 0; i < 2; i++) rows.add(new UnitTable.Row("layers." + l + ".final_layer_norm", "final_layer_norm", l, i));
        }
        for (int i = 0; i < 2; i++) rows.add(new UnitTable.Row("final_layer_norm", "final_layer_norm", UnitTable.NO_LAYER, i));
        return UnitTable.of(rows);
    }

    @Test
    void groupsUnitsByTapKindAndLevel() {
        UnitTable t = smallTable();
        assertThat(t.size()).isEqualTo(26);
        assertThat(t.kinds()).containsExactly("embed", "q_proj", "final_layer_norm", "fc1");
        assertThat(t.levels()).extracting(UnitTable.Level::label).containsExactly("embed", "0", "1", "final_layer_norm");
        assertThat(t.taps()).extracting(UnitTable.Tap::name).containsExactly("embed", "layers.0.fc1", "layers.0.self_attn.q_proj",
                "layers.0.final_layer_norm", "layers.1.fc1", "layers.1.self_attn.q_proj", "layers.1.final_layer_norm", "final_layer_norm");
        assertThat(t.describe(9)).isEqualTo("layers.0.self_attn.q_proj[0]");
        // the per-layer and the model-level final_layer_norm share a kind but not a level
        assertThat(t.kindIndexOf(13)).isEqualTo(t.kindIndexOf(25));
        assertThat(t.levelIndexOf(13)).isNotEqualTo(t.levelIndexOf(25));
    }

    @Test
    void sizesPerKindLevelAndTap() {
        UnitTable t = smallTable();
        double[] z = new double[26];
        boolean[] sig = new boolean[26];
        // positive: embed 0, layer-0 fc1 4..6, layer-1 q_proj 19; negative: layer-1 fc1 14, model final 25
        for (int u : new int[] {0, 4, 5, 6, 19}) {
            z[u] = 5;
            sig[u] = true;
        }
        for (int u : new int[] {14, 25}) {
            z[u] = -4;
            sig[u] = true;
        }
        z[1] = 9; // large but not significant: stays out
        Network n = Network.fromMask("math", z, sig);
        assertThat(n.positiveCount()).isEqualTo(5);
        assertThat(n.negativeCount()).isEqualTo(2);
        assertThat(n.sizesByKind(t)).containsExactly(
                new Network.GroupSize("embed", 4, 1, 0), new Network.GroupSize("q_proj", 6, 1, 0),
                new Network.GroupSize("final_layer_norm", 6, 0, 1), new Network.GroupSize("fc1", 10, 3, 1));
        assertThat(n.sizesByLevel(t)).containsExactly(
                new Network.GroupSize("embed", 4, 1, 0), new Network.GroupSize("0", 10, 3, 0),
                new Network.GroupSize("1", 10, 1, 1), new Network.GroupSize("final_layer_norm", 2, 0, 1));
        assertThat(n.sizesByTap(t).get(1)).isEqualTo(new Network.GroupSize("layers.0.fc1", 5, 3, 0));
        assertThat(n.sizesByTap(t).stream().mapToInt(Network.GroupSize::units).sum()).isEqualTo(26);
    }

    @Test
    void thresholdKeepsSignsApart() {
        Network n = Network.threshold("t", new double[] {3.2, -3.2, 3.0999, Double.NaN, -10, 0}, 3.1);
        assertThat(n.positive()).isEqualTo(BitSet.valueOf(new long[] {0b1}));
        assertThat(n.negative()).isEqualTo(BitSet.valueOf(new long[] {0b10010}));
        assertThatThrownBy(() -> new Network("x", 3, BitSet.valueOf(new long[] {1}), BitSet.valueOf(new long[] {1})))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void loadsUnitsTsvWithNaLayers() throws Exception {
        Path f = dir.resolve("units.tsv");
        Files.writeString(f, """
                unit\ttap\tkind\tlayer\tindex\tx\ty\tz
                0\tembed\tembed\tn/a\t0\t0\t0\t0
                1\tembed\tembed\tn/a\t1\t1\t0\t0
                2\tlayers.0.fc1\tfc1\t0\t0\t0\t8\t1
                3\tfinal_layer_norm\tfinal_layer_norm\tn/a\t0\t0\t7\t2
                """);
        UnitTable t = UnitTable.load(f);
        assertThat(t.levels()).extracting(UnitTable.Level::label).containsExactly("embed", "0", "final_layer_norm");
        assertThat(t.tapOf(3).layer()).isEqualTo(UnitTable.NO_LAYER);
    }

    @Test
    void kindsFollowTheModelsOwnOrderFromTheScansYColumn() throws Exception {
        // an encoder's layer (BERT's kinds, which OPT's order does not list but for residual): as the scan laid them out
        Path f = dir.resolve("units.tsv");
        Files.writeString(f, """
                unit	tap	kind	layer	index	x	y	z
                0	encoder.layer.0	residual	0	0	0	3	1
                1	embeddings	embeddings	n/a	0	0	0	0
                2	encoder.layer.0.intermediate.dense	intermediate	0	0	0	2	1
                3	encoder.layer.0.attention.self.query	query	0	0	0	1	1
                """);
        assertThat(UnitTable.load(f).kinds()).containsExactly("embeddings", "query", "intermediate", "residual");
        // without a y column (a table made elsewhere): OPT's order, then the rest by first appearance
        Files.writeString(f, """
                unit	tap	kind	layer	index
                0	encoder.layer.0	residual	0	0
                1	embeddings	embeddings	n/a	0
                2	encoder.layer.0.intermediate.dense	intermediate	0	0
                """);
        assertThat(UnitTable.load(f).kinds()).containsExactly("residual", "embeddings", "intermediate");
    }

    @Test
    void badUnitsTsvNamesFileAndLine() throws Exception {
        Path f = dir.resolve("units.tsv");
        Files.writeString(f, "unit\ttap\tkind\tlayer\tindex\n0\tembed\tembed\tn/a\t0\n1\tlayers.0.fc1\tfc1\tzero\t0\n");
        assertThatThrownBy(() -> UnitTable.load(f)).isInstanceOf(LlmriException.class).hasMessage(f + ":3: column 'layer' is not an integer: 'zero'");
        Files.writeString(f, "unit\ttap\tkind\tlayer\tindex\n0\tembed\tembed\tn/a\t0\n2\tembed\tembed\tn/a\t1\n");
        assertThatThrownBy(() -> UnitTable.load(f)).isInstanceOf(LlmriException.class).hasMessageStartingWith(f + ":3: unit is 2, expected 1");
        Files.writeString(f, "unit\ttap\tkind\tlayer\tindex\n0\tx\tfc1\t0\t0\n1\tx\tfc2\t0\t1\n");
        assertThatThrownBy(() -> UnitTable.load(f)).isInstanceOf(LlmriException.class).hasMessageContaining("tap 'x'").hasMessageStartingWith(f.toString());
    }
}
