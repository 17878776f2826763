package org.llmri.glm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.hipparchus.stat.inference.TTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.io.Npy;
import org.llmri.io.RowMajorMatrix;

class PromptLevelTest {
    @TempDir Path dir;

    static PromptLevel.RunMeans random(boolean[] task, int units, double effect, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[task.length * units];
        for (int p = 0; p < task.length; p++) {
            for (int u = 0; u < units; u++) v[p * units + u] = 5 + SyntheticScan.gaussian(rng) + (task[p] ? effect : 0);
        }
        return new PromptLevel.RunMeans("test", task, units, v);
    }

    static boolean[] design(int perBlock) {
        String[] pattern = {"control", "task", "control", "task", "control"};
        boolean[] t = new boolean[pattern.length * perBlock];
        for (int b = 0; b < pattern.length; b++) for (int i = 0; i < perBlock; i++) t[b * perBlock + i] = pattern[b].equals("task");
        return t;
    }

    static PromptLevel.Settings settings(int permutations, long seed) {
        return new PromptLevel.Settings(Tail.TWO_SIDED, permutations, seed, 0.05, 2);
    }

    @Test
    void oneRunIsThePooledTwoSampleT() {
        boolean[] task = design(4);
        PromptLevel.RunMeans r = random(task, 50, 0.3, 1);
        PromptLevel.MapResult m = PromptLevel.test(List.of(List.of(r)), "c", settings(10, 0), ProgressListener.NONE).get(0);
        assertThat(m.maps().dof()).isEqualTo(18);
        for (int u = 0; u < 50; u++) {
            double[] a = new double[8], b = new double[12];
            int i = 0, j = 0;
            for (int p = 0; p < task.length; p++) {
                if (task[p]) a[i++] = r.values()[p * 50 + u];
                else b[j++] = r.values()[p * 50 + u];
            }
            assertThat(m.maps().stat()[u]).isCloseTo(new TTest().homoscedasticT(a, b), within(1e-10));
            assertThat(m.maps().effect()[u]).isCloseTo(mean(a) - mean(b), within(1e-12));
        }
    }

    /** Two runs: the OLS t of the common effect with a mean and an effect per run, tested on their weighted mean. */
    @Test
    void runsAreBlocksWithPooledVariance() {
        boolean[] task = design(3);
        PromptLevel.RunMeans r1 = random(task, 20, 0.5, 2), r2 = random(task, 20, 0.1, 3);
        PromptLevel.MapResult m = PromptLevel.test(List.of(List.of(r1, r2)), "c", settings(10, 0), ProgressListener.NONE).get(0);
        int n1 = 6, n0 = 9, n = 15;
        assertThat(m.maps().dof()).isEqualTo(2 * n - 4);
        double w = n1 * n0 / (double) n;
        for (int u = 0; u < 20; u++) {
            double ss = 0, num = 0;
            for (PromptLevel.RunMeans r : List.of(r1, r2)) {
                double ma = 0, mb = 0;
                for (int p = 0; p < n; p++) if (task[p]) ma += r.values()[p * 20 + u] / n1; else mb += r.values()[p * 20 + u] / n0;
                for (int p = 0; p < n; p++) {
                    double d = r.values()[p * 20 + u] - (task[p] ? ma : mb);
                    ss += d * d;
                }
                num += w * (ma - mb);
            }
            double effect = num / (2 * w), s2 = ss / (2 * n - 4);
            assertThat(m.maps().effect()[u]).isCloseTo(effect, within(1e-12));
            assertThat(m.maps().stat()[u]).isCloseTo(effect / Math.sqrt(s2 / (2 * w)), within(1e-9));
            assertThat(m.standardized()[u]).isCloseTo(effect / Math.sqrt(s2), within(1e-9));
        }
    }

    @Test
    void promptMeansStreamFromTheActivations() {
        int T = 5 * 4 * 7, U = 300;
        SplittableRandom rng = new SplittableRandom(4);
        float[] y = new float[T * U];
        for (int i = 0; i < y.length; i++) y[i] = (float) rng.nextGaussian();
        Path f = dir.resolve("a.npy");
        Npy.write(f, y, T, U);
        List<Events.Event> ev = new java.util.ArrayList<>();
        boolean[] task = design(4);
        for (int p = 0; p < 20; p++) ev.add(new Events.Event(p * 7, 7, task[p] ? "task" : "control", p + 2));
        PromptLevel.RunMeans m;
        try (RowMajorMatrix mat = RowMajorMatrix.ofNpy(f)) {
            m = PromptLevel.RunMeans.read(mat, new Events(dir.resolve("e.tsv"), ev), 2);
        }
        for (int p = 0; p < 20; p++) {
            for (int u = 0; u < U; u += 37) {
                double s = 0;
                for (int t = p * 7; t < p * 7 + 7; t++) s += y[t * U + u];
                assertThat(m.values()[p * U + u]).isCloseTo(s / 7, within(1e-9));
            }
        }
        assertThat(m.task()).isEqualTo(task);
    }

    @Test
    void stepDownFindsPlantedUnitsAndIsAtLeastAsPowerfulAsSingleStep() {
        boolean[] task = design(4);
        PromptLevel.RunMeans r = random(task, 400, 0, 5);
        for (int p = 0; p < task.length; p++) if (task[p]) for (int u = 0; u < 10; u++) r.values()[p * 400 + u] += 3;
        PromptLevel.MapResult m = PromptLevel.test(List.of(List.of(r)), "c", settings(500, 1), ProgressListener.NONE).get(0);
        double[] single = m.maxT().pCorrected(abs(m.maps().stat()));
        for (int u = 0; u < 400; u++) assertThat(m.fwe().adjusted()[u]).isLessThanOrEqualTo(single[u] + 1e-12);
        for (int u = 0; u < 10; u++) assertThat(m.fwe().mask()[u]).isTrue();
        int others = 0;
        for (int u = 10; u < 400; u++) if (m.fwe().mask()[u]) others++;
        assertThat(others).isLessThanOrEqualTo(2);
        assertThat(m.distinctLabelings()).isEqualTo(125970);
        assertThat(m.minP()).isEqualTo(1 / 500.0);
        // same seed, same answer; a constant unit is never significant
        PromptLevel.MapResult again = PromptLevel.test(List.of(List.of(r)), "c", settings(500, 1), ProgressListener.NONE).get(0);
        assertThat(again.fwe().adjusted()).isEqualTo(m.fwe().adjusted());
    }

    @Test
    void constantAndNanUnitsAreCountedAndNeverSignificant() {
        boolean[] task = design(2);
        PromptLevel.RunMeans r = random(task, 5, 0, 6);
        for (int p = 0; p < task.length; p++) {
            r.values()[p * 5] = 1;
            r.values()[p * 5 + 1] = task[p] ? 1 : 0; // a perfect split: huge but finite t
        }
        r.values()[2] = Double.NaN;
        PromptLevel.MapResult m = PromptLevel.test(List.of(List.of(r)), "c", settings(50, 0), ProgressListener.NONE).get(0);
        assertThat(m.constantUnits()).isEqualTo(1);
        assertThat(m.nanUnits()).isEqualTo(1);
        assertThat(m.fwe().mask()[0]).isFalse();
        assertThat(m.fwe().mask()[2]).isFalse();
        assertThat(Double.isFinite(m.maps().stat()[1])).isTrue();
    }

    static double[] abs(double[] x) {
        double[] o = new double[x.length];
        for (int i = 0; i < x.length; i++) o[i] = Math.abs(x[i]);
        return o;
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s / x.length;
    }
}
