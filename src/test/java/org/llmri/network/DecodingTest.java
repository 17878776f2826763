package org.llmri.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;

class DecodingTest {
    @TempDir Path dir;

    @Test
    void blockSummaryMatchesDirectMeans() {
        SyntheticStudy s = SyntheticStudy.write(dir, 2, 2, 0.6, 1, false);
        RunKey k = s.runs().getFirst();
        BlockSummary b = BlockSummary.read(k, s.activations().get(k), RunEvents.read(s.events().get(k)), 300);
        float[] data = Npy.readFloats(s.activations().get(k));
        assertThat(b.taskBlocks()).containsExactly("1", "3");
        assertThat(b.timePoints()).isEqualTo(160);
        for (int u : new int[] {0, 17, 299}) {
            double block3 = 0, off = 0, all = 0;
            for (int t = 96; t < 128; t++) block3 += data[t * 300 + u];
            for (int t = 0; t < 160; t++) {
                all += data[t * 300 + u];
                if (t < 32 || (t >= 64 && t < 96) || t >= 128) off += data[t * 300 + u];
            }
            assertThat(b.blockMeans()[1][u]).isCloseTo(block3 / 32, within(1e-9 * Math.abs(block3) + 1e-9));
            assertThat(b.offMean()[u]).isCloseTo(off / 96, within(1e-9 * Math.abs(off) + 1e-9));
            assertThat(b.sum()[u]).isCloseTo(all, within(1e-9 * Math.abs(all) + 1e-9));
        }
    }

    @Test
    void decodesPlantedTasksAboveNinetyPercent() {
        SyntheticStudy s = SyntheticStudy.write(dir, 4, 3, 0.6, 42, false);
        StoufferNetworks nets = new StoufferNetworks(s.runZ(), 3.5);
        Decoding.Result r = Decoding.run(s.summaries(), nets, new Decoding.Settings(200, 7));
        assertThat(r.tasks()).containsExactly("taskA", "taskB", "taskC", "taskD");
        assertThat(r.folds()).extracting(Decoding.Fold::heldOutRun).containsExactly(1, 2, 3);
        assertThat(r.items()).hasSize(12 + 24);
        for (Decoding.Method m : Decoding.Method.values()) {
            for (Decoding.Level l : Decoding.Level.values()) {
                Decoding.Score sc = r.score(m, l);
                assertThat(sc.accuracy()).as(m + " " + l).isGreaterThan(0.9);
                assertThat(sc.chance()).isEqualTo(0.25);
                assertThat(sc.p()).as(m + " " + l).isLessThan(0.05);
                int n = 0;
                for (int t = 0; t < 4; t++) {
                    n += sc.confusion()[t][t];
                    assertThat(sc.confusion()[t][t]).isGreaterThanOrEqualTo(l == Decoding.Level.RUN ? 2 : 5);
                }
                assertThat(n).isEqualTo(sc.correct());
            }
        }
        // the correlation used only the training networks, which hold the planted units
        for (Decoding.Fold f : r.folds()) {
            assertThat(f.restrictedToNetworks()).isTrue();
            assertThat(f.featureUnits()).isBetween(4 * 20 + 10 - 8, 4 * 20 + 10 + 5);
        }
        r.writeTsv(dir);
        Tsv.Table items = Tsv.read(dir.resolve("decoding.tsv"));
        assertThat(items.rows()).hasSize(36);
        assertThat(items.column("level")).contains("run", "block");
        Tsv.Table summary = Tsv.read(dir.resolve("decoding_summary.tsv"));
        assertThat(summary.column("method")).containsExactly("correlation", "correlation", "network", "network");
        Tsv.Table confusion = Tsv.read(dir.resolve("decoding_confusion_network_block.tsv"));
        assertThat(confusion.header()).containsExactly("true_task", "taskA", "taskB", "taskC", "taskD", "none");
        assertThat(confusion.numbers("taskA")[0]).isGreaterThanOrEqualTo(5);
    }

    @Test
    void shuffledTaskNamesDecodeAtChance() {
        SyntheticStudy s = SyntheticStudy.write(dir, 4, 3, 0.6, 42, true);
        StoufferNetworks nets = new StoufferNetworks(s.runZ(), 3.5);
        Decoding.Result r = Decoding.run(s.summaries(), nets, new Decoding.Settings(200, 7));
        for (Decoding.Method m : Decoding.Method.values()) {
            for (Decoding.Level l : Decoding.Level.values()) {
                Decoding.Score sc = r.score(m, l);
                assertThat(sc.accuracy()).as(m + " " + l).isLessThanOrEqualTo(0.5);
                assertThat(sc.p()).as(m + " " + l).isGreaterThan(0.05);
            }
        }
    }

    @Test
    void sameInputsSameResult() {
        SyntheticStudy s = SyntheticStudy.write(dir, 3, 2, 0.6, 5, false);
        StoufferNetworks nets = new StoufferNetworks(s.runZ(), 3.5);
        Decoding.Result a = Decoding.run(s.summaries(), nets, new Decoding.Settings(50, 3));
        Decoding.Result b = Decoding.run(s.summaries(), nets, new Decoding.Settings(50, 3));
        assertThat(a.items()).isEqualTo(b.items());
        assertThat(a.scores()).usingRecursiveFieldByFieldElementComparator().isEqualTo(b.scores());
    }

    @Test
    void refusesTasksWithOneRunAndBadEvents() throws Exception {
        SyntheticStudy s = SyntheticStudy.write(dir, 2, 2, 0.6, 5, false);
        List<BlockSummary> runs = s.summaries().subList(0, 3);
        assertThatThrownBy(() -> Decoding.run(runs, new StoufferNetworks(s.runZ(), 3), Decoding.Settings.defaults(1)))
                .isInstanceOf(LlmriException.class).hasMessage("decoding needs at least 2 runs per task (leave one run out); task taskB has 1");
        Path ev = dir.resolve("bad_events.tsv");
        Files.writeString(ev, "onset\tduration\ttrial_type\tblock\tprompt_id\n0\t8\tcontrol\t0\tp\n150\t16\ttask\t1\tq\n");
        RunKey k = s.runs().getFirst();
        assertThatThrownBy(() -> BlockSummary.read(k, s.activations().get(k), RunEvents.read(ev), 300))
                .isInstanceOf(LlmriException.class).hasMessage(ev + ":3: event ends at time point 166, the run has 160");
        Files.writeString(ev, "onset\tduration\ttrial_type\tblock\tprompt_id\n0\t8\trest\t0\tp\n");
        assertThatThrownBy(() -> RunEvents.read(ev)).isInstanceOf(LlmriException.class)
                .hasMessage(ev + ":2: trial_type must be 'task' or 'control', not 'rest'");
        assertThatThrownBy(() -> BlockSummary.read(k, s.activations().get(k), RunEvents.read(s.events().get(k)), 299))
                .isInstanceOf(LlmriException.class).hasMessageEndingWith("300 units, units.tsv lists 299");
    }
}
