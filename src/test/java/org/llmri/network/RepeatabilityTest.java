package org.llmri.network;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.io.Tsv;

class RepeatabilityTest {
    @TempDir Path dir;

    @Test
    void runsOfOneTaskAgreeMoreThanRunsOfDifferentTasks() {
        SyntheticStudy s = SyntheticStudy.write(dir, 4, 3, 0.6, 42, false);
        Repeatability.Result r = Repeatability.compute(s.runMaps(3.5), Repeatability.Settings.defaults(1));
        // 4 tasks x C(3,2) within pairs; C(4,2) task pairs x 3 run numbers between pairs
        assertThat(r.pairs().stream().filter(Repeatability.Pair::withinTask)).hasSize(12);
        assertThat(r.pairs().stream().filter(p -> !p.withinTask())).hasSize(18)
                .allSatisfy(p -> assertThat(p.a().run()).isEqualTo(p.b().run()));
        for (Repeatability.Summary sum : r.summary()) {
            assertThat(sum.meanWithin()).as(sum.measure()).isGreaterThan(sum.meanBetween() + 0.2);
            assertThat(sum.p()).as(sum.measure()).isLessThan(0.01);
        }
        r.writeTsv(dir);
        Tsv.Table t = Tsv.read(dir.resolve("repeatability.tsv"));
        assertThat(t.rows()).hasSize(30);
        assertThat(t.column("relation").getFirst()).isEqualTo("within");
        assertThat(Tsv.read(dir.resolve("repeatability_summary.tsv")).column("measure")).containsExactly("dice_positive", "pearson_r");
    }

    @Test
    void unrelatedMapsAreNotRepeatable() {
        SplittableRandom rng = new SplittableRandom(3);
        List<Repeatability.RunMap> maps = new ArrayList<>();
        for (String task : List.of("a", "b", "c", "d")) {
            for (int run = 1; run <= 3; run++) {
                double[] z = new double[500];
                for (int u = 0; u < z.length; u++) z[u] = rng.nextDouble(-3, 3);
                maps.add(new Repeatability.RunMap(new RunKey(task, run), z, Network.threshold(task, z, 2)));
            }
        }
        Repeatability.Result r = Repeatability.compute(maps, Repeatability.Settings.defaults(1));
        for (Repeatability.Summary sum : r.summary()) assertThat(sum.p()).as(sum.measure()).isGreaterThan(0.05);
    }
}
