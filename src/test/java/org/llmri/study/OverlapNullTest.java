package org.llmri.study;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.llmri.glm.Correction;
import org.llmri.glm.ProgressListener;
import org.llmri.glm.PromptLevel;
import org.llmri.glm.Tail;
import org.llmri.network.Network;
import org.llmri.network.Overlap;
import org.llmri.network.UnitTable;

/**
 * On null studies (no task differs from its control) the joint-permutation overlap null flags pairs at
 * no more than the nominal rate. Units are heterogeneous: in every tap a fifth are skewed (lognormal
 * prompt means) or mostly silent with rare bursts, so their chance of passing a threshold differs from
 * the others', which a null that places units at random within a tap ignores.
 */
class OverlapNullTest {
    static final int TASKS = 4, RUNS = 2, PER_BLOCK = 4;

    static UnitTable units() {
        List<UnitTable.Row> rows = new ArrayList<>();
        for (int l = 0; l < 3; l++) for (int i = 0; i < 200; i++) rows.add(new UnitTable.Row("layers." + l + ".fc1", "fc1", l, i));
        return UnitTable.of(rows);
    }

    static PromptLevel.RunMeans nullRun(int units, SplittableRandom rng) {
        String[] pattern = {"control", "task", "control", "task", "control"};
        boolean[] task = new boolean[pattern.length * PER_BLOCK];
        for (int p = 0; p < task.length; p++) task[p] = pattern[p / PER_BLOCK].equals("task");
        double[] v = new double[task.length * units];
        for (int p = 0; p < task.length; p++) {
            for (int u = 0; u < units; u++) {
                int kind = u % 10;
                double g = rng.nextGaussian();
                v[p * units + u] = kind == 0 ? Math.exp(1.5 * g) : kind == 1 ? (rng.nextDouble() < 0.1 ? 5 + g : 0.01 * g) : g;
            }
        }
        return new PromptLevel.RunMeans("null", task, units, v);
    }

    @Test
    void jointPermutationNullKeepsTheNominalRateOnNullStudies() {
        UnitTable table = units();
        int studies = 40, studiesFlagged = 0, rows = 0, rowsFlagged = 0, tapNullFlagged = 0, tested = 0;
        double pSum = 0;
        int below05 = 0, below20 = 0;
        long t0 = System.nanoTime();
        for (int s = 0; s < studies; s++) {
            SplittableRandom rng = new SplittableRandom(100 + s);
            List<String> names = new ArrayList<>();
            List<PromptLevel.Permuter> permuters = new ArrayList<>();
            List<Network> networks = new ArrayList<>();
            double[] critical = new double[TASKS];
            for (int k = 0; k < TASKS; k++) {
                List<PromptLevel.RunMeans> runs = new ArrayList<>();
                for (int r = 0; r < RUNS; r++) runs.add(nullRun(table.size(), rng));
                PromptLevel.MapResult m = PromptLevel.test(List.of(runs), "c", new PromptLevel.Settings(Tail.TWO_SIDED, 1, s, 0.05, 1),
                        ProgressListener.NONE).get(0);
                boolean[] mask = m.significance(Correction.NONE, 0.05, Tail.TWO_SIDED).mask();
                double crit = Double.POSITIVE_INFINITY;
                for (int u = 0; u < mask.length; u++) if (mask[u]) crit = Math.min(crit, Math.abs(m.maps().stat()[u]));
                names.add("task" + k);
                permuters.add(new PromptLevel.Permuter(runs));
                critical[k] = crit;
                networks.add(OverlapNull.network("task" + k, m.maps().stat(), crit, Tail.TWO_SIDED));
                // the observed network is exactly the thresholded map
                assertThat(networks.get(k).positiveCount() + networks.get(k).negativeCount()).isEqualTo(count(mask));
            }
            Overlap.Settings settings = new Overlap.Settings(200, s, 0.05);
            Overlap.Result joint = OverlapNull.joint(names, permuters, critical, Tail.TWO_SIDED, networks, table, settings);
            long flagged = joint.overall().stream().filter(Overlap.Pair::exceedsChance).count();
            for (Overlap.Pair p : joint.overall()) {
                if (!p.testable()) continue;
                pSum += p.p();
                tested++;
                if (p.p() <= 0.05) below05++;
                if (p.p() <= 0.2) below20++;
            }
            rows += joint.overall().size();
            rowsFlagged += (int) flagged;
            if (flagged > 0) studiesFlagged++;
            tapNullFlagged += (int) Overlap.compute(networks, table, settings).overall().stream().filter(Overlap.Pair::exceedsChance).count();
        }
        System.out.printf("overlap on %d null studies (uncorrected networks): joint null flags %d of %d rows, %d studies; "
                + "tap-placement null flags %d rows; mean p of %d testable rows %.3f, p <= 0.05 in %d, p <= 0.2 in %d "
                + "(%.1f s)%n", studies, rowsFlagged, rows, studiesFlagged, tapNullFlagged, tested, pSum / tested, below05, below20,
                (System.nanoTime() - t0) / 1e9);
        // valid per row (P(p <= 0.05) <= 0.05 up to sampling: 0.08 of 480 rows is 3 SDs above), and not degenerate
        // (a p of 1 everywhere would pass trivially; Dice of small networks is discrete, so p leans above 1/2)
        assertThat(below05 / (double) tested).isLessThanOrEqualTo(0.08);
        assertThat(below20).isGreaterThan(tested / 20);
        // BH at 0.05 over a study's rows: under the null at most ~5% of studies flag anything; P(X >= 7 | 40, 0.05) = 0.005
        assertThat(studiesFlagged).isLessThanOrEqualTo(6);
    }

    static int count(boolean[] b) {
        int n = 0;
        for (boolean x : b) if (x) n++;
        return n;
    }
}
