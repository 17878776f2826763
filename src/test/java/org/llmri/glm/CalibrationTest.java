package org.llmri.glm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.io.Npy;
import org.llmri.io.RowMajorMatrix;

/**
 * False-positive rates. Language-model data have a level per prompt (tokens of one prompt share it), so
 * the main calibration uses null data with a per-prompt random effect: b ~ N(0, 1) per prompt and unit
 * plus AR(1) noise (rho 0.5, variance 1), in the default design (2 runs of off on off on off, 4 prompts
 * of 32 tokens per block). The older token-level checks (pure AR(1) noise) stay for the fMRI-style GLM.
 */
class CalibrationTest {
    @TempDir Path dir;

    static final int PER_BLOCK = 4, TOKENS = 32, PROMPTS = 5 * PER_BLOCK, T = PROMPTS * TOKENS;

    /** One run of the default design: per-prompt random effects + AR(1) noise; units [0, planted) shift by d on task prompts. */
    static float[] randomEffectsRun(int units, int planted, double d, long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        Events ev = blocks(TOKENS, PER_BLOCK);
        float[] y = new float[T * units];
        double rho = 0.5, scale = Math.sqrt(1 - rho * rho);
        double[] prev = new double[units], b = new double[units];
        for (int p = 0; p < PROMPTS; p++) {
            boolean task = ev.events().get(p).trialType().equals("task");
            for (int u = 0; u < units; u++) b[u] = rng.nextGaussian() + (task && u < planted ? d : 0);
            for (int t = p * TOKENS; t < (p + 1) * TOKENS; t++) {
                for (int u = 0; u < units; u++) {
                    double e = rng.nextGaussian();
                    double v = t == 0 ? e : rho * prev[u] + scale * e;
                    prev[u] = v;
                    y[t * units + u] = (float) (3 + b[u] + v);
                }
            }
        }
        return y;
    }

    /** The SD of a prompt's mean under that model: sqrt(1 + Var(mean of 32 AR(1) values)). */
    static double promptSd() {
        double rho = 0.5, var = 0;
        for (int i = 0; i < TOKENS; i++) for (int j = 0; j < TOKENS; j++) var += Math.pow(rho, Math.abs(i - j));
        return Math.sqrt(1 + var / (TOKENS * TOKENS));
    }

    /** Reads both runs of a random-effects dataset through the streaming prompt-mean path. */
    List<PromptLevel.RunMeans> dataset(int units, int planted, double d, long seed) {
        List<PromptLevel.RunMeans> runs = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            Path f = dir.resolve("run" + r + ".npy");
            Npy.write(f, randomEffectsRun(units, planted, d, seed * 31 + r), T, units);
            try (RowMajorMatrix y = RowMajorMatrix.ofNpy(f)) {
                runs.add(PromptLevel.RunMeans.read(y, blocks(TOKENS, PER_BLOCK), 2));
            }
        }
        return runs;
    }

    /**
     * 200 null datasets (1,000 units, 2 runs): the fixed-effects prompt-level map flags any unit in at most
     * 18 of 200 under FWE (max-T step-down, 200 permutations), Bonferroni and FDR (binomial(200, 0.05)
     * exceeds 18 with probability 0.004). Under the complete null a map's FDP is 1 when it flags anything,
     * so FDR's mean FDP is the same count over n.
     */
    @Test
    @org.junit.jupiter.api.Tag("slow")
    void promptLevelCorrectionsKeepTheirRateOnRandomEffectsNullData() {
        int n = 200, units = 1000;
        int fwe = 0, bonferroni = 0, fdr = 0;
        long uncorrected = 0;
        for (int k = 0; k < n; k++) {
            List<PromptLevel.RunMeans> runs = dataset(units, 0, 0, 5000 + k);
            PromptLevel.MapResult m = PromptLevel.test(List.of(runs), "c", new PromptLevel.Settings(Tail.TWO_SIDED, 200, k, 0.05, 2),
                    ProgressListener.NONE).get(0);
            if (m.fwe().count() > 0) fwe++;
            if (m.significance(Correction.BONFERRONI, 0.05, Tail.TWO_SIDED).count() > 0) bonferroni++;
            if (m.significance(Correction.FDR, 0.05, Tail.TWO_SIDED).count() > 0) fdr++;
            uncorrected += m.significance(Correction.NONE, 0.05, Tail.TWO_SIDED).count();
        }
        System.out.printf("prompt-level, random-effects null, maps with any unit: FWE %s, Bonferroni %s, FDR (mean FDP) %s; "
                        + "uncorrected p<0.05 share of units %.4f%n", Rates.clopperPearson(fwe, n, 0.95), Rates.clopperPearson(bonferroni, n, 0.95),
                Rates.clopperPearson(fdr, n, 0.95), uncorrected / (double) (n * units));
        assertThat(fwe).isLessThanOrEqualTo(18);
        assertThat(bonferroni).isLessThanOrEqualTo(18);
        assertThat(fdr).isLessThanOrEqualTo(18);
        assertThat(uncorrected / (double) (n * units)).isBetween(0.045, 0.055);
    }

    /** With 50 of 1,000 units planted at d = 1.5 prompt SDs, FDR's mean false-discovery proportion stays ≤ q. */
    @Test
    @org.junit.jupiter.api.Tag("slow")
    void fdrKeepsTheFalseDiscoveryProportionWithRealEffects() {
        int n = 100, units = 1000, planted = 50;
        double d = 1.5 * promptSd(), fdpSum = 0;
        long found = 0;
        for (int k = 0; k < n; k++) {
            List<PromptLevel.RunMeans> runs = dataset(units, planted, d, 9000 + k);
            PromptLevel.MapResult m = PromptLevel.test(List.of(runs), "c", new PromptLevel.Settings(Tail.TWO_SIDED, 1, k, 0.05, 2),
                    ProgressListener.NONE).get(0);
            boolean[] mask = m.significance(Correction.FDR, 0.05, Tail.TWO_SIDED).mask();
            int all = 0, wrong = 0;
            for (int u = 0; u < units; u++) {
                if (!mask[u]) continue;
                all++;
                if (u >= planted) wrong++;
                else found++;
            }
            fdpSum += all == 0 ? 0 : wrong / (double) all;
        }
        double fdp = fdpSum / n;
        System.out.printf("prompt-level FDR q 0.05 with 5%% of units planted at d=1.5: mean FDP %.4f, %.1f%% of planted units found%n",
                fdp, 100.0 * found / (n * planted));
        assertThat(fdp).isLessThanOrEqualTo(0.06);
        assertThat(found).isGreaterThan(0);
    }

    /** Why the token-level corrections carry a warning: on the same null data they flag many units. */
    @Test
    void tokenLevelFdrFindsNetworksInRandomEffectsNullData() {
        int units = 1000;
        Path f = dir.resolve("tok.npy");
        Npy.write(f, randomEffectsRun(units, 0, 0, 77), T, units);
        try (RowMajorMatrix y = RowMajorMatrix.ofNpy(f)) {
            DesignMatrix d = DesignMatrix.fromEvents(blocks(TOKENS, PER_BLOCK), T, DesignMatrix.Spec.defaults(), f);
            ContrastMaps m = new GlmFitter(d, new NoiseModel.Ar1(100), List.of(Contrast.parse("task - control", d.names())))
                    .fit(y, 2, ProgressListener.NONE).contrasts().get(0);
            int flagged = Significance.of(m, Correction.FDR, 0.05, Tail.TWO_SIDED, null, null).count();
            System.out.printf("token-level AR(1) FDR on one random-effects null run: %d of %d units flagged%n", flagged, units);
            assertThat(flagged).isGreaterThan(50);
        }
    }

    static Events blocks(int tokensPerEvent, int perBlock) {
        List<Events.Event> ev = new ArrayList<>();
        String[] pattern = {"control", "task", "control", "task", "control"};
        int onset = 0, line = 2;
        for (String kind : pattern) {
            for (int i = 0; i < perBlock; i++) {
                ev.add(new Events.Event(onset, tokensPerEvent, kind, line++));
                onset += tokensPerEvent;
            }
        }
        return new Events(Path.of("events.tsv"), ev);
    }

    static double[] nullSeries(int T, int units, double rho, long seed) {
        return SyntheticScan.series(T, units, rho, 0, 0, List.of(), seed);
    }

    @Test
    void ar1FalsePositiveRateIsNominalWhereOlsIsInflated() {
        int T = 640, U = 20_000;
        Path f = dir.resolve("null.npy");
        Npy.write(f, nullSeries(T, U, 0.5, 11), T, U);
        DesignMatrix d = DesignMatrix.fromEvents(blocks(128, 1), T, DesignMatrix.Spec.defaults(), f);
        Contrast c = Contrast.parse("task - control", d.names());
        double[] rates = new double[2];
        NoiseModel[] models = {new NoiseModel.Ar1(100), new NoiseModel.Ols()};
        for (int i = 0; i < 2; i++) {
            try (RowMajorMatrix y = RowMajorMatrix.ofNpy(f)) {
                ContrastMaps m = new GlmFitter(d, models[i], List.of(c)).fit(y, 2, ProgressListener.NONE).contrasts().get(0);
                double[] p = m.pFor(Tail.TWO_SIDED);
                int hits = 0;
                for (double v : p) if (v < 0.05) hits++;
                rates[i] = hits / (double) U;
            }
        }
        System.out.printf("false-positive rate at p < 0.05 (two-sided), 20000 null units: AR(1) %.4f, OLS %.4f%n", rates[0], rates[1]);
        assertThat(rates[0]).isBetween(0.04, 0.065);
        assertThat(rates[1]).isGreaterThan(0.15);
    }

    /**
     * 100 seeded null datasets of 640 time points x 500 units (20 events of 32 time points in blocks of 128),
     * max-T with 200 permutations each: at FWER 0.05 at most 8 datasets may flag any unit.
     */
    @Test
    void maxTControlsTheFamilyWiseErrorRate() {
        int T = 640, U = 500, datasets = 100;
        Path f = dir.resolve("null.npy");
        Events ev = blocks(32, 4);
        GlmOptions opts = GlmOptions.defaults().withPermutations(200, 0).withThreads(2).withCorrections(List.of(Correction.FWE), 0.05);
        int flagged = 0;
        for (int k = 0; k < datasets; k++) {
            Npy.write(f, nullSeries(T, U, 0.5, 1000 + k), T, U);
            try (RowMajorMatrix y = RowMajorMatrix.ofNpy(f)) {
                DesignMatrix d = DesignMatrix.fromEvents(ev, T, DesignMatrix.Spec.defaults(), f);
                MultiRunFit.Fitted fit = MultiRunFit.fit(List.of(new MultiRunFit.RunInput(y, d)), opts.withPermutations(200, k), ProgressListener.NONE);
                ContrastMaps m = fit.fits().get(0).contrasts().get(0);
                Significance s = Significance.of(m, Correction.FWE, 0.05, Tail.TWO_SIDED, fit.maxRun()[0][0], fit.fits().get(0).constant());
                if (s.count() > 0) flagged++;
            }
        }
        System.out.printf("max-T FWER 0.05: %d of %d null datasets flagged a unit%n", flagged, datasets);
        assertThat(flagged).isLessThanOrEqualTo(8);
    }
}
